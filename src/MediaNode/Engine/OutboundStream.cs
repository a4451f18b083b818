namespace OpenChat.MediaNode.Engine;

/// <summary>
/// One member's outbound RTP numbering. The timestamp follows the mixer's clock (one frame per tick,
/// sent or not) and the sequence number counts packets actually sent, so both stay continuous whichever
/// source the payload comes from: an encoded mix (shared, minus-own, personal) or a talker's forwarded packet.
/// </summary>
public sealed class OutboundStream
{
    private ushort _sequence;
    private uint _timestamp;
    private bool _sentLastTick;
    private bool _sentThisTick;

    public OutboundStream(ushort initialSequence, uint initialTimestamp)
    {
        _sequence = initialSequence;
        _timestamp = initialTimestamp;
    }

    /// <summary>Sequence number the next packet will carry.</summary>
    public ushort NextSequence => _sequence;

    /// <summary>RTP timestamp of the current tick's frame.</summary>
    public uint Timestamp => _timestamp;

    public long FramesSent { get; private set; }

    /// <summary>Sends this tick's frame; the marker bit flags the first packet after a pause (RFC 3551 talkspurt).</summary>
    public void Send(IAudioSink sink, ReadOnlySpan<byte> opus, byte audioLevelDbov)
    {
        if (_sentThisTick) throw new InvalidOperationException("one frame per tick");
        bool marker = !_sentLastTick;
        ushort sequence = _sequence;
        _sequence = unchecked((ushort)(_sequence + 1));
        _sentThisTick = true;
        FramesSent++;
        sink.OnFrame(opus, _timestamp, sequence, marker, audioLevelDbov);
    }

    /// <summary>
    /// Sends nothing this tick without ending the talkspurt: the forwarded talker's frame was lost on its way in and
    /// the listener's decoder conceals it (or recovers it from the next packet's FEC), so the next packet is no new talkspurt.
    /// </summary>
    public void Skip()
    {
        if (_sentThisTick) throw new InvalidOperationException("one frame per tick");
        _sentThisTick = _sentLastTick;
    }

    /// <summary>Moves to the next tick's frame.</summary>
    public void EndTick()
    {
        _timestamp = unchecked(_timestamp + AudioFormat.FrameSamples);
        _sentLastTick = _sentThisTick;
        _sentThisTick = false;
    }
}

namespace OpenChat.MediaNode.Engine;

/// <summary>
/// One member's outbound RTP numbering. The timestamp follows the mixer's clock (one frame per tick,
/// sent or not) and the sequence number counts packets actually sent, so both stay continuous whichever
/// mix (shared, minus-own, personal) the payload comes from.
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
    public void Send(IAudioSink sink, ReadOnlySpan<byte> opus)
    {
        if (_sentThisTick) throw new InvalidOperationException("one frame per tick");
        bool marker = !_sentLastTick;
        ushort sequence = _sequence;
        _sequence = unchecked((ushort)(_sequence + 1));
        _sentThisTick = true;
        FramesSent++;
        sink.OnFrame(opus, _timestamp, sequence, marker);
    }

    /// <summary>Moves to the next tick's frame.</summary>
    public void EndTick()
    {
        _timestamp = unchecked(_timestamp + AudioFormat.FrameSamples);
        _sentLastTick = _sentThisTick;
        _sentThisTick = false;
    }
}

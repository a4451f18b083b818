namespace OpenChat.SimulatedClients.Measurement;

/// <summary>
/// A listener's fixed jitter buffer, reduced to its timing: each packet plays at the first packet's arrival plus the
/// delay plus the packet's RTP time since then. A packet that arrives after its play time means the buffer ran dry
/// (an underrun); the timeline then restarts from that packet, as a jitter buffer resynchronises, and so it does at
/// the start of a talkspurt (RTP marker bit). Times are in ticks of <c>ticksPerSecond</c>.
/// </summary>
public sealed class PlayoutClock(TimeSpan delay, long ticksPerSecond, int rtpClockRate = 48_000)
{
    private readonly long _delayTicks = (long)(delay.TotalSeconds * ticksPerSecond);
    private bool _anchored;
    private long _anchorTicks;
    private uint _anchorTimestamp;

    public long Underruns { get; private set; }

    /// <summary>Accounts for a packet arriving at <paramref name="now"/>; true when it came too late to play.</summary>
    public bool Arrive(long now, uint timestamp, bool marker)
    {
        if (!_anchored || marker)
        {
            (_anchored, _anchorTicks, _anchorTimestamp) = (true, now, timestamp);
            return false;
        }
        long due = _anchorTicks + _delayTicks + (long)unchecked((int)(timestamp - _anchorTimestamp)) * ticksPerSecond / rtpClockRate;
        if (now <= due) return false;
        (_anchorTicks, _anchorTimestamp) = (now, timestamp);
        Underruns++;
        return true;
    }
}

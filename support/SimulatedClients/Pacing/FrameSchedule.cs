namespace OpenChat.SimulatedClients.Pacing;

/// <summary>
/// Which frames are due at a given time: frame k is due at start + k·period, computed from k rather than by adding
/// up intervals, so lateness never accumulates into drift. A caller that fell behind gets the missed frames in a
/// burst of at most <c>maxBurst</c>; older ones are skipped (a microphone whose sender stalled that long would have
/// lost them too).
/// </summary>
public sealed class FrameSchedule
{
    private readonly long _start;
    private readonly long _period;
    private readonly int _maxBurst;
    private long _next;

    public FrameSchedule(long start, long period, int maxBurst)
    {
        if (period <= 0) throw new ArgumentOutOfRangeException(nameof(period));
        if (maxBurst < 1) throw new ArgumentOutOfRangeException(nameof(maxBurst));
        _start = start;
        _period = period;
        _maxBurst = maxBurst;
    }

    /// <summary>The number of the next frame to run.</summary>
    public long NextFrame => _next;

    /// <summary>When the next frame is due.</summary>
    public long NextDue => _start + _next * _period;

    public long SkippedFrames { get; private set; }

    /// <summary>When frame <paramref name="frame"/> is (or was) due.</summary>
    public long DueAt(long frame) => _start + frame * _period;

    /// <summary>Takes the frames due at <paramref name="now"/>: run frames <c>First</c> to <c>First + Count - 1</c>.</summary>
    public (long First, int Count) Take(long now)
    {
        if (now < NextDue) return (_next, 0);
        long due = (now - _start) / _period + 1 - _next;
        if (due > _maxBurst)
        {
            long skip = due - _maxBurst;
            _next += skip;
            SkippedFrames += skip;
            due = _maxBurst;
        }
        long first = _next;
        _next += due;
        return (first, (int)due);
    }
}

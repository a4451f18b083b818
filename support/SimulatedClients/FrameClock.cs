using System.Diagnostics;
using OpenChat.SimulatedClients.Audio;
using OpenChat.SimulatedClients.Pacing;

namespace OpenChat.SimulatedClients;

/// <summary>
/// One thread that paces every simulated microphone subscribed to it: each 20 ms frame it calls every subscriber
/// with the frame number, on an absolute schedule (<see cref="FrameSchedule"/>) of its time source's timestamps
/// (the <see cref="Stopwatch"/>'s by default), so a hundred members cost one thread and their frames stay in step.
/// Subscribers must return quickly.
/// </summary>
public sealed class FrameClock : IDisposable
{
    private const int MaxBurst = 5;
    private static readonly Lazy<FrameClock> SharedClock = new(() => new FrameClock());

    private readonly object _gate = new();
    private readonly TimeProvider _time;
    private readonly long _periodTicks;
    private readonly long _lateTicks;
    private Action<long>[] _subscribers = [];
    private FrameSchedule? _schedule;
    private Thread? _thread;
    private volatile bool _stopping;
    private long _framesRun;
    private long _lateFrames;
    private long _maxLatenessTicks;
    private long _longestHoldUpTicks;
    private long _currentFrame = -1;

    public FrameClock()
        : this(TimeSpan.FromMilliseconds(AudioFormat.FrameMilliseconds))
    {
    }

    /// <param name="period">Time between frames; 20 ms for audio.</param>
    public FrameClock(TimeSpan period)
        : this(period, TimeProvider.System)
    {
    }

    /// <param name="period">Time between frames; 20 ms for audio.</param>
    /// <param name="time">
    /// Where the clock reads the time (<see cref="TimeProvider.GetTimestamp"/>). Between readings its thread sleeps in
    /// real time, for about as long as this source says remains until the next frame (1 ms to 1 s), so a manual
    /// time source is followed within about one period.
    /// </param>
    public FrameClock(TimeSpan period, TimeProvider time)
    {
        if (period <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(period));
        ArgumentNullException.ThrowIfNull(time);
        Period = period;
        _time = time;
        _periodTicks = (long)(period.TotalSeconds * time.TimestampFrequency);
        _lateTicks = time.TimestampFrequency * 5 / 1000;
    }

    /// <summary>The process-wide clock that members use unless given another; runs from its first subscriber on.</summary>
    public static FrameClock Shared => SharedClock.Value;

    public TimeSpan Period { get; }

    /// <summary>The frame being run or last run; -1 before the first.</summary>
    public long CurrentFrame => Interlocked.Read(ref _currentFrame);

    /// <summary>Frames run since the clock started.</summary>
    public long FramesRun => Interlocked.Read(ref _framesRun);

    /// <summary>Frames dropped because the thread was held up for more than five frames.</summary>
    public long SkippedFrames
    {
        get
        {
            lock (_gate) return _schedule?.SkippedFrames ?? 0;
        }
    }

    /// <summary>Frames that started more than 5 ms after they were due.</summary>
    public long LateFrames => Interlocked.Read(ref _lateFrames);

    /// <summary>The latest any frame started after it was due.</summary>
    public TimeSpan MaxLateness => _time.GetElapsedTime(0, Interlocked.Read(ref _maxLatenessTicks));

    /// <summary>
    /// The longest this clock's thread was held up since it started or since <see cref="ResetLongestHoldUp"/>: from when
    /// the oldest frame not yet run was due to when the thread ran it or skipped it. Unlike <see cref="MaxLateness"/>
    /// it counts skipped frames, so it is how long this process's members could neither send nor judge what they heard.
    /// </summary>
    public TimeSpan LongestHoldUp => _time.GetElapsedTime(0, Interlocked.Read(ref _longestHoldUpTicks));

    /// <summary>Starts a new measurement of <see cref="LongestHoldUp"/>.</summary>
    public void ResetLongestHoldUp() => Interlocked.Exchange(ref _longestHoldUpTicks, 0);

    /// <summary>Calls <paramref name="onFrame"/> with each frame number from the next frame on, until disposed.</summary>
    public IDisposable Subscribe(Action<long> onFrame)
    {
        ArgumentNullException.ThrowIfNull(onFrame);
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_stopping, this);
            _subscribers = [.. _subscribers, onFrame];
            if (_thread is null)
            {
                _schedule = new FrameSchedule(_time.GetTimestamp() + _periodTicks, _periodTicks, MaxBurst);
                _thread = new Thread(Run) { IsBackground = true, Name = "loadgen-clock", Priority = ThreadPriority.AboveNormal };
                _thread.Start();
            }
        }
        return new Subscription(this, onFrame);
    }

    private void Unsubscribe(Action<long> onFrame)
    {
        lock (_gate)
        {
            _subscribers = _subscribers.Where(s => s != onFrame).ToArray();
        }
    }

    private void Run()
    {
        var schedule = _schedule!;
        while (!_stopping)
        {
            // The round's only reading of the time (the pacing tests rely on it to know what the clock has seen).
            long now = _time.GetTimestamp();
            long first;
            int count;
            lock (_gate)
            {
                long remaining = schedule.NextDue - now;
                if (remaining > 0)
                {
                    first = -1;
                    count = 0;
                }
                else
                {
                    long heldUp = -remaining;
                    if (heldUp > Interlocked.Read(ref _longestHoldUpTicks)) Interlocked.Exchange(ref _longestHoldUpTicks, heldUp);
                    (first, count) = schedule.Take(now);
                }
            }
            if (count == 0)
            {
                // Sleep most of the wait in one go, the last couple of milliseconds in 1 ms steps.
                long waitMs = (schedule.NextDue - now) * 1000 / _time.TimestampFrequency;
                Thread.Sleep((int)Math.Clamp(waitMs - 1, 1, 1000));
                continue;
            }
            long lateness = now - schedule.DueAt(first);
            if (lateness > _lateTicks) Interlocked.Increment(ref _lateFrames);
            if (lateness > Interlocked.Read(ref _maxLatenessTicks)) Interlocked.Exchange(ref _maxLatenessTicks, lateness);
            for (long frame = first; frame < first + count; frame++)
            {
                Interlocked.Exchange(ref _currentFrame, frame);
                foreach (var subscriber in Volatile.Read(ref _subscribers))
                {
                    try
                    {
                        subscriber(frame);
                    }
                    catch (Exception)
                    {
                        // One faulty subscriber must not stop the others' audio.
                    }
                }
                Interlocked.Increment(ref _framesRun);
            }
        }
    }

    public void Dispose()
    {
        Thread? thread;
        lock (_gate)
        {
            _stopping = true;
            thread = _thread;
        }
        if (thread is not null && thread != Thread.CurrentThread) thread.Join();
    }

    private sealed class Subscription(FrameClock clock, Action<long> onFrame) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0) clock.Unsubscribe(onFrame);
        }
    }
}

using System.Diagnostics;

namespace OpenChat.MediaNode.Engine;

/// <summary>
/// The node's one real-time clock: a dedicated thread that ticks the engine every 20 ms. It sleeps
/// between ticks (an idle node costs next to nothing), measures how late each tick starts, and skips
/// ahead rather than bursting when it falls far behind.
/// </summary>
public sealed class MixerClock : IDisposable
{
    private const int MaxCatchUpTicks = 5;

    private readonly MixerEngine _engine;
    private readonly long _periodTicks = Stopwatch.Frequency * AudioFormat.FrameMilliseconds / 1000;
    private readonly long _spinTicks;
    private Thread? _thread;
    private volatile bool _stopping;

    /// <param name="engine">The engine to tick.</param>
    /// <param name="spin">
    /// How long before a tick to stop sleeping and spin. Zero (the default) only sleeps, which costs up to about
    /// a millisecond of lateness per tick; a spin trades CPU time for punctuality.
    /// </param>
    public MixerClock(MixerEngine engine, TimeSpan spin = default)
    {
        _engine = engine ?? throw new ArgumentNullException(nameof(engine));
        _spinTicks = (long)(spin.TotalSeconds * Stopwatch.Frequency);
    }

    /// <summary>Called after every tick on the clock thread (e.g. a benchmark feeding the next packets); must not block.</summary>
    public Action<long>? AfterTick { get; init; }

    public void Start()
    {
        if (_thread is not null) throw new InvalidOperationException("already started");
        _stopping = false;
        _thread = new Thread(Run) { IsBackground = true, Name = "mixer-clock", Priority = ThreadPriority.AboveNormal };
        _thread.Start();
    }

    public void Stop()
    {
        if (_thread is null) return;
        _stopping = true;
        _thread.Join();
        _thread = null;
    }

    public void Dispose() => Stop();

    private void Run()
    {
        long next = Stopwatch.GetTimestamp() + _periodTicks;
        var spinner = new SpinWait();
        while (!_stopping)
        {
            long now = Stopwatch.GetTimestamp();
            long remaining = next - now;
            if (remaining > 0)
            {
                if (remaining > _spinTicks) Thread.Sleep(1);
                else spinner.SpinOnce(sleep1Threshold: -1);
                continue;
            }

            long behind = -remaining / _periodTicks;
            if (behind > MaxCatchUpTicks)
            {
                _engine.Counters.CountMissedTicks(behind);
                next += behind * _periodTicks;
            }

            try
            {
                _engine.Tick(now, next);
                AfterTick?.Invoke(next);
            }
            catch (Exception)
            {
                _engine.Counters.CountRoomError();
            }
            next += _periodTicks;
            spinner.Reset();
        }
    }
}

using Microsoft.Extensions.Time.Testing;
using OpenChat.SimulatedClients.Pacing;
using Xunit;

namespace OpenChat.SimulatedClients.Tests.Pacing;

public sealed class PacingTests
{
    [Fact]
    public void Frames_are_due_at_start_plus_k_periods_and_late_polls_get_the_missed_ones()
    {
        var schedule = new FrameSchedule(start: 1000, period: 20, maxBurst: 5);
        Assert.Equal((0L, 0), schedule.Take(999));
        Assert.Equal((0L, 1), schedule.Take(1000));
        Assert.Equal((1L, 0), schedule.Take(1019));
        // 25 late for frame 1 (due 1020): frames 1 and 2 (due 1040) both run now.
        Assert.Equal((1L, 2), schedule.Take(1045));
        Assert.Equal(1060, schedule.NextDue);
    }

    [Fact]
    public void Lateness_never_accumulates_into_drift()
    {
        var schedule = new FrameSchedule(start: 0, period: 20, maxBurst: 5);
        var random = new Random(7);
        long now = 0, frames = 0;
        while (frames < 10_000)
        {
            // A caller that always wakes up late, by 0 to 15 units, as a sleeping thread does.
            now = Math.Max(now, schedule.NextDue) + random.Next(0, 16);
            frames += schedule.Take(now).Count;
        }
        Assert.Equal(0, schedule.SkippedFrames);
        Assert.InRange(schedule.NextFrame, 10_000, 10_001);
        Assert.InRange(now, 200_000 - 20, 200_000 + 20);
    }

    [Fact]
    public void A_long_stall_sends_a_bounded_burst_and_skips_the_rest()
    {
        var schedule = new FrameSchedule(start: 0, period: 20, maxBurst: 5);
        Assert.Equal((0L, 1), schedule.Take(0));
        // Held up for 250 units: frames 1..12 are due, only the last five run.
        Assert.Equal((8L, 5), schedule.Take(250));
        Assert.Equal(7, schedule.SkippedFrames);
        Assert.Equal(260, schedule.NextDue);
    }

    /// <summary>A manual time source that knows when the clock's thread has seen the time it was moved to.</summary>
    private sealed class ManualTime : FakeTimeProvider
    {
        private long _target = long.MaxValue;
        private int _seen;

        public override long GetTimestamp()
        {
            long now = base.GetTimestamp();
            if (Thread.CurrentThread.Name == "loadgen-clock" && now >= Volatile.Read(ref _target)) Interlocked.Increment(ref _seen);
            return now;
        }

        /// <summary>Moves time on and returns once the clock has run everything due by then.</summary>
        public void AdvanceForClock(TimeSpan delta)
        {
            Volatile.Write(ref _seen, 0);
            Volatile.Write(ref _target, base.GetTimestamp() + (long)(delta.TotalSeconds * TimestampFrequency));
            Advance(delta);
            // The clock reads the time once per round: the first reading at the new time runs the frames due and
            // calls their subscribers, so by the second they have all been called.
            Assert.True(SpinWait.SpinUntil(() => Volatile.Read(ref _seen) >= 2, TimeSpan.FromSeconds(30)), "the clock stopped reading the time");
        }
    }

    [Fact]
    public void The_clock_runs_each_frame_exactly_when_its_time_source_reaches_it_and_bursts_and_skips_after_a_stall()
    {
        var time = new ManualTime();
        var period = TimeSpan.FromMilliseconds(20);
        using var clock = new FrameClock(period, time);
        var runs = new System.Collections.Concurrent.ConcurrentQueue<(long Frame, DateTimeOffset At)>();
        var start = time.GetUtcNow();
        using var subscription = clock.Subscribe(frame => runs.Enqueue((frame, time.GetUtcNow())));
        (long Frame, DateTimeOffset At) Next()
        {
            Assert.True(runs.TryDequeue(out var run), "no frame was run");
            return run;
        }

        // Frame k is due one period after subscribing and every period after: not a tick earlier, and at that very time.
        for (int k = 0; k < 30; k++)
        {
            time.AdvanceForClock(period - TimeSpan.FromMilliseconds(1));
            Assert.Empty(runs);
            time.AdvanceForClock(TimeSpan.FromMilliseconds(1));
            Assert.Equal((k, start + (k + 1) * period), Next());
            Assert.Empty(runs);
        }
        Assert.Equal(30, clock.FramesRun);
        Assert.Equal(0, clock.LateFrames);
        Assert.Equal(TimeSpan.Zero, clock.MaxLateness);

        // 45 ms on: the two frames due meanwhile run at once, 25 ms late.
        var now = start + 30 * period + TimeSpan.FromMilliseconds(45);
        time.AdvanceForClock(TimeSpan.FromMilliseconds(45));
        Assert.Equal([(30L, now), (31L, now)], [Next(), Next()]);
        Assert.Empty(runs);
        Assert.Equal(1, clock.LateFrames);
        Assert.Equal(TimeSpan.FromMilliseconds(25), clock.MaxLateness);
        Assert.Equal(TimeSpan.FromMilliseconds(25), clock.LongestHoldUp);
        clock.ResetLongestHoldUp();

        // Back on time: frame 32 is due 15 ms later.
        time.AdvanceForClock(TimeSpan.FromMilliseconds(15));
        Assert.Equal((32L, start + 33 * period), Next());

        // A 250 ms stall: frames 33 to 44 are due; the last five run, 90 ms late for the first of them, and 7 are skipped.
        now = start + 33 * period + TimeSpan.FromMilliseconds(250);
        time.AdvanceForClock(TimeSpan.FromMilliseconds(250));
        Assert.Equal(Enumerable.Range(40, 5).Select(f => ((long)f, now)), Enumerable.Range(0, 5).Select(_ => Next()));
        Assert.Empty(runs);
        Assert.Equal(7, clock.SkippedFrames);
        Assert.Equal(2, clock.LateFrames);
        Assert.Equal(TimeSpan.FromMilliseconds(90), clock.MaxLateness);
        // The hold-up counts from frame 33's due time, skipped frames included.
        Assert.Equal(TimeSpan.FromMilliseconds(230), clock.LongestHoldUp);
        Assert.Equal(38, clock.FramesRun);
        Assert.Equal(44, clock.CurrentFrame);
    }

    [Fact]
    public async Task Every_subscriber_gets_every_frame_from_one_thread()
    {
        using var clock = new FrameClock();
        var calls = new System.Collections.Concurrent.ConcurrentQueue<(char Who, long Frame, int Thread)>();
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        int secondCalls = 0;
        using (clock.Subscribe(f => calls.Enqueue(('a', f, Environment.CurrentManagedThreadId))))
        using (clock.Subscribe(f =>
               {
                   calls.Enqueue(('b', f, Environment.CurrentManagedThreadId));
                   if (Interlocked.Increment(ref secondCalls) == 20) done.TrySetResult();
               }))
        {
            await done.Task.WaitAsync(TimeSpan.FromSeconds(30));
        }
        var seen = calls.ToArray();
        // The first subscriber was there before the second, so it got every frame the second got.
        var first = seen.Where(c => c.Who == 'a').Select(c => c.Frame).ToHashSet();
        Assert.All(seen.Where(c => c.Who == 'b').Take(20), c => Assert.Contains(c.Frame, first));
        Assert.Single(seen.Select(c => c.Thread).Distinct());
    }
}

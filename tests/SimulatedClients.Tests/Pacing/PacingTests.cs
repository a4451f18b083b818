using System.Diagnostics;
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

    [Fact]
    public async Task The_clock_runs_frames_20_ms_apart_on_average_and_numbers_them_in_order()
    {
        using var clock = new FrameClock();
        const int wanted = 150;
        var stamps = new List<(long Frame, long Ticks)>();
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using (clock.Subscribe(frame =>
               {
                   stamps.Add((frame, Stopwatch.GetTimestamp()));
                   if (stamps.Count == wanted) done.TrySetResult();
               }))
        {
            await done.Task.WaitAsync(TimeSpan.FromSeconds(60));
        }
        var sample = stamps.Take(wanted).ToArray();

        // Numbers increase by one, except over frames the clock reports as skipped.
        long gaps = sample.Zip(sample.Skip(1), (a, b) => b.Frame - a.Frame - 1).Sum();
        Assert.All(sample.Zip(sample.Skip(1)), p => Assert.True(p.Second.Frame > p.First.Frame));
        Assert.True(gaps <= clock.SkippedFrames);

        // Least-squares slope of time over frame number: a late frame or two barely moves it; drift would.
        double meanX = sample.Average(s => (double)s.Frame), meanY = sample.Average(s => (double)s.Ticks);
        double sxy = sample.Sum(s => (s.Frame - meanX) * (s.Ticks - meanY)), sxx = sample.Sum(s => (s.Frame - meanX) * (s.Frame - meanX));
        double msPerFrame = sxy / sxx * 1000 / Stopwatch.Frequency;
        Assert.InRange(msPerFrame, 19.0, 21.0);
        Assert.True(clock.FramesRun >= wanted);
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

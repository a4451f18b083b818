using Microsoft.Playwright;

namespace OpenChat.TestSupport;

/// <summary>
/// Mouth-to-ear latency between two pages in one voice room, measured by the pages: the sender mixes a beep into
/// what it sends (<c>window.__openchat.beep</c>); one <see cref="AudioProbe"/> hears it in the sender's outgoing
/// audio and another in the receiver's incoming mix. Both probes run the same audio-thread measurement on the
/// machine's clock, so the difference is the path through the sender's encoder, the network, the mixer and the
/// receiver's jitter buffer and decoder, free of the probes' own delay and of both pages' output latency.
/// </summary>
public static class MouthToEar
{
    /// <param name="Lost">Beeps the receiver did not hear within <see cref="HearingWindow"/> of their sending.</param>
    public sealed record Result(IReadOnlyList<double> LatenciesMs, double ProbeDelayMs, int Lost)
    {
        public double Percentile(double p)
        {
            var sorted = LatenciesMs.Order().ToArray();
            return sorted[Math.Max(0, (int)Math.Ceiling(p / 100 * sorted.Length) - 1)];
        }

        public override string ToString() =>
            $"{LatenciesMs.Count} beeps: p50 {Percentile(50):0} ms, p95 {Percentile(95):0} ms, " +
            $"min {LatenciesMs.Min():0} ms, max {LatenciesMs.Max():0} ms, {Lost} not heard " +
            $"(the sender's probe heard each beep a median {ProbeDelayMs:0} ms after its scheduled output time)";
    }

    private const double BeepHz = 1500;
    private const double OnsetDb = -55;
    private const double QuietDb = -65;

    /// <summary>How long after a beep left the sender the receiver must hear it for it to count as heard, not lost.</summary>
    public static readonly TimeSpan HearingWindow = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Sends beeps, one after another, until <paramref name="beeps"/> were heard, and returns each one's latency. A beep
    /// not heard within <see cref="HearingWindow"/> counts as lost (on a machine loaded far past its cores one can be)
    /// and another is sent, up to <paramref name="beeps"/> lost; then the receiver is taken to hear nothing.
    /// </summary>
    public static async Task<Result> MeasureAsync(IPage sender, IPage receiver, int beeps = 20)
    {
        var sent = new AudioProbe(sender, AudioProbe.Sent, BeepHz);
        var heard = new AudioProbe(receiver, AudioProbe.Received, BeepHz);
        await sent.StartAsync();
        await heard.StartAsync();
        await Probe.UntilAsync(async () => (await heard.SamplesAsync()).Length > 100, TimeSpan.FromSeconds(30), "the receiver's probe to run");

        var latencies = new List<double>();
        var probeDelays = new List<double>();
        var lost = 0;
        while (latencies.Count < beeps)
        {
            var scheduledAt = await sender.EvaluateAsync<double>(
                $"() => performance.timeOrigin + window.__openchat.beep({{ frequency: {BeepHz}, durationMs: 250, gain: 0.6 }})");
            var sentAt = await OnsetAsync(sent, scheduledAt - 100, TimeSpan.FromSeconds(10))
                         ?? throw new TimeoutException("The sender's probe did not hear its own beep within 10 s.");
            probeDelays.Add(sentAt - scheduledAt);
            var heardAt = await OnsetAsync(heard, sentAt - 50, HearingWindow);
            if (heardAt is { } at) latencies.Add(at - sentAt);
            else if (++lost >= beeps)
                throw new TimeoutException($"The receiver heard {latencies.Count} of {latencies.Count + lost} beeps, each given {HearingWindow.TotalSeconds:0} s.");
            // Let the beep end and the mix go quiet at the beep's frequency before the next one.
            var endsAfter = (heardAt ?? sentAt) + 300;
            await Probe.UntilAsync(async () =>
            {
                var recent = await heard.SamplesAsync(endsAfter);
                return recent.Length > 20 && recent.TakeLast(20).All(s => s.Db[0] < QuietDb);
            }, TimeSpan.FromSeconds(10), "the beep to end");
        }
        return new Result(latencies, probeDelays.Order().ElementAt(probeDelays.Count / 2), lost);
    }

    /// <summary>
    /// The time of the first sample after <paramref name="since"/> with the beep's frequency above the onset level, or
    /// null if none came within <paramref name="patience"/>.
    /// </summary>
    private static async Task<double?> OnsetAsync(AudioProbe probe, double since, TimeSpan patience)
    {
        var deadline = DateTime.UtcNow + patience;
        while (true)
        {
            var at = (await probe.SamplesAsync(since)).FirstOrDefault(s => s.Db[0] > OnsetDb)?.T;
            if (at is not null) return at;
            if (DateTime.UtcNow > deadline) return null;
            await Task.Delay(100);
        }
    }
}

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
    public sealed record Result(IReadOnlyList<double> LatenciesMs, double ProbeDelayMs)
    {
        public double Percentile(double p)
        {
            var sorted = LatenciesMs.Order().ToArray();
            return sorted[Math.Max(0, (int)Math.Ceiling(p / 100 * sorted.Length) - 1)];
        }

        public override string ToString() =>
            $"{LatenciesMs.Count} beeps: p50 {Percentile(50):0} ms, p95 {Percentile(95):0} ms, " +
            $"min {LatenciesMs.Min():0} ms, max {LatenciesMs.Max():0} ms " +
            $"(the sender's probe heard each beep a median {ProbeDelayMs:0} ms after its scheduled output time)";
    }

    private const double BeepHz = 1500;
    private const double OnsetDb = -55;
    private const double QuietDb = -65;

    /// <summary>Sends <paramref name="beeps"/> beeps, one after another, and returns each one's latency.</summary>
    public static async Task<Result> MeasureAsync(IPage sender, IPage receiver, int beeps = 20)
    {
        var sent = new AudioProbe(sender, AudioProbe.Sent, BeepHz);
        var heard = new AudioProbe(receiver, AudioProbe.Received, BeepHz);
        await sent.StartAsync();
        await heard.StartAsync();
        await Probe.UntilAsync(async () => (await heard.SamplesAsync()).Length > 100, TimeSpan.FromSeconds(30), "the receiver's probe to run");

        var latencies = new List<double>();
        var probeDelays = new List<double>();
        for (var i = 0; i < beeps; i++)
        {
            var scheduledAt = await sender.EvaluateAsync<double>(
                $"() => performance.timeOrigin + window.__openchat.beep({{ frequency: {BeepHz}, durationMs: 250, gain: 0.6 }})");
            var sentAt = await OnsetAsync(sent, scheduledAt - 100, "the sender's probe to hear the beep");
            var heardAt = await OnsetAsync(heard, sentAt - 50, "the receiver to hear the beep");
            latencies.Add(heardAt - sentAt);
            probeDelays.Add(sentAt - scheduledAt);
            // Let the beep end and the mix go quiet at the beep's frequency before the next one.
            await Probe.UntilAsync(async () =>
            {
                var recent = await heard.SamplesAsync(heardAt + 300);
                return recent.Length > 20 && recent.TakeLast(20).All(s => s.Db[0] < QuietDb);
            }, TimeSpan.FromSeconds(10), "the beep to end");
        }
        return new Result(latencies, probeDelays.Order().ElementAt(probeDelays.Count / 2));
    }

    /// <summary>The time of the first sample after <paramref name="since"/> with the beep's frequency above the onset level.</summary>
    private static async Task<double> OnsetAsync(AudioProbe probe, double since, string what)
    {
        double? at = null;
        await Probe.UntilAsync(async () =>
        {
            at = (await probe.SamplesAsync(since)).FirstOrDefault(s => s.Db[0] > OnsetDb)?.T;
            return at is not null;
        }, TimeSpan.FromSeconds(10), what);
        return at!.Value;
    }
}

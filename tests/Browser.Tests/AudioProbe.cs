using System.Text.Json;
using Microsoft.Playwright;

namespace OpenChat.Browser.Tests;

/// <summary>
/// Listens, inside a page, to the room's mix the client plays (<c>window.__openchat.remoteStream</c>): every
/// 5 ms it records the time (the machine's clock, in ms since 1970, as <c>performance.timeOrigin + now</c>), the
/// RMS level and the level of a few frequencies. Tests read the record back to find tones, silence and beeps.
/// </summary>
public sealed class AudioProbe(IPage page)
{
    public sealed record Sample(double T, double Rms, double[] Db);

    private const string Install = """
        (frequencies) => {
          const hook = window.__openchat;
          if (!hook || !hook.remoteStream) throw new Error('no remote stream yet');
          const ctx = new AudioContext();
          const analyser = ctx.createAnalyser();
          analyser.fftSize = 1024;
          analyser.smoothingTimeConstant = 0;
          let source = ctx.createMediaStreamSource(hook.remoteStream);
          let stream = hook.remoteStream;
          source.connect(analyser);
          const bins = new Float32Array(analyser.frequencyBinCount);
          const wave = new Float32Array(analyser.fftSize);
          const samples = [];
          const level = f => {
            const i = Math.round(f * analyser.fftSize / ctx.sampleRate);
            return Math.max(bins[i - 1], bins[i], bins[i + 1]);
          };
          const tick = () => {
            if (hook.remoteStream && hook.remoteStream !== stream) {
              source.disconnect();
              stream = hook.remoteStream;
              source = ctx.createMediaStreamSource(stream);
              source.connect(analyser);
            }
            analyser.getFloatFrequencyData(bins);
            analyser.getFloatTimeDomainData(wave);
            let sum = 0;
            for (const v of wave) sum += v * v;
            samples.push({ t: performance.timeOrigin + performance.now(),
                           rms: 10 * Math.log10(sum / wave.length + 1e-12),
                           db: frequencies.map(level) });
            if (samples.length > 40000) samples.splice(0, 10000);
          };
          window.__probe = { samples, timer: setInterval(tick, 5) };
          return ctx.resume().then(() => ctx.sampleRate);
        }
        """;

    private readonly double[] _frequencies = [];

    public AudioProbe(IPage page, params double[] frequencies) : this(page) => _frequencies = frequencies;

    /// <summary>Starts listening (the client must be playing a voice session).</summary>
    public async Task StartAsync() => await page.EvaluateAsync<double>(Install, _frequencies);

    /// <summary>Samples recorded after <paramref name="sinceEpochMs"/>.</summary>
    public async Task<Sample[]> SamplesAsync(double sinceEpochMs = 0)
    {
        var json = await page.EvaluateAsync<string>(
            "(since) => JSON.stringify(window.__probe.samples.filter(s => s.t > since))", sinceEpochMs);
        using var doc = JsonDocument.Parse(json);
        return doc.RootElement.EnumerateArray().Select(e => new Sample(
            e.GetProperty("t").GetDouble(),
            e.GetProperty("rms").GetDouble(),
            e.GetProperty("db").EnumerateArray().Select(d => d.ValueKind == JsonValueKind.Number ? d.GetDouble() : -200).ToArray())).ToArray();
    }

    /// <summary>The page's clock now, in ms since 1970.</summary>
    public static Task<double> NowAsync(IPage page) => page.EvaluateAsync<double>("() => performance.timeOrigin + performance.now()");
}

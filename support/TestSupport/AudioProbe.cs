using System.Text.Json;
using Microsoft.Playwright;

namespace OpenChat.TestSupport;

/// <summary>
/// Listens, inside a page, to the room's mix the client plays (<c>window.__openchat.remoteStream</c>) or to what
/// it sends (<c>localStream</c>); a page holds at most one probe of each. An AudioWorklet measures on the audio
/// thread: every 256 samples (5.3 ms at 48 kHz) it takes the last 1,024
/// samples, Blackman-windowed, and records their RMS level and the level of a few frequencies (Goertzel, on the
/// scale of an AnalyserNode's frequency data). Each record carries the audio clock time of the window's last
/// sample, mapped to the machine's clock (ms since 1970, as <c>performance.timeOrigin + now</c>) through the
/// context's output timestamp, so a busy page thread delays the records but does not move them in time.
/// </summary>
public sealed class AudioProbe(IPage page, string stream = AudioProbe.Received)
{
    /// <summary>The room's mix as the page receives it.</summary>
    public const string Received = "remoteStream";

    /// <summary>What the page sends: its microphone and beeps, before encoding.</summary>
    public const string Sent = "localStream";

    /// <summary>
    /// The received stream of the page's newest peer connection from its <c>track</c> event on (when the answer is
    /// applied, before ICE and DTLS), where <see cref="Received"/> shows a session only once it is connected: a probe on
    /// it moves to a new session's stream at that event and misses none of its first audio. Needs <see cref="FollowArrivingStreamsAsync"/>.
    /// </summary>
    public const string Arriving = "arrivingStream";

    /// <summary>
    /// Makes the page keep <see cref="Arriving"/> and the newest peer connection's timeline (ms since 1970: <c>created</c>,
    /// <c>gathered</c> when ICE gathering completed, <c>sent</c> when the page read its offer to send it, <c>answered</c>
    /// when the answer is applied, <c>connected</c>) in <c>window.__arriving</c>; for peer connections
    /// the page creates from now on. Until the first, <see cref="Arriving"/> is a silent stream. A probe records in <c>window.__probes[NAME].switched</c> when it last moved to a new stream.
    /// </summary>
    public static Task FollowArrivingStreamsAsync(IPage page) => page.EvaluateAsync("""
        () => {
          if (window.__arriving) return;
          const now = () => performance.timeOrigin + performance.now();
          // Silence until the first peer connection's track, so that a probe can listen before the first join.
          const silence = new AudioContext().createMediaStreamDestination().stream;
          window.__arriving = { stream: silence };
          const Native = window.RTCPeerConnection;
          window.RTCPeerConnection = class extends Native {
            constructor(...args) {
              super(...args);
              const timeline = { stream: null, created: now(), gathered: null, sent: null, answered: null, connected: null };
              window.__arriving = timeline;
              this.__timeline = timeline;
              this.addEventListener('signalingstatechange', () => { if (this.signalingState === 'stable' && !timeline.answered) timeline.answered = now(); });
              this.addEventListener('connectionstatechange', () => { if (this.connectionState === 'connected' && !timeline.connected) timeline.connected = now(); });
              this.addEventListener('icegatheringstatechange', () => { if (this.iceGatheringState === 'complete' && !timeline.gathered) timeline.gathered = now(); });
              this.addEventListener('track', e => {
                timeline.stream = e.streams[0] ?? new MediaStream([e.track]);
                // A probe on this stream moves to it now, not at its next poll.
                const probe = window.__probes && window.__probes.arrivingStream;
                if (probe) probe.follow();
              });
            }
            // The client reads its offer once, when it sends it (after gathering, or the wait for it).
            get localDescription() {
              const description = super.localDescription;
              const timeline = this.__timeline;
              if (timeline && description && description.type === 'offer' && this.signalingState === 'have-local-offer' && !timeline.sent) timeline.sent = now();
              return description;
            }
          };
        }
        """);

    public sealed record Sample(double T, double Rms, double[] Db);

    /// <summary>
    /// The level above which a probe's frequency counts as heard. A tone from <see cref="WebClientDriver.LaunchAsync"/>'s
    /// fake microphone measures about -41 dB on this scale, both where it is sent and, arriving whole, where it is
    /// played; at this level a window still counts when the codec or the receiver's concealment on a busy machine
    /// took a few dB off it, while the 20 dB the tests also ask over the listener's own tone keeps it specific.
    /// </summary>
    public const double ToneHeardDb = -50;

    private const string Worklet = """
        class Probe extends AudioWorkletProcessor {
          constructor(options) {
            super();
            this.window = 1024; this.hop = 256;
            this.ring = new Float32Array(this.window); this.at = 0; this.sinceHop = 0;
            this.blackman = new Float32Array(this.window);
            for (let n = 0; n < this.window; n++)
              this.blackman[n] = 0.42 - 0.5 * Math.cos(2 * Math.PI * n / this.window) + 0.08 * Math.cos(4 * Math.PI * n / this.window);
            this.coefficients = options.processorOptions.frequencies.map(f => 2 * Math.cos(2 * Math.PI * f / sampleRate));
          }
          process(inputs) {
            const channel = inputs[0][0];
            const length = channel ? channel.length : 128;
            for (let i = 0; i < length; i++) {
              this.ring[this.at] = channel ? channel[i] : 0;
              this.at = (this.at + 1) % this.window;
              if (++this.sinceHop < this.hop) continue;
              this.sinceHop = 0;
              let sum = 0;
              const s1 = new Float64Array(this.coefficients.length), s2 = new Float64Array(this.coefficients.length);
              for (let n = 0; n < this.window; n++) {
                const raw = this.ring[(this.at + n) % this.window];
                sum += raw * raw;
                const x = raw * this.blackman[n];
                for (let k = 0; k < this.coefficients.length; k++) {
                  const s0 = x + this.coefficients[k] * s1[k] - s2[k];
                  s2[k] = s1[k]; s1[k] = s0;
                }
              }
              const db = this.coefficients.map((c, k) => {
                const power = s1[k] * s1[k] + s2[k] * s2[k] - c * s1[k] * s2[k];
                return 10 * Math.log10(power / (this.window * this.window) + 1e-20);
              });
              this.port.postMessage({ t: currentTime + (i + 1) / sampleRate, rms: 10 * Math.log10(sum / this.window + 1e-12), db });
            }
            return true;
          }
        }
        registerProcessor('openchat-probe', Probe);
        """;

    private const string Install = """
        async ([name, frequencies, worklet]) => {
          const hook = name === 'arrivingStream' ? { get arrivingStream() { return window.__arriving && window.__arriving.stream; } } : window.__openchat;
          if (!hook || !hook[name]) throw new Error('no ' + name + ' yet');
          const ctx = new AudioContext();
          const url = URL.createObjectURL(new Blob([worklet], { type: 'text/javascript' }));
          await ctx.audioWorklet.addModule(url);
          URL.revokeObjectURL(url);
          const node = new AudioWorkletNode(ctx, 'openchat-probe',
            { numberOfInputs: 1, numberOfOutputs: 0, channelCount: 1, channelCountMode: 'explicit', processorOptions: { frequencies } });
          let stream = hook[name];
          let source = ctx.createMediaStreamSource(stream);
          source.connect(node);
          const samples = [];
          // Audio clock (s) to machine clock (ms since 1970).
          const toEpoch = t => {
            const stamp = ctx.getOutputTimestamp();
            const base = stamp.performanceTime > 0
              ? stamp.performanceTime + (t - stamp.contextTime) * 1000
              : performance.now() + (t - ctx.currentTime) * 1000;
            return performance.timeOrigin + base;
          };
          node.port.onmessage = e => {
            samples.push({ t: toEpoch(e.data.t), rms: e.data.rms, db: e.data.db });
            if (samples.length > 40000) samples.splice(0, 10000);
          };
          const follow = () => {
            if (hook[name] && hook[name] !== stream) {
              source.disconnect();
              stream = hook[name];
              source = ctx.createMediaStreamSource(stream);
              source.connect(node);
              window.__probes[name].switched = performance.timeOrigin + performance.now();
            }
          };
          window.__probes = window.__probes || {};
          window.__probes[name] = { samples, follow, timer: setInterval(follow, 50) };
          await ctx.resume();
          return ctx.sampleRate;
        }
        """;

    private readonly double[] _frequencies = [];

    public AudioProbe(IPage page, params double[] frequencies) : this(page, Received) => _frequencies = frequencies;

    public AudioProbe(IPage page, string stream, params double[] frequencies) : this(page, stream) => _frequencies = frequencies;

    /// <summary>Starts listening (the client must be playing a voice session).</summary>
    /// <remarks>
    /// The worklet's module is a blob: URL, which the page's policy admits only on a page that
    /// <see cref="WebClientDriver.SignInAsync"/> opened with <c>audioProbes</c>.
    /// </remarks>
    public async Task StartAsync() => await page.EvaluateAsync<double>(Install, new object[] { stream, _frequencies, Worklet });

    /// <summary>Samples recorded after <paramref name="sinceEpochMs"/>.</summary>
    public async Task<Sample[]> SamplesAsync(double sinceEpochMs = 0)
    {
        var json = await page.EvaluateAsync<string>(
            "([name, since]) => JSON.stringify(window.__probes[name].samples.filter(s => s.t > since))", new object[] { stream, sinceEpochMs });
        using var doc = JsonDocument.Parse(json);
        return doc.RootElement.EnumerateArray().Select(e => new Sample(
            e.GetProperty("t").GetDouble(),
            e.GetProperty("rms").GetDouble(),
            e.GetProperty("db").EnumerateArray().Select(d => d.ValueKind == JsonValueKind.Number ? d.GetDouble() : -200).ToArray())).ToArray();
    }

    /// <summary>
    /// What the page's voice peer connection has played so far (its audio <c>inbound-rtp</c> statistics): the seconds
    /// its jitter buffer held the samples it emitted, summed, and how many it emitted; the RTP packets it received and
    /// those it counts as lost (gaps in their sequence numbers).
    /// </summary>
    public sealed record Playout(double DelaySeconds, double Emitted, double PacketsReceived, double PacketsLost)
    {
        /// <summary>The mean time the samples emitted since <paramref name="earlier"/> spent in the jitter buffer, in ms.</summary>
        public double MeanDelayMsSince(Playout earlier) =>
            Emitted > earlier.Emitted ? (DelaySeconds - earlier.DelaySeconds) / (Emitted - earlier.Emitted) * 1000 : 0;
    }

    /// <summary>The page's <see cref="Playout"/> now.</summary>
    public static async Task<Playout> PlayoutAsync(IPage page)
    {
        var values = await page.EvaluateAsync<double[]>("""
            async () => {
              const pc = window.__openchat && window.__openchat.peerConnection;
              if (!pc) throw new Error('no voice peer connection');
              for (const s of (await pc.getStats()).values())
                if (s.type === 'inbound-rtp' && s.kind === 'audio')
                  return [s.jitterBufferDelay ?? 0, s.jitterBufferEmittedCount ?? 0, s.packetsReceived ?? 0, s.packetsLost ?? 0];
              return [0, 0, 0, 0];
            }
            """);
        return new Playout(values[0], values[1], values[2], values[3]);
    }

    /// <summary>The page's clock now, in ms since 1970.</summary>
    public static Task<double> NowAsync(IPage page) => page.EvaluateAsync<double>("() => performance.timeOrigin + performance.now()");
}

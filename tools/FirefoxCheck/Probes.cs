namespace OpenChat.FirefoxCheck;

/// <summary>The scripts the tool runs in Firefox's page over BiDi (each returns a string, JSON where it matters).</summary>
internal static class Probes
{
    private const string Until = """
        const until = async (f, ms, what) => {
          const end = performance.now() + ms;
          for (;;) {
            const v = f();
            if (v) return v;
            if (performance.now() > end) throw new Error('timed out waiting for ' + what);
            await new Promise(r => setTimeout(r, 20));
          }
        };
        """;

    /// <summary>Types the display name (through the input's own value setter, as typing does), presses Join, waits for the composer.</summary>
    public static string SignIn(string name) => $$"""
        (async () => {
          {{Until}}
          const input = await until(() => document.getElementById('display-name'), 20000, 'the join form');
          Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value').set.call(input, {{System.Text.Json.JsonSerializer.Serialize(name)}});
          input.dispatchEvent(new Event('input', { bubbles: true }));
          [...document.querySelectorAll('button')].find(b => b.textContent.trim() === 'Join').click();
          await until(() => document.querySelector('[aria-label="Message"]'), 20000, 'the message box');
          return String(window.isSecureContext);
        })()
        """;

    /// <summary>
    /// Clicks the first voice channel, waits until the voice panel says connected, then listens to the room's mix
    /// (<c>window.__openchat.remoteStream</c>) with an AnalyserNode every 20 ms: the levels at 660 Hz (the Chromium
    /// member's tone) and 1 kHz (Firefox's fake microphone), in dB on the AnalyserNode's scale. Returns the click and
    /// connected times (ms since 1970) and the audio context's state.
    /// </summary>
    public const string JoinVoiceAndListen = $$"""
        (async () => {
          {{Until}}
          const button = await until(() => document.querySelector('button[aria-label^="Voice channel"]'), 10000, 'a voice channel');
          // Watch every peer connection the page makes (the client shows one only once it connected).
          const Original = window.RTCPeerConnection;
          window.__foxPcs = [];
          window.RTCPeerConnection = class extends Original {
            constructor(...args) {
              super(...args);
              const made = performance.now(), events = [];
              window.__foxPcs.push({ pc: this, events });
              const note = what => events.push(`${Math.round(performance.now() - made)} ms ${what}`);
              this.addEventListener('icegatheringstatechange', () => note('gathering ' + this.iceGatheringState));
              this.addEventListener('iceconnectionstatechange', () => note('ice ' + this.iceConnectionState));
              this.addEventListener('connectionstatechange', () => note('connection ' + this.connectionState));
              this.addEventListener('icecandidate', e => note('candidate ' + (e.candidate?.candidate ?? 'end')));
            }
          };
          const clicked = performance.timeOrigin + performance.now();
          button.click();
          await until(() => document.querySelector('[data-voice-phase="connected"]'), 45000, 'the voice panel to say connected');
          const connected = performance.timeOrigin + performance.now();
          const hook = window.__openchat;
          const ctx = new AudioContext();
          const analyser = ctx.createAnalyser();
          analyser.fftSize = 2048;
          analyser.smoothingTimeConstant = 0;
          const bins = new Float32Array(analyser.frequencyBinCount);
          let stream = await until(() => hook.remoteStream, 10000, 'the remote stream');
          let source = ctx.createMediaStreamSource(stream);
          source.connect(analyser);
          const level = f => {
            const i = Math.round(f * analyser.fftSize / ctx.sampleRate);
            return Math.max(bins[i - 1], bins[i], bins[i + 1]);
          };
          const samples = [];
          const timer = setInterval(() => {
            if (hook.remoteStream && hook.remoteStream !== stream) {
              source.disconnect();
              stream = hook.remoteStream;
              source = ctx.createMediaStreamSource(stream);
              source.connect(analyser);
            }
            analyser.getFloatFrequencyData(bins);
            samples.push({ t: performance.timeOrigin + performance.now(), a: level(660), b: level(1000) });
            if (samples.length > 5000) samples.splice(0, 1000);
          }, 20);
          window.__foxProbe = { samples, timer };
          await ctx.resume();
          return JSON.stringify({ clicked, connected, state: ctx.state, rate: ctx.sampleRate });
        })()
        """;

    /// <summary>What the page shows and knows of voice when something went wrong.</summary>
    public const string Diagnosis = """
        (async () => {
          const hook = window.__openchat;
          const pc = hook?.peerConnection;
          const test = new AudioContext();
          const resumed = await Promise.race([test.resume().then(() => 'resolved'), new Promise(r => setTimeout(() => r('still pending after 3 s'), 3000))]);
          return JSON.stringify({
            freshAudioContext: { resume: resumed, state: test.state },
            panel: document.querySelector('[data-voice-phase]')?.innerText ?? null,
            phase: document.querySelector('[data-voice-phase]')?.getAttribute('data-voice-phase') ?? null,
            voice: hook?.voice ?? null,
            pc: pc ? { signaling: pc.signalingState, ice: pc.iceConnectionState, gathering: pc.iceGatheringState, connection: pc.connectionState } : null,
            watched: (window.__foxPcs ?? []).map(w => ({
              servers: w.pc.getConfiguration().iceServers?.map(i => [i.urls].flat().join(' ')) ?? [],
              events: w.events })),
          });
        })()
        """;

    /// <summary>The probe's samples after <paramref name="sinceEpochMs"/>: <c>[{t, a: dB at 660 Hz, b: dB at 1 kHz}]</c>.</summary>
    public static string Samples(double sinceEpochMs) =>
        $"JSON.stringify(window.__foxProbe.samples.filter(s => s.t > {sinceEpochMs:0.###}).map(s => ({{ t: s.t, a: Math.max(s.a, -200), b: Math.max(s.b, -200) }})))";

    /// <summary>
    /// What the voice peer connection gathered and chose: local and remote candidates (getStats and the SDP lines),
    /// every candidate pair with its state, the selected pair (Firefox marks it <c>selected</c>; the transport's
    /// <c>selectedCandidatePairId</c> where there is one), and the connection's states.
    /// </summary>
    public const string Path = """
        (async () => {
          const watched = window.__foxPcs ?? [];
          const pc = window.__openchat.peerConnection ?? watched.at(-1)?.pc;
          const events = watched.find(w => w.pc === pc)?.events ?? [];
          const stats = [...(await pc.getStats()).values()];
          const byId = new Map(stats.map(s => [s.id, s]));
          const show = c => c ? `${c.protocol}${c.tcpType ? '/' + c.tcpType : ''} ${c.candidateType} ${c.address}:${c.port}${c.relayProtocol ? ' via ' + c.relayProtocol : ''}` : '?';
          const pairs = stats.filter(s => s.type === 'candidate-pair').map(p => ({
            id: p.id, local: show(byId.get(p.localCandidateId)), remote: show(byId.get(p.remoteCandidateId)),
            protocol: byId.get(p.localCandidateId)?.protocol ?? '?',
            state: p.state, nominated: !!p.nominated, selected: !!p.selected,
            sent: p.bytesSent ?? 0, received: p.bytesReceived ?? 0 }));
          const transport = stats.find(s => s.type === 'transport');
          const chosen = pairs.find(p => transport && p.id === transport.selectedCandidatePairId) ?? pairs.find(p => p.selected) ?? null;
          const lines = sdp => (sdp ?? '').split(/\r?\n/).filter(l => l.startsWith('a=candidate'));
          return JSON.stringify({
            local: stats.filter(s => s.type === 'local-candidate').map(show),
            remote: stats.filter(s => s.type === 'remote-candidate').map(show),
            localSdp: lines(pc.localDescription?.sdp), remoteSdp: lines(pc.remoteDescription?.sdp),
            pairs, selected: chosen,
            ice: pc.iceConnectionState, connection: pc.connectionState, events, made: watched.length,
            transport: transport ? { dtls: transport.dtlsState, tls: transport.tlsVersion, cipher: transport.dtlsCipher, srtp: transport.srtpCipher } : null,
          });
        })()
        """;
}

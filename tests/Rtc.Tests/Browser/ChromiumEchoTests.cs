using System.Net;
using System.Text.Json;
using Microsoft.Playwright;
using OpenChat.TestSupport;
using OpenChat.Rtc.Transport;
using Xunit;
using Xunit.Abstractions;

namespace OpenChat.Rtc.Tests.Browser;

/// <summary>
/// Headless Chromium with a fake microphone playing a 440 Hz tone offers to an echo endpoint built on our
/// library; the page checks that what comes back peaks at 440 Hz. Everything stays on 127.0.0.1.
/// </summary>
[Collection(NetworkCollection.Name)]
public class ChromiumEchoTests(ITestOutputHelper output)
{
    private const double ToneHz = 440;

    private const string PageUrl = "http://127.0.0.1:9/echo.html";

    private const string PageHtml = """
        <!doctype html><html><body><audio id="remote" muted autoplay></audio><script>
        window.runEcho = async () => {
          const t0 = performance.now();
          const stream = await navigator.mediaDevices.getUserMedia(
            { audio: { echoCancellation: false, noiseSuppression: false, autoGainControl: false } });
          const pc = new RTCPeerConnection({ iceServers: [] });
          stream.getTracks().forEach(t => pc.addTrack(t, stream));
          const remoteStream = new Promise(resolve => pc.ontrack = e => resolve(e.streams[0] || new MediaStream([e.track])));
          let iceAt = null;
          const iceConnected = new Promise(resolve => pc.oniceconnectionstatechange = () => {
            if (pc.iceConnectionState === 'connected' || pc.iceConnectionState === 'completed') { iceAt ??= performance.now(); resolve(); }
          });
          const offer = await pc.createOffer();
          await pc.setLocalDescription(offer);
          const offerAt = performance.now();
          const answer = await window.exchangeSdp(offer.sdp);
          await pc.setRemoteDescription({ type: 'answer', sdp: answer });
          await iceConnected;
          const rs = await remoteStream;
          const el = document.getElementById('remote');
          el.srcObject = rs;
          el.play().catch(() => {});
          const ctx = new AudioContext();
          await ctx.resume();
          const analyser = ctx.createAnalyser();
          analyser.fftSize = 8192;
          analyser.smoothingTimeConstant = 0;
          ctx.createMediaStreamSource(rs).connect(analyser);
          const bins = new Float32Array(analyser.frequencyBinCount);
          let firstAudioAt = null, peakHz = 0, peakDb = -Infinity, agree = 0;
          const deadline = performance.now() + 15000;
          while (performance.now() < deadline) {
            await new Promise(r => setTimeout(r, 100));
            analyser.getFloatFrequencyData(bins);
            let best = 0;
            for (let i = 1; i < bins.length; i++) if (bins[i] > bins[best]) best = i;
            const db = bins[best];
            if (db > -70) {
              firstAudioAt ??= performance.now();
              peakHz = best * ctx.sampleRate / analyser.fftSize;
              peakDb = db;
              if (Math.abs(peakHz - 440) <= 15) { if (++agree >= 5) break; } else agree = 0;
            }
          }
          pc.close();
          return JSON.stringify({ peakHz, peakDb, agree,
            offerToIceMs: iceAt - offerAt, offerToAudioMs: firstAudioAt === null ? null : firstAudioAt - offerAt,
            ice: pc.iceConnectionState });
        };
        </script></body></html>
        """;

    [Fact]
    public async Task Chromium_hears_its_440_hz_tone_echoed_through_our_endpoint()
    {
        var work = Directory.CreateTempSubdirectory("openchat-rtc-chromium-");
        try
        {
            var wav = Path.Combine(work.FullName, "tone440.wav");
            ToneWav.Write(wav, ToneHz);

            // The echo endpoint: bound to loopback, candidate 127.0.0.1, and it never answers a check from elsewhere.
            using var endpoint = new RtcEndpoint(new RtcEndpointOptions
            {
                BindAddress = IPAddress.Loopback,
                AdvertisedAddress = IPAddress.Loopback,
                AcceptRemote = ep => IPAddress.IsLoopback(ep.Address),
            });
            RtcSession? session = null;
            long echoed = 0;
            var options = new RtcSessionOptions
            {
                AudioReceived = (s, in frame) =>
                {
                    if (s.SendAudio(frame.Payload, frame.Timestamp, frame.Marker, frame.AudioLevel))
                    {
                        Interlocked.Increment(ref echoed);
                    }
                },
            };

            using var playwright = await Playwright.CreateAsync();
            await using var browser = await Chromium.LaunchAsync(playwright, wav);
            await using var context = await browser.NewContextAsync();
            var page = await context.NewPageAsync();
            page.Console += (_, m) => output.WriteLine("console: " + m.Text);
            // The page is served by Playwright's router, so no HTTP traffic exists at all.
            await page.RouteAsync(PageUrl, route => route.FulfillAsync(new RouteFulfillOptions { ContentType = "text/html", Body = PageHtml }));
            await page.ExposeFunctionAsync("exchangeSdp", (string offer) =>
            {
                var answer = endpoint.AcceptOffer(offer, options);
                session = answer.Session;
                return answer.Sdp;
            });
            await page.GotoAsync(PageUrl);
            var json = await page.EvaluateAsync<string>("() => window.runEcho()").WaitAsync(TimeSpan.FromSeconds(60));
            output.WriteLine(json);
            using var result = JsonDocument.Parse(json);
            double peakHz = result.RootElement.GetProperty("peakHz").GetDouble();
            output.WriteLine($"offer to ICE connected: {result.RootElement.GetProperty("offerToIceMs").GetDouble():0} ms (page clock)");
            var audioMs = result.RootElement.GetProperty("offerToAudioMs");
            output.WriteLine($"offer to first audio back: {(audioMs.ValueKind == JsonValueKind.Number ? audioMs.GetDouble().ToString("0") : "never")} ms (page clock)");
            output.WriteLine($"server: ICE {session?.TimeToIceConnected?.TotalMilliseconds:0.0} ms, DTLS {session?.TimeToConnected?.TotalMilliseconds:0.0} ms, first audio {session?.TimeToFirstAudio?.TotalMilliseconds:0.0} ms after the answer; {Interlocked.Read(ref echoed)} packets echoed, profile {session?.SrtpProfile}");
            output.WriteLine($"endpoint: answered {endpoint.Statistics.StunAnswered} checks, filtered {endpoint.Statistics.StunFiltered} non-loopback checks, " +
                $"{endpoint.Statistics.DtlsCookieExchanges} cookie exchanges, {endpoint.Statistics.DroppedUnknownSource} dropped from unknown sources; " +
                $"session {session?.State} {session?.CloseReason}");

            Assert.NotNull(session);
            Assert.True(Interlocked.Read(ref echoed) > 0, "nothing was echoed");
            Assert.Equal(0, session!.Statistics.SrtpRejected);
            Assert.InRange(peakHz, ToneHz - 15, ToneHz + 15);
            Assert.True(result.RootElement.GetProperty("agree").GetInt32() >= 5, "the 440 Hz peak was not steady");
        }
        finally
        {
            work.Delete(recursive: true);
        }
    }
}

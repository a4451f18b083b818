using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Microsoft.Playwright;
using OpenChat.TestSupport;
using OpenChat.TestSupport.PodNetwork;
using Xunit;
using Xunit.Abstractions;

namespace OpenChat.Network.Tests.Turn;

/// <summary>
/// Browsers on a network that lets out only TCP to port 443 of the server and of coturn (nftables in their namespace
/// drop everything else, all UDP included) talk through coturn's TLS listener on 443, trusting its certificate
/// through the test CA in their NSS database: the server hands them credentials that expire within seconds, and the
/// call goes on past the expiry because the client moves to fresh ones in time and releases the old allocation.
/// </summary>
[Collection(ClientNetworks.Name)]
public sealed class TurnOnlyBrowserTests(ITestOutputHelper output)
{
    private const string Secret = "turn-only-test-secret-0123456789";
    private static readonly string AdminKey = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
    private static readonly TimeSpan Lifetime = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Chromium_allowed_only_TCP_443_talks_through_coturn_over_TLS_and_outlives_its_credential()
    {
        var started = Stopwatch.StartNew();
        var folder = Probe.NewTempDirectory("turn-only");
        await using var network = await SimulatedNetwork.CreateAsync(SimulatedNetwork.PrefixForProcess("otn"));
        var server = await network.AddHostAsync("server");
        var turn = await network.AddHostAsync("turn");
        var clients = await network.AddHostAsync("clients");
        var baseUrl = $"http://{server.Address}:443";
        await AllowOnlyTls443Async(clients, server.Address, turn.Address);

        var tls = TestCertificates.TlsServerPem(folder, turn.Address);
        var home = TestCertificates.HomeTrusting(folder, tls.CaCertificate);
        await using var coturn = await Coturn.StartAsync(folder,
        [
            .. Coturn.Settings(Secret, turn.Address.ToString(), server.Address.ToString(), folder),
            .. Coturn.TlsOn443(tls),
            "verbose",
        ], turn.Namespace);

        var openChat = server.InNamespace(() => ServerProcess.Start("server", new Dictionary<string, string>
        {
            ["OpenChat__DataDirectory"] = Path.Combine(folder, "data"),
            ["OpenChat__Cluster__Port"] = "0",
            ["Kestrel__Endpoints__Web__Url"] = baseUrl,
            ["OpenChat__Media__RtcBindAddress"] = server.Address.ToString(),
            ["OpenChat__Media__TurnServers__0"] = $"turns:{turn.Address}:443?transport=tcp",
            ["OpenChat__Media__TurnSecret"] = Secret,
            ["OpenChat__Media__TurnCredentialLifetime"] = Lifetime.ToString("c"),
            ["OpenChat__Auth__AdminKey"] = AdminKey,
        }));
        await using var _ = openChat;
        using var playwright = await Chromium.PlaywrightInNamespaceAsync(clients.Namespace, home);
        var app = new WebClientDriver(playwright, baseUrl, folder);
        var pages = new List<IPage>();
        try
        {
            await WaitReadyAsync(clients, server.Address, openChat);
            var alice = await app.SignInAsync(await app.LaunchAsync(440, networkNamespace: clients.Namespace, alsoReachable: [turn.Address.ToString()]), "Alice", audioProbes: true);
            var bob = await app.SignInAsync(await app.LaunchAsync(660, networkNamespace: clients.Namespace, alsoReachable: [turn.Address.ToString()]), "Bob", audioProbes: true);
            pages.AddRange([alice, bob]);
            await WebClientDriver.JoinVoiceAsync(alice, "Lounge");
            await WebClientDriver.JoinVoiceAsync(bob, "Lounge");
            output.WriteLine($"{started.Elapsed.TotalSeconds:0.0} s: both in voice");

            // Every packet goes through coturn over TLS: the only candidate pair that can work.
            Assert.Equal("relay/tls", await SelectedLocalCandidateAsync(alice));
            Assert.Equal("relay/tls", await SelectedLocalCandidateAsync(bob));
            await Assertions.Expect(alice.GetByRole(AriaRole.Status, new() { Name = "Connection quality" }))
                .ToContainTextAsync("Relayed (TLS)", new() { Timeout = 15_000 });
            // The media node knows the relay by the address in the TURN URL: operators see both members relayed.
            using (var admin = NamespaceHttp.Create(server.Namespace))
            {
                admin.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", AdminKey);
                string[] paths = [];
                await Probe.UntilAsync(async () =>
                {
                    var rooms = System.Text.Json.JsonDocument.Parse(await admin.GetStringAsync(baseUrl + "/api/admin/voice")).RootElement;
                    paths = rooms.EnumerateArray().SelectMany(r => r.GetProperty("members").EnumerateArray())
                        .Select(m => m.GetProperty("path").GetString() ?? "none").ToArray();
                    return paths.Length == 2 && paths.All(p => p == "relay");
                }, TimeSpan.FromSeconds(15), "the admin voice list to show both members relayed");
            }
            var firstUsername = await TurnUsernameAsync(alice);
            var expiry = DateTimeOffset.FromUnixTimeSeconds(long.Parse(firstUsername.Split(':')[0]));
            output.WriteLine($"Alice's first TURN username {firstUsername}");

            var atAlice = new AudioProbe(alice, 440, 660);
            var atBob = new AudioProbe(bob, 440, 660);
            await atAlice.StartAsync();
            await atBob.StartAsync();
            await HearsAsync(atAlice, heard: 1, own: 0, since: 0, "Alice to hear Bob's 660 Hz over her own 440 Hz");
            await HearsAsync(atBob, heard: 0, own: 1, since: 0, "Bob to hear Alice's 440 Hz over his own 660 Hz");
            output.WriteLine($"{started.Elapsed.TotalSeconds:0.0} s: each hears the other");

            // Past the first credential's expiry: the client has moved to a new credential and released the allocation
            // made with the old one (which coturn would not let it make again).
            var deadline = expiry.AddSeconds(2);
            await Probe.UntilAsync(() => Task.FromResult(DateTimeOffset.UtcNow > deadline), Lifetime * 3, "the first credential to expire");
            var after = await AudioProbe.NowAsync(alice);
            await HearsAsync(atAlice, heard: 1, own: 0, since: after, "Alice to hear Bob after the first credential expired");
            after = await AudioProbe.NowAsync(bob);
            await HearsAsync(atBob, heard: 0, own: 1, since: after, "Bob to hear Alice after the first credential expired");
            output.WriteLine($"{started.Elapsed.TotalSeconds:0.0} s: still hearing each other after the expiry");

            var renewed = await TurnUsernameAsync(alice);
            output.WriteLine($"Alice's TURN username now {renewed}");
            Assert.NotEqual(firstUsername, renewed);
            Assert.Equal(firstUsername.Split(':')[1], renewed.Split(':')[1]);
            Assert.True(DateTimeOffset.FromUnixTimeSeconds(long.Parse(renewed.Split(':')[0])) > DateTimeOffset.UtcNow, "the credential in use has expired");
            Assert.Equal("relay/tls", await SelectedLocalCandidateAsync(alice));
            Assert.Contains($"delete: realm=<{Coturn.Realm}>, username=<{firstUsername}>", coturn.Output);
            Assert.Empty(app.TakeCspViolations());
        }
        catch
        {
            foreach (var page in pages)
                output.WriteLine("--- page\n" + await page.EvaluateAsync<string>("""
                    async () => {
                      const h = window.__openchat, pc = h.peerConnection;
                      const out = [JSON.stringify(h.voice), pc ? pc.connectionState : 'no pc'];
                      if (pc) (await pc.getStats()).forEach(r => { if (r.type === 'inbound-rtp' || r.type === 'outbound-rtp') out.push(`${r.type} packets ${r.packetsReceived ?? r.packetsSent}`); });
                      const p = window.__probes && window.__probes.remoteStream;
                      if (p) out.push(...p.samples.slice(-2000).filter((_, i) => i % 200 === 0).map(s => `${s.t.toFixed(0)} ${s.db.map(d => d.toFixed(0)).join(' ')}`));
                      return out.join('\n');
                    }
                    """));
            output.WriteLine("--- coturn\n" + string.Join('\n', coturn.Output.Split('\n').TakeLast(80)));
            output.WriteLine("--- server\n" + string.Join('\n', openChat.Output.Split('\n').TakeLast(80)));
            throw;
        }
        finally
        {
            await app.CloseBrowsersAsync();
            Directory.Delete(folder, recursive: true);
            output.WriteLine($"{started.Elapsed.TotalSeconds:0.0} s in all");
        }
    }

    /// <summary>More than 25 probe windows since <paramref name="since"/> in which the other's tone is clear and 20 dB over one's own.</summary>
    private static Task HearsAsync(AudioProbe probe, int heard, int own, double since, string what) =>
        Probe.UntilAsync(async () => (await probe.SamplesAsync(since)).Count(s => s.Db[heard] > AudioProbe.ToneHeardDb && s.Db[heard] - s.Db[own] >= 20) > 25,
            Patience, what);

    /// <summary>The selected candidate pair's local candidate, as <c>type/relayProtocol</c>.</summary>
    private static Task<string> SelectedLocalCandidateAsync(IPage page) => page.EvaluateAsync<string>("""
        async () => {
          const stats = await window.__openchat.peerConnection.getStats();
          let pair = null;
          stats.forEach(r => { if (r.type === 'transport' && r.selectedCandidatePairId) pair = stats.get(r.selectedCandidatePairId); });
          const local = pair ? stats.get(pair.localCandidateId) : null;
          return local ? `${local.candidateType}/${local.relayProtocol ?? ''}` : 'none';
        }
        """);

    private static Task<string> TurnUsernameAsync(IPage page) =>
        page.EvaluateAsync<string>("() => window.__openchat.peerConnection.getConfiguration().iceServers[0].username");

    /// <summary>
    /// In <paramref name="clients"/>' namespace, every packet out is dropped except loopback, TCP to port 443 of the
    /// given addresses, and what belongs to connections already made: a network that lets out only HTTPS.
    /// </summary>
    private static async Task AllowOnlyTls443Async(NetHost clients, params IPAddress[] allowed)
    {
        var rules = $$"""
            table inet only443 {
              chain out {
                type filter hook output priority 0; policy drop;
                oif "lo" accept
                ct state established,related accept
                ip daddr { {{string.Join(", ", allowed.Select(a => a.ToString()))}} } tcp dport 443 accept
              }
            }
            """;
        var path = Path.Combine(Path.GetTempPath(), $"{clients.Namespace}-only443.nft");
        await File.WriteAllTextAsync(path, rules);
        var result = await clients.RunAsync("nft", ["-f", path]);
        File.Delete(path);
        Assert.True(result.ExitCode == 0, $"nft: {result.StandardError}");
    }

    /// <summary>Waits until the server answers <c>/healthz/ready</c> to a client in <paramref name="from"/>, over the one path it is allowed.</summary>
    private static async Task WaitReadyAsync(NetHost from, IPAddress server, ServerProcess process)
    {
        using var http = new HttpClient(new SocketsHttpHandler
        {
            UseProxy = false,
            ConnectCallback = async (context, token) =>
            {
                var socket = from.InNamespace(() => new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp));
                await socket.ConnectAsync(new IPEndPoint(server, 443), token);
                return new NetworkStream(socket, ownsSocket: true);
            },
        }) { Timeout = TimeSpan.FromSeconds(5) };
        await Probe.UntilAsync(async () =>
        {
            if (process.HasExited) throw new InvalidOperationException($"the server exited:\n{process.Output}");
            try
            {
                using var response = await http.GetAsync($"http://{server}:443/healthz/ready");
                return response.IsSuccessStatusCode;
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                return false;
            }
        }, TimeSpan.FromSeconds(60), "the server to be ready");
    }
}

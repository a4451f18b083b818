using System.Diagnostics;
using System.Net;
using System.Text.Json;
using Microsoft.Playwright;
using OpenChat.SimulatedClients.Network;
using OpenChat.TestSupport;
using OpenChat.TestSupport.PodNetwork;
using Xunit;
using Xunit.Abstractions;

namespace OpenChat.Network.Tests;

/// <summary>
/// Two Chromium users on a network that drops every outgoing UDP packet (nftables in their namespace), no TURN
/// server: they still talk, over ICE-TCP to the media node's passive TCP candidate. With UDP open, the same pair
/// talks over UDP, which the candidate priorities prefer. The all-in-one server runs in a namespace of its own on the
/// same simulated network; everything is deleted at the end.
/// </summary>
[Collection(ClientNetworks.Name)]
public class IceTcpTests(ITestOutputHelper output)
{
    private const int HttpPort = 8080;
    private const int RtcPort = 40000;
    private const int RtcTcpPort = 40001;
    private const int ManagementPort = 9464;
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(45);
    private static readonly string AdminKey = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Chromium_users_talk_over_ice_tcp_when_udp_is_blocked_and_over_udp_otherwise(bool udpBlocked)
    {
        var clock = Stopwatch.StartNew();
        await using var network = await SimulatedNetwork.CreateAsync(SimulatedNetwork.PrefixForProcess("otc"));
        var serverHost = await network.AddHostAsync("server");
        var clients = await network.AddHostAsync("clients");
        if (udpBlocked)
        {
            await NftAsync(clients, ["add", "table", "inet", "udpblock"]);
            await NftAsync(clients, ["add", "chain", "inet", "udpblock", "output", "{ type filter hook output priority 0 ; policy accept ; }"]);
            await NftAsync(clients, ["add", "rule", "inet", "udpblock", "output", "meta", "l4proto", "udp", "counter", "drop"]);
        }

        var work = Probe.NewTempDirectory("ice-tcp");
        await using var server = await StartServerAsync(serverHost, new Dictionary<string, string>
        {
            ["OpenChat__DataDirectory"] = Path.Combine(work, "data"),
            ["OpenChat__Cluster__Port"] = "0",
            ["OpenChat__Media__RtcBindAddress"] = serverHost.Address.ToString(),
            ["OpenChat__Media__RtcPort"] = RtcPort.ToString(),
            ["OpenChat__Media__RtcTcpPort"] = RtcTcpPort.ToString(),
            ["OpenChat__Auth__AdminKey"] = AdminKey,
            ["OpenChat__Management__Port"] = ManagementPort.ToString(),
        });
        output.WriteLine($"{clock.Elapsed.TotalSeconds:0.0} s: server ready");
        using var playwright = await Chromium.PlaywrightInNamespaceAsync(clients.Namespace);
        var app = new WebClientDriver(playwright, server.BaseUrl, work);
        try
        {
            var bob = await app.SignInAsync(await app.LaunchAsync(660, networkNamespace: clients.Namespace), "Bob", audioProbes: true);
            await WebClientDriver.JoinVoiceAsync(bob, "Lounge");
            var alice = await app.SignInAsync(await app.LaunchAsync(440, networkNamespace: clients.Namespace), "Alice", audioProbes: true);

            output.WriteLine($"{clock.Elapsed.TotalSeconds:0.0} s: Bob in voice, Alice signed in");
            double clicked = await AudioProbe.NowAsync(alice);
            await WebClientDriver.JoinVoiceAsync(alice, "Lounge");
            var atAlice = new AudioProbe(alice, 440, 660);
            var atBob = new AudioProbe(bob, 440, 660);
            await atAlice.StartAsync();
            await atBob.StartAsync();
            double heard = 0;
            try
            {
                await Probe.UntilAsync(async () =>
                {
                    var hearing = (await atAlice.SamplesAsync()).Where(s => s.Db[1] > AudioProbe.ToneHeardDb && s.Db[1] - s.Db[0] >= 20).ToArray();
                    if (hearing.Length > 25) heard = hearing[0].T;
                    return hearing.Length > 25;
                }, Patience, "Alice to hear Bob's 660 Hz");
                await Probe.UntilAsync(async () => (await atBob.SamplesAsync()).Count(s => s.Db[0] > AudioProbe.ToneHeardDb && s.Db[0] - s.Db[1] >= 20) > 25,
                    Patience, "Bob to hear Alice's 440 Hz");
            }
            catch (TimeoutException)
            {
                foreach (var (name, page, probe) in new[] { ("Alice", alice, atAlice), ("Bob", bob, atBob) })
                {
                    var last = (await probe.SamplesAsync()).TakeLast(3).Select(s => $"rms {s.Rms:0.000} 440 Hz {s.Db[0]:0} dB 660 Hz {s.Db[1]:0} dB");
                    output.WriteLine($"{name}: {await RtpStatsAsync(page)}; last samples: {string.Join(" | ", last)}");
                }
                output.WriteLine(server.Output);
                throw;
            }

            output.WriteLine($"{clock.Elapsed.TotalSeconds:0.0} s: both hear each other");
            foreach (var (name, page) in new[] { ("Alice", alice), ("Bob", bob) })
            {
                var path = await SelectedPathAsync(page);
                output.WriteLine($"{name}: selected {path.Local} -> {path.Remote}; gathered {string.Join(", ", path.Gathered)}");
                Assert.Equal(udpBlocked ? "tcp" : "udp", path.Protocol);
                Assert.Contains($":{(udpBlocked ? RtcTcpPort : RtcPort)}", path.Remote);
                // The voice panel says which path the call takes.
                await Assertions.Expect(page.GetByRole(AriaRole.Status, new() { Name = "Connection quality" }))
                    .ToContainTextAsync(udpBlocked ? "Direct TCP" : "Direct UDP", new() { Timeout = 15_000 });
            }
            // Operators see each member's path in the admin voice list and the node's metrics.
            var expected = udpBlocked ? "tcp" : "udp";
            using (var admin = NamespaceHttp.Create(clients.Namespace))
            {
                admin.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", AdminKey);
                var rooms = JsonDocument.Parse(await admin.GetStringAsync(server.BaseUrl + "/api/admin/voice")).RootElement;
                var lounge = rooms.EnumerateArray().Single(r => r.GetProperty("members").GetArrayLength() > 0);
                Assert.Equal([expected, expected], lounge.GetProperty("members").EnumerateArray().Select(m => m.GetProperty("path").GetString()));
            }
            using (var management = NamespaceHttp.Create(serverHost.Namespace))
            {
                var metrics = await management.GetStringAsync($"http://127.0.0.1:{ManagementPort}/metrics");
                var line = metrics.Split('\n').Single(l => l.StartsWith("openchat_media_members_connected{", StringComparison.Ordinal)
                    && l.Contains($"path=\"{expected}\"", StringComparison.Ordinal));
                Assert.Equal("2", line.Split(' ')[^1]);
            }
            output.WriteLine($"Alice: click on the voice channel to first sample of Bob's tone {heard - clicked:0} ms (upper bound: the probe starts once connected)");
            if (udpBlocked)
            {
                var counters = await clients.RunAsync("nft", ["list", "table", "inet", "udpblock"]);
                output.WriteLine("UDP dropped at the clients: " + counters.StandardOutput.Split('\n').First(l => l.Contains("counter")).Trim());
            }
        }
        finally
        {
            await app.CloseBrowsersAsync();
            try
            {
                Directory.Delete(work, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }

    internal static Task<string> RtpStatsAsync(IPage page) => page.EvaluateAsync<string>("""
        async () => JSON.stringify([...(await window.__openchat.peerConnection.getStats()).values()]
          .filter(s => s.type === 'inbound-rtp' || s.type === 'outbound-rtp' || s.type === 'transport')
          .map(s => ({ type: s.type, packets: s.packetsReceived ?? s.packetsSent, state: s.dtlsState, ice: s.iceState })))
        """);

    private static async Task NftAsync(NetHost host, string[] args)
    {
        var result = await host.RunAsync("nft", args);
        Assert.True(result.ExitCode == 0, $"nft {string.Join(' ', args)}: {result.StandardError}");
    }

    internal sealed record SelectedPath(string Protocol, string Local, string Remote, string[] Gathered);

    /// <summary>The selected candidate pair of the page's voice peer connection, from <c>getStats()</c>, and the local candidates it gathered.</summary>
    internal static async Task<SelectedPath> SelectedPathAsync(IPage page)
    {
        var json = await page.EvaluateAsync<string>("""
            async () => {
              const stats = [...(await window.__openchat.peerConnection.getStats()).values()];
              const byId = new Map(stats.map(s => [s.id, s]));
              const transport = stats.find(s => s.type === 'transport');
              const pair = byId.get(transport.selectedCandidatePairId);
              const show = c => `${c.protocol}${c.tcpType ? '/' + c.tcpType : ''} ${c.candidateType} ${c.address}:${c.port}`;
              const local = byId.get(pair.localCandidateId), remote = byId.get(pair.remoteCandidateId);
              return JSON.stringify({
                protocol: local.protocol, local: show(local), remote: show(remote),
                gathered: stats.filter(s => s.type === 'local-candidate').map(show),
              });
            }
            """);
        var e = JsonDocument.Parse(json).RootElement;
        return new SelectedPath(e.GetProperty("protocol").GetString()!, e.GetProperty("local").GetString()!, e.GetProperty("remote").GetString()!,
            e.GetProperty("gathered").EnumerateArray().Select(g => g.GetString()!).ToArray());
    }

    /// <summary>Starts the all-in-one server in <paramref name="host"/>'s namespace on its address (and <paramref name="moreUrls"/>), ready.</summary>
    internal static async Task<ServerProcess> StartServerAsync(NetHost host, IDictionary<string, string> environment, IEnumerable<string>? moreUrls = null)
    {
        var server = ServerProcess.Start("server", environment, networkNamespace: host.Namespace, url: $"http://{host.Address}:{HttpPort}", moreUrls: moreUrls);
        try
        {
            await server.WaitReadyAsync(TimeSpan.FromSeconds(90));
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
        return server;
    }
}

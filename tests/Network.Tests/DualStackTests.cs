using System.Diagnostics;
using OpenChat.TestSupport;
using OpenChat.TestSupport.PodNetwork;
using Xunit;
using Xunit.Abstractions;

namespace OpenChat.Network.Tests;

/// <summary>
/// One media node advertising an IPv4 and an IPv6 address (OpenChat:Media:RtcAdvertisedAddresses, bound on both
/// families). Bob's namespace has only IPv6 (a ULA address, its IPv4 address deleted): he loads the page from the
/// gateway over IPv6 (Kestrel also listens on the server's IPv6 address) and his media flows over IPv6. Alice's
/// namespace has only IPv4 and reaches the same node on its IPv4 address. They hear each other; each one's selected
/// candidate pair (getStats) is on the node's address of their family.
/// </summary>
[Collection(ClientNetworks.Name)]
public class DualStackTests(ITestOutputHelper output)
{
    private const int RtcPort = 40000;
    private const string ServerV6 = "fd00:77::1";
    private const string ClientV6 = "fd00:77::2";
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task An_ipv6_only_user_and_an_ipv4_user_hear_each_other_through_one_node_each_on_its_family()
    {
        var clock = Stopwatch.StartNew();
        await using var network = await SimulatedNetwork.CreateAsync(SimulatedNetwork.PrefixForProcess("o6"));
        var serverHost = await network.AddHostAsync("server");
        var v6Host = await network.AddHostAsync("v6client");
        var v4Host = await network.AddHostAsync("v4client");
        await IpAsync(serverHost, "addr", "add", ServerV6 + "/64", "dev", "eth0", "nodad");
        await IpAsync(v6Host, "addr", "add", ClientV6 + "/64", "dev", "eth0", "nodad");
        await IpAsync(v6Host, "addr", "del", v6Host.Address + "/16", "dev", "eth0");
        var ipv4Left = (await v6Host.RunAsync("ip", ["-4", "addr", "show", "dev", "eth0"])).StandardOutput;
        Assert.DoesNotContain("inet ", ipv4Left);

        var work = Probe.NewTempDirectory("dual-stack");
        var v6Url = $"http://[{ServerV6}]:8080";
        await using var server = await IceTcpTests.StartServerAsync(serverHost, new Dictionary<string, string>
        {
            ["OpenChat__DataDirectory"] = Path.Combine(work, "data"),
            ["OpenChat__Cluster__Port"] = "0",
            ["OpenChat__Media__RtcBindAddresses__0"] = serverHost.Address.ToString(),
            ["OpenChat__Media__RtcBindAddresses__1"] = ServerV6,
            ["OpenChat__Media__RtcAdvertisedAddresses__0"] = serverHost.Address.ToString(),
            ["OpenChat__Media__RtcAdvertisedAddresses__1"] = ServerV6,
            ["OpenChat__Media__RtcPort"] = RtcPort.ToString(),
        }, [v6Url]);
        output.WriteLine($"{clock.Elapsed.TotalSeconds:0.0} s: server ready");
        var overV6 = await v6Host.RunAsync("curl", ["-sS", "-g", "-o", "/dev/null", "-w", "%{http_code}", v6Url + "/"]);
        Assert.True(overV6.StandardOutput == "200", $"the page over IPv6 from the IPv6-only namespace: {overV6.StandardOutput} {overV6.StandardError}");
        using var v6Playwright = await Chromium.PlaywrightInNamespaceAsync(v6Host.Namespace);
        using var v4Playwright = await Chromium.PlaywrightInNamespaceAsync(v4Host.Namespace);
        var v6App = new WebClientDriver(v6Playwright, v6Url, work);
        var v4App = new WebClientDriver(v4Playwright, server.BaseUrl, work);
        try
        {
            var bob = await v6App.SignInAsync(await v6App.LaunchAsync(660, networkNamespace: v6Host.Namespace), "Bob", audioProbes: true);
            await WebClientDriver.JoinVoiceAsync(bob, "Lounge");
            var alice = await v4App.SignInAsync(await v4App.LaunchAsync(440, networkNamespace: v4Host.Namespace), "Alice", audioProbes: true);
            await WebClientDriver.JoinVoiceAsync(alice, "Lounge");
            output.WriteLine($"{clock.Elapsed.TotalSeconds:0.0} s: both in voice");
            var atAlice = new AudioProbe(alice, 440, 660);
            var atBob = new AudioProbe(bob, 440, 660);
            await atAlice.StartAsync();
            await atBob.StartAsync();
            try
            {
                await Probe.UntilAsync(async () => (await atAlice.SamplesAsync()).Count(s => s.Db[1] > AudioProbe.ToneHeardDb && s.Db[1] - s.Db[0] >= 20) > 25,
                    Patience, "Alice (IPv4) to hear Bob's (IPv6) 660 Hz");
                await Probe.UntilAsync(async () => (await atBob.SamplesAsync()).Count(s => s.Db[0] > AudioProbe.ToneHeardDb && s.Db[0] - s.Db[1] >= 20) > 25,
                    Patience, "Bob (IPv6) to hear Alice's (IPv4) 440 Hz");
            }
            catch (TimeoutException)
            {
                foreach (var (name, page) in new[] { ("Alice", alice), ("Bob", bob) })
                {
                    output.WriteLine($"{name}: {await IceTcpTests.RtpStatsAsync(page)}");
                }
                output.WriteLine(server.Output);
                throw;
            }
            output.WriteLine($"{clock.Elapsed.TotalSeconds:0.0} s: both hear each other");

            var bobPath = await IceTcpTests.SelectedPathAsync(bob);
            var alicePath = await IceTcpTests.SelectedPathAsync(alice);
            output.WriteLine($"Bob: selected {bobPath.Local} -> {bobPath.Remote}; gathered {string.Join(", ", bobPath.Gathered)}");
            output.WriteLine($"Alice: selected {alicePath.Local} -> {alicePath.Remote}; gathered {string.Join(", ", alicePath.Gathered)}");
            Assert.Equal($"udp host {ServerV6}:{RtcPort}", bobPath.Remote);
            Assert.Equal($"udp host {serverHost.Address}:{RtcPort}", alicePath.Remote);
        }
        finally
        {
            await v6App.CloseBrowsersAsync();
            await v4App.CloseBrowsersAsync();
            try
            {
                Directory.Delete(work, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }

    private static async Task IpAsync(NetHost host, params string[] args)
    {
        var result = await host.RunAsync("ip", args);
        Assert.True(result.ExitCode == 0, $"ip {string.Join(' ', args)} in {host.Namespace}: {result.StandardError}");
    }
}

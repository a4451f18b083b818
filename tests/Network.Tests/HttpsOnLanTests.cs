using System.Diagnostics;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Playwright;
using OpenChat.Gateway.Https;
using OpenChat.TestSupport;
using Xunit;
using Xunit.Abstractions;

namespace OpenChat.Network.Tests;

/// <summary>
/// The all-in-one server on a LAN, reached by its address on a veth (not loopback) from Chromium in another namespace:
/// with its self-signed certificate the page is a secure context and two users hear each other; over plain HTTP the
/// page explains what is needed. Both namespaces are made here and deleted at the end, also on failure.
/// </summary>
[Collection(ClientNetworks.Name)]
public sealed class HttpsOnLanTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const string ServerAddress = "10.231.0.1";
    private const string ClientAddress = "10.231.0.2";
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    private readonly string _server = "ochs" + Environment.ProcessId % 100_000 + "-srv";
    private readonly string _client = "ochs" + Environment.ProcessId % 100_000 + "-cli";
    private readonly string _work = Probe.NewTempDirectory("https-lan");

    public async Task InitializeAsync()
    {
        await DeleteNamespacesAsync();
        await IpAsync("netns", "add", _server);
        await IpAsync("netns", "add", _client);
        await IpAsync("-n", _server, "link", "add", "eth0", "type", "veth", "peer", "name", "eth0", "netns", _client);
        foreach (var (netns, address) in new[] { (_server, ServerAddress), (_client, ClientAddress) })
        {
            await IpAsync("-n", netns, "link", "set", "lo", "up");
            await IpAsync("-n", netns, "addr", "add", address + "/24", "dev", "eth0");
            await IpAsync("-n", netns, "link", "set", "eth0", "up");
        }
    }

    public async Task DisposeAsync()
    {
        await DeleteNamespacesAsync();
        Directory.Delete(_work, recursive: true);
    }

    [Fact]
    public async Task Over_https_by_its_LAN_address_with_the_generated_certificate_two_users_hear_each_other()
    {
        var data = Path.Combine(_work, "data");
        await using var server = StartServer(data, new() { ["OpenChat__Https__Mode"] = "self-signed" });
        await server.WaitReadyAsync();
        // The certificate covers the address by default (the machine's non-loopback addresses, here the veth's).
        using var certificate = X509Certificate2.CreateFromPem(File.ReadAllText(Path.Combine(data, SelfSignedCertificate.CertificateFile)));
        Assert.Contains(ServerAddress, SelfSignedCertificate.Covered(certificate));
        Assert.Equal(1, server.CountLines(WebCertificate.FingerprintOf(certificate)));
        var spki = Convert.ToBase64String(SHA256.HashData(certificate.PublicKey.ExportSubjectPublicKeyInfo()));
        var origin = $"https://{ServerAddress}:8443";

        // The driver's own fetches (of the pages the audio probes amend) go from the client's namespace and trust this
        // one certificate, as the browsers do.
        using var pages = NamespaceHttp.Create(_client, (_, presented, _, _) =>
            presented is X509Certificate2 c && c.RawData.AsSpan().SequenceEqual(certificate.RawData));
        using var playwright = await Playwright.CreateAsync();
        var app = new WebClientDriver(playwright, origin, _work, pages);
        try
        {
            // Without the pin Chromium refuses the certificate: nothing below passes by ignoring certificate errors.
            var careless = await (await app.LaunchAsync(networkNamespace: _client)).NewPageAsync();
            var refused = await Assert.ThrowsAsync<PlaywrightException>(() => careless.GotoAsync(origin + "/"));
            Assert.Contains("ERR_CERT_AUTHORITY_INVALID", refused.Message, StringComparison.Ordinal);

            var alice = await app.SignInAsync(await app.LaunchAsync(440, networkNamespace: _client, serverCertificateSpki: spki), "Alice", audioProbes: true);
            Assert.True(await alice.EvaluateAsync<bool>("() => window.isSecureContext"));
            var bob = await app.SignInAsync(await app.LaunchAsync(660, networkNamespace: _client, serverCertificateSpki: spki), "Bob", audioProbes: true);

            // Plain HTTP on the same address is sent to HTTPS (in a context of its own: no second session for Bob).
            await using (var visitor = await bob.Context.Browser!.NewContextAsync())
            {
                var typed = await visitor.NewPageAsync();
                await typed.GotoAsync($"http://{ServerAddress}:8080/");
                Assert.StartsWith(origin + "/", typed.Url, StringComparison.Ordinal);
            }

            await WebClientDriver.JoinVoiceAsync(alice, "lounge");
            await WebClientDriver.JoinVoiceAsync(bob, "lounge");
            var atAlice = new AudioProbe(alice, 440, 660);
            var atBob = new AudioProbe(bob, 440, 660);
            await atAlice.StartAsync();
            await atBob.StartAsync();
            var started = Stopwatch.StartNew();
            await Probe.UntilAsync(async () => (await atAlice.SamplesAsync()).Count(s => s.Db[1] > AudioProbe.ToneHeardDb && s.Db[1] - s.Db[0] >= 20) > 25,
                Patience, "Alice to hear Bob's 660 Hz over her own 440 Hz");
            await Probe.UntilAsync(async () => (await atBob.SamplesAsync()).Count(s => s.Db[0] > AudioProbe.ToneHeardDb && s.Db[0] - s.Db[1] >= 20) > 25,
                Patience, "Bob to hear Alice's 440 Hz over his own 660 Hz");
            output.WriteLine($"both heard each other {started.ElapsedMilliseconds} ms after the probes started");
            Assert.Empty(app.TakeCspViolations());
        }
        finally
        {
            await app.CloseBrowsersAsync();
            await server.StopAsync();
        }
    }

    [Fact]
    public async Task Over_plain_http_by_its_LAN_address_voice_explains_how_to_get_https_and_text_works()
    {
        await using var server = StartServer(Path.Combine(_work, "data"), new());
        await server.WaitReadyAsync();
        using var playwright = await Playwright.CreateAsync();
        var app = new WebClientDriver(playwright, server.BaseUrl, _work);
        try
        {
            var page = await app.SignInAsync(await app.LaunchAsync(440, networkNamespace: _client, plainHttpIsSecure: false), "Mallory");
            Assert.False(await page.EvaluateAsync<bool>("() => window.isSecureContext"));

            await page.GetByRole(AriaRole.Button, new() { Name = "Voice channel lounge" }).ClickAsync();
            var voice = page.GetByRole(AriaRole.Region, new() { Name = "Voice" });
            var alert = voice.GetByRole(AriaRole.Alert);
            await Assertions.Expect(alert).ToContainTextAsync("only on https:// pages or on localhost");
            await Assertions.Expect(alert).ToContainTextAsync("OpenChat__Https__Mode=self-signed");
            await Assertions.Expect(voice).ToHaveAttributeAsync("data-voice-phase", "idle");

            var composer = page.GetByRole(AriaRole.Textbox, new() { Name = "Message" });
            await composer.FillAsync("typed over plain http on the LAN");
            await composer.PressAsync("Enter");
            var log = page.GetByRole(AriaRole.Log, new() { Name = "Messages" });
            await Assertions.Expect(log.GetByRole(AriaRole.Listitem).Filter(new() { HasText = "typed over plain http on the LAN" })).ToBeVisibleAsync();
        }
        finally
        {
            await app.CloseBrowsersAsync();
            await server.StopAsync();
        }
    }

    /// <summary>The all-in-one server in the server namespace, on its veth address only, media included.</summary>
    private ServerProcess StartServer(string data, Dictionary<string, string> settings)
    {
        settings["OpenChat__DataDirectory"] = data;
        settings["OpenChat__Media__RtcBindAddress"] = ServerAddress;
        return ServerProcess.Start("lan-server", settings, networkNamespace: _server, url: $"http://{ServerAddress}:8080");
    }

    private async Task DeleteNamespacesAsync()
    {
        foreach (var netns in new[] { _server, _client })
        {
            if (File.Exists(Path.Combine("/var/run/netns", netns))) await IpAsync("netns", "del", netns);
        }
    }

    private static async Task IpAsync(params string[] args)
    {
        var info = new ProcessStartInfo("ip", args) { RedirectStandardError = true, UseShellExecute = false };
        using var process = Process.Start(info)!;
        var error = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0) throw new InvalidOperationException($"ip {string.Join(' ', args)} exited with {process.ExitCode}: {error}");
    }
}

using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using OpenChat.Gateway.Https;
using OpenChat.Server;
using OpenChat.TestSupport;
using Xunit;

namespace OpenChat.Gateway.Tests;

/// <summary>
/// The gateway serving HTTPS itself (<c>OpenChat:Https</c>) on real Kestrel and real TLS: an operator's PEM pair, a
/// self-signed certificate kept across restarts, refusals at start, plain HTTP redirected but for health.
/// </summary>
public sealed class HttpsTests : IDisposable
{
    private readonly string _folder = Probe.NewTempDirectory("https");

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public async Task A_PEM_pair_is_served_over_TLS_1_2_or_later_and_plain_http_is_redirected_except_health()
    {
        var (server, fingerprint) = await StartWithPemPairAsync("pair");
        await using var _ = server;
        var https = HttpsAddress(server);

        var (served, protocol) = await HandshakeAsync(https);
        Assert.Equal(fingerprint, WebCertificate.FingerprintOf(served));
        Assert.True(protocol is SslProtocols.Tls12 or SslProtocols.Tls13, $"negotiated {protocol}");
        // The server itself refuses TLS 1.1 (OpenSSL's client is told to allow it, with any cipher); 1.2 is the control.
        Assert.Contains("alert protocol version", await OpenSslClientAsync(https, "-tls1_1"), StringComparison.Ordinal);
        Assert.Contains("Protocol  : TLSv1.2", await OpenSslClientAsync(https, "-tls1_2"), StringComparison.Ordinal);

        using var client = PinnedClient(fingerprint);
        using (var info = await client.GetAsync(https + "/api/info"))
        {
            Assert.Equal(HttpStatusCode.OK, info.StatusCode);
            Assert.False(info.Headers.Contains("Strict-Transport-Security"), "HSTS is sent only when the operator asks for it");
        }

        using (var page = await client.GetAsync(server.BaseUrl + "/channels/general?x=1"))
        {
            Assert.Equal(HttpStatusCode.TemporaryRedirect, page.StatusCode);
            Assert.Equal($"{https}/channels/general?x=1", page.Headers.Location!.ToString());
        }
        using (var hub = await client.PostAsync(server.BaseUrl + "/api/session", new StringContent("{}")))
            Assert.Equal(HttpStatusCode.TemporaryRedirect, hub.StatusCode);
        foreach (var health in new[] { "/healthz/live", "/healthz/ready" })
        {
            using var probe = await client.GetAsync(server.BaseUrl + health);
            Assert.Equal(HttpStatusCode.OK, probe.StatusCode);
        }
    }

    [Fact]
    public async Task HSTS_is_sent_over_HTTPS_when_the_operator_asks_for_it()
    {
        var (server, fingerprint) = await StartWithPemPairAsync("hsts", ("OpenChat:Https:Hsts", "true"));
        await using var _ = server;
        using var client = PinnedClient(fingerprint);
        using var info = await client.GetAsync(HttpsAddress(server) + "/api/info");
        Assert.Equal("max-age=31536000", Assert.Single(info.Headers.GetValues("Strict-Transport-Security")));
        using var health = await client.GetAsync(server.BaseUrl + "/healthz/live");
        Assert.False(health.Headers.Contains("Strict-Transport-Security"));
    }

    [Fact]
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    public async Task A_self_signed_certificate_is_made_once_with_an_owner_only_key_logged_by_fingerprint_and_served_again_after_a_restart()
    {
        var data = Path.Combine(_folder, "data");
        var settings = new Dictionary<string, string?>
        {
            ["OpenChat:DataDirectory"] = data,
            ["OpenChat:Https:Mode"] = "self-signed",
            ["OpenChat:Https:Names:0"] = "openchat.lan",
            ["OpenChat:Https:Names:1"] = "127.0.0.1",
            ["OpenChat:Https:Port"] = "0",
            ["Logging:LogLevel:OpenChat.Gateway.Https"] = "Information",
        };

        var firstLog = new LogCapture();
        string fingerprint;
        await using (var first = await InProcessServer.StartAsync(settings, firstLog.AddTo))
        {
            var (served, _) = await HandshakeAsync(HttpsAddress(first));
            fingerprint = WebCertificate.FingerprintOf(served);
            using var key = served.GetECDsaPublicKey();
            Assert.Equal(256, Assert.IsAssignableFrom<ECDsa>(key).KeySize);
            Assert.Equal(["127.0.0.1", "openchat.lan"], SelfSignedCertificate.Covered(served).Order(StringComparer.Ordinal));
            Assert.InRange(served.NotAfter - served.NotBefore, TimeSpan.FromDays(390), TimeSpan.FromDays(398));
        }
        Assert.Contains(firstLog.Entries, e => e.Level == LogLevel.Warning && e.Message.Contains("made a new self-signed certificate", StringComparison.Ordinal));
        Assert.Contains(firstLog.Entries, e => e.Message.Contains(fingerprint, StringComparison.Ordinal));
        var keyFile = Path.Combine(data, SelfSignedCertificate.KeyFile);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(keyFile));
        Assert.Contains("-----BEGIN CERTIFICATE-----", File.ReadAllText(Path.Combine(data, SelfSignedCertificate.CertificateFile)), StringComparison.Ordinal);

        var secondLog = new LogCapture();
        await using (var second = await InProcessServer.StartAsync(settings, secondLog.AddTo))
        {
            var (served, _) = await HandshakeAsync(HttpsAddress(second));
            Assert.Equal(fingerprint, WebCertificate.FingerprintOf(served));
        }
        Assert.Contains(secondLog.Entries, e => e.Message.Contains(fingerprint, StringComparison.Ordinal));
        Assert.DoesNotContain(secondLog.Entries, e => e.Message.Contains("made a new", StringComparison.Ordinal));

        // A name the stored certificate does not cover makes a new one, and says so.
        settings["OpenChat:Https:Names:2"] = "chat.home.arpa";
        var thirdLog = new LogCapture();
        await using (var third = await InProcessServer.StartAsync(settings, thirdLog.AddTo))
        {
            var (served, _) = await HandshakeAsync(HttpsAddress(third));
            Assert.NotEqual(fingerprint, WebCertificate.FingerprintOf(served));
            Assert.Contains("chat.home.arpa", SelfSignedCertificate.Covered(served));
        }
        Assert.Contains(thirdLog.Entries, e => e.Level == LogLevel.Warning && e.Message.Contains("does not cover chat.home.arpa", StringComparison.Ordinal));
    }

    [Fact]
    public async Task New_PEM_files_are_served_without_a_restart_once_they_are_a_valid_pair()
    {
        var (certificatePath, keyPath, first) = WritePemPair("renewed", ["127.0.0.1"]);
        var log = new LogCapture();
        await using var server = await InProcessServer.StartAsync(new Dictionary<string, string?>
        {
            ["OpenChat:Https:CertificatePath"] = certificatePath,
            ["OpenChat:Https:KeyPath"] = keyPath,
            ["OpenChat:Https:Port"] = "0",
            ["OpenChat:Https:ReloadInterval"] = "00:00:01",
            ["Logging:LogLevel:OpenChat.Gateway.Https"] = "Information",
        }, log.AddTo);
        var https = HttpsAddress(server);
        Assert.Equal(first, WebCertificate.FingerprintOf((await HandshakeAsync(https)).Certificate));

        // A key that is not the certificate's is not taken: the previous pair stays, and the log says why.
        var (_, strayKey, _) = WritePemPair("stray", ["127.0.0.1"]);
        File.WriteAllText(keyPath, File.ReadAllText(strayKey));
        await Probe.UntilAsync(() => Task.FromResult(log.Entries.Any(e => e.Level == LogLevel.Warning && e.Message.Contains("cannot be served", StringComparison.Ordinal))),
            TimeSpan.FromSeconds(30), "the refusal of a mismatched key to be logged");
        Assert.Equal(first, WebCertificate.FingerprintOf((await HandshakeAsync(https)).Certificate));

        // A renewed pair (both files replaced) is served to the next connection.
        var (nextCertificate, nextKey, next) = WritePemPair("next", ["127.0.0.1"]);
        File.WriteAllText(certificatePath, File.ReadAllText(nextCertificate));
        File.WriteAllText(keyPath, File.ReadAllText(nextKey));
        await Probe.UntilAsync(async () => WebCertificate.FingerprintOf((await HandshakeAsync(https)).Certificate) == next,
            TimeSpan.FromSeconds(30), "the renewed certificate to be served");
        Assert.Contains(log.Entries, e => e.Message.Contains("now serving", StringComparison.Ordinal) && e.Message.Contains(next, StringComparison.Ordinal));
    }

    [Fact]
    public void A_key_that_is_not_the_certificates_stops_the_start_with_a_message_naming_both_files()
    {
        var (certificatePath, _, _) = WritePemPair("one", ["127.0.0.1"]);
        var (_, otherKey, _) = WritePemPair("other", ["127.0.0.1"]);
        var error = Assert.Throws<ArgumentException>(() => Build(new()
        {
            ["OpenChat:Https:CertificatePath"] = certificatePath,
            ["OpenChat:Https:KeyPath"] = otherKey,
        }));
        Assert.Contains("OpenChat:Https:KeyPath", error.Message, StringComparison.Ordinal);
        Assert.Contains("does not match the certificate", error.Message, StringComparison.Ordinal);
        Assert.Contains(certificatePath, error.Message, StringComparison.Ordinal);
        Assert.Contains(otherKey, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Missing_files_HSTS_with_a_self_signed_certificate_and_HTTPS_on_a_node_without_the_gateway_are_refused_at_start()
    {
        var missing = Path.Combine(_folder, "nowhere.pem");
        var error = Assert.Throws<ArgumentException>(() => Build(new() { ["OpenChat:Https:CertificatePath"] = missing }));
        Assert.Equal($"OpenChat:Https:CertificatePath: '{missing}' does not exist.", error.Message);

        var (certificatePath, _, _) = WritePemPair("nokey", ["127.0.0.1"]);
        error = Assert.Throws<ArgumentException>(() => Build(new() { ["OpenChat:Https:CertificatePath"] = certificatePath }));
        Assert.Contains("holds no PEM private key", error.Message, StringComparison.Ordinal);

        error = Assert.Throws<ArgumentException>(() => Build(new() { ["OpenChat:Https:Mode"] = "self-signed", ["OpenChat:Https:Hsts"] = "true" }));
        Assert.Contains("OpenChat:Https:Hsts", error.Message, StringComparison.Ordinal);

        error = Assert.Throws<ArgumentException>(() => Build(new() { ["OpenChat:Https:Mode"] = "selfsigned" }));
        Assert.Contains("must be off, pem or self-signed", error.Message, StringComparison.Ordinal);

        error = Assert.Throws<ArgumentException>(() => Build(new() { ["OpenChat:Https:Mode"] = "self-signed", ["OpenChat:Roles:0"] = "channels" }));
        Assert.Contains("gateway role", error.Message, StringComparison.Ordinal);
    }

    /// <summary>A server with a new PEM pair for 127.0.0.1 and the HTTPS port free; the pair's fingerprint.</summary>
    private async Task<(InProcessServer Server, string Fingerprint)> StartWithPemPairAsync(string name, params (string Key, string Value)[] more)
    {
        var (certificatePath, keyPath, fingerprint) = WritePemPair(name, ["127.0.0.1"]);
        var settings = new Dictionary<string, string?>
        {
            ["OpenChat:Https:CertificatePath"] = certificatePath,
            ["OpenChat:Https:KeyPath"] = keyPath,
            ["OpenChat:Https:Port"] = "0",
        };
        foreach (var (key, value) in more) settings[key] = value;
        return (await InProcessServer.StartAsync(settings), fingerprint);
    }

    /// <summary>Builds (does not start) a server with these settings, as <c>Program</c> does.</summary>
    private object Build(Dictionary<string, string?> settings) => OpenChatServer.Build([], builder =>
    {
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["OpenChat:DataDirectory"] = Path.Combine(_folder, "build-data"),
            ["OpenChat:Management:Port"] = "0",
        });
        builder.Configuration.AddInMemoryCollection(settings);
    });

    /// <summary>A self-signed ECDSA certificate and its key as PEM files, as an operator's CA or <c>openssl</c> would give them.</summary>
    private (string Certificate, string Key, string Fingerprint) WritePemPair(string name, string[] addresses)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        foreach (var address in addresses) san.AddIpAddress(IPAddress.Parse(address));
        request.CertificateExtensions.Add(san.Build());
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(30));
        var certificatePath = Path.Combine(_folder, name + ".crt");
        var keyPath = Path.Combine(_folder, name + ".key");
        File.WriteAllText(certificatePath, certificate.ExportCertificatePem());
        File.WriteAllText(keyPath, key.ExportPkcs8PrivateKeyPem());
        return (certificatePath, keyPath, WebCertificate.FingerprintOf(certificate));
    }

    private static string HttpsAddress(InProcessServer server) =>
        server.Addresses.Single(a => a.StartsWith("https://", StringComparison.Ordinal)).TrimEnd('/');

    /// <summary>A TLS handshake with the address: the certificate it presented and the protocol agreed.</summary>
    private static async Task<(X509Certificate2 Certificate, SslProtocols Protocol)> HandshakeAsync(string httpsAddress)
    {
        var uri = new Uri(httpsAddress);
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(uri.Host, uri.Port);
        X509Certificate2? presented = null;
        await using var tls = new SslStream(tcp.GetStream(), false, (_, certificate, _, _) =>
        {
            presented = certificate is null ? null : new X509Certificate2(certificate);
            return true; // inspected by the caller
        });
        await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions { TargetHost = uri.Host });
        return (presented ?? throw new InvalidOperationException("no certificate presented"), tls.SslProtocol);
    }

    /// <summary>What <c>openssl s_client</c> prints for one handshake with the address at that protocol version.</summary>
    private static async Task<string> OpenSslClientAsync(string httpsAddress, string version)
    {
        var uri = new Uri(httpsAddress);
        var info = new System.Diagnostics.ProcessStartInfo("openssl",
            ["s_client", "-connect", $"{uri.Host}:{uri.Port}", version, "-cipher", "DEFAULT@SECLEVEL=0"])
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var process = System.Diagnostics.Process.Start(info)!;
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
        return await stdout + await stderr;
    }

    /// <summary>An HTTP client that does not follow redirects and accepts exactly the certificate with this fingerprint.</summary>
    private static HttpClient PinnedClient(string fingerprint) => new(new SocketsHttpHandler
    {
        AllowAutoRedirect = false,
        SslOptions = new SslClientAuthenticationOptions
        {
            RemoteCertificateValidationCallback = (_, certificate, _, _) =>
                certificate is X509Certificate2 c && WebCertificate.FingerprintOf(c) == fingerprint,
        },
    });
}

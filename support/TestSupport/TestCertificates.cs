using System.Diagnostics;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace OpenChat.TestSupport;

/// <summary>PEM files of a test certificate authority and a TLS server certificate it signed, for servers that read PEM (coturn).</summary>
public sealed record TestTlsFiles(string CaCertificate, string Certificate, string Key);

/// <summary>A cluster certificate made for one test in its own folder; nothing secret is committed.</summary>
public sealed record TestCertificate(string Path, string Password, string Fingerprint)
{
    /// <summary>The settings that give a server process this certificate.</summary>
    public Dictionary<string, string> Settings => new()
    {
        ["OpenChat__Cluster__Certificate__Path"] = Path,
        ["OpenChat__Cluster__Certificate__Password"] = Password,
    };
}

public static class TestCertificates
{
    /// <summary>A certificate made by the server's own <c>cluster-cert</c> command, as an operator makes one.</summary>
    public static async Task<TestCertificate> ClusterCertificateAsync(string folder)
    {
        var path = System.IO.Path.Combine(folder, "cluster-" + Guid.NewGuid().ToString("N")[..8] + ".pfx");
        var password = Convert.ToHexString(RandomNumberGenerator.GetBytes(12));
        var (exitCode, output) = await RunServerCommandAsync(["cluster-cert", "--out", path, "--days", "30", "--password", password]);
        if (exitCode != 0) throw new InvalidOperationException($"cluster-cert exited with {exitCode}:\n{output}");
        using var certificate = X509CertificateLoader.LoadPkcs12FromFile(path, password);
        return new TestCertificate(path, password, Convert.ToHexString(SHA256.HashData(certificate.RawData)));
    }

    /// <summary>A self-signed certificate valid from <paramref name="notBefore"/> to <paramref name="notAfter"/>, made here.</summary>
    public static TestCertificate SelfSigned(string folder, DateTimeOffset notBefore, DateTimeOffset notAfter)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=openchat-cluster", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(
            [new Oid("1.3.6.1.5.5.7.3.1"), new Oid("1.3.6.1.5.5.7.3.2")], false));
        using var certificate = request.CreateSelfSigned(notBefore, notAfter);
        var password = Convert.ToHexString(RandomNumberGenerator.GetBytes(12));
        var path = System.IO.Path.Combine(folder, "self-signed-" + Guid.NewGuid().ToString("N")[..8] + ".pfx");
        File.WriteAllBytes(path, certificate.Export(X509ContentType.Pkcs12, password));
        return new TestCertificate(path, password, Convert.ToHexString(SHA256.HashData(certificate.RawData)));
    }

    /// <summary>Runs <c>dotnet OpenChat.Server.dll ARGS</c> to completion; its exit code and everything it printed.</summary>
    public static async Task<(int ExitCode, string Output)> RunServerCommandAsync(string[] args)
    {
        var info = new ProcessStartInfo("dotnet", [RepoPaths.ServerDll, .. args])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = System.IO.Path.GetDirectoryName(RepoPaths.ServerDll)!,
        };
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        try
        {
            await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
        }
        catch (TimeoutException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }
        return (process.ExitCode, await stdout + await stderr);
    }

    /// <summary>
    /// A certificate authority made here and a server certificate it signed for <paramref name="address"/> (an IP
    /// address subject alternative name, as a client that connects by address checks), valid for a day, as PEM files
    /// in <paramref name="folder"/>. A client trusts the server by trusting <see cref="TestTlsFiles.CaCertificate"/>.
    /// <paramref name="dnsName"/>: a host name the certificate also covers.
    /// </summary>
    public static TestTlsFiles TlsServerPem(string folder, System.Net.IPAddress address, string? dnsName = null)
    {
        var now = DateTimeOffset.UtcNow;
        using var caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var caRequest = new CertificateRequest("CN=OpenChat test CA", caKey, HashAlgorithmName.SHA256);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, true, 0, true));
        caRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        caRequest.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(caRequest.PublicKey, false));
        using var ca = caRequest.CreateSelfSigned(now.AddMinutes(-5), now.AddDays(1));

        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={address}", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(address);
        if (dnsName is not null) names.AddDnsName(dnsName);
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(ca, true, false));
        using var certificate = request.Create(ca, now.AddMinutes(-5), now.AddDays(1), RandomNumberGenerator.GetBytes(12));

        var files = new TestTlsFiles(System.IO.Path.Combine(folder, "test-ca.pem"), System.IO.Path.Combine(folder, "server.pem"),
            System.IO.Path.Combine(folder, "server.key"));
        File.WriteAllText(files.CaCertificate, ca.ExportCertificatePem());
        File.WriteAllText(files.Certificate, certificate.ExportCertificatePem() + "\n" + ca.ExportCertificatePem());
        File.WriteAllText(files.Key, key.ExportPkcs8PrivateKeyPem());
        return files;
    }

    /// <summary>
    /// A HOME (<c>FOLDER/home</c>) whose NSS database (<c>.pki/nssdb</c>, where Chromium on Linux looks) trusts
    /// <paramref name="caPem"/> for TLS servers: give it to <see cref="Chromium.PlaywrightInNamespaceAsync"/>.
    /// </summary>
    public static string HomeTrusting(string folder, string caPem)
    {
        var home = System.IO.Path.Combine(folder, "home");
        var db = System.IO.Path.Combine(home, ".pki", "nssdb");
        Directory.CreateDirectory(db);
        Run("certutil", "-N", "-d", "sql:" + db, "--empty-password");
        Run("certutil", "-A", "-d", "sql:" + db, "-n", "openchat-test-ca", "-t", "C,,", "-i", caPem);
        return home;
    }

    private static void Run(string file, params string[] args)
    {
        var info = new System.Diagnostics.ProcessStartInfo(file, args) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var process = System.Diagnostics.Process.Start(info)!;
        var error = process.StandardError.ReadToEnd() + process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0) throw new InvalidOperationException($"{file} {string.Join(' ', args)}: {error}");
    }
}

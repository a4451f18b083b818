using System.Diagnostics;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace OpenChat.TestSupport;

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
}

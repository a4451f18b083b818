using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace OpenChat.Gateway.Https;

/// <summary>
/// The certificate of <c>OpenChat:Https:Mode=self-signed</c>: ECDSA P-256, made on first start and kept in the data
/// directory (<see cref="CertificateFile"/>, <see cref="KeyFile"/>, the key readable by its owner only), so that its
/// fingerprint, which people compare and their browsers remember, stays the same across restarts. A new one is made
/// only when the stored one is missing, unreadable, about to expire, or does not cover a configured name.
/// </summary>
public static class SelfSignedCertificate
{
    public const string CertificateFile = "https-certificate.pem";
    public const string KeyFile = "https-key.pem";

    /// <summary>397 days: within what every browser accepts for a server certificate.</summary>
    public static readonly TimeSpan Validity = TimeSpan.FromDays(397);

    /// <summary>A stored certificate closer than this to its end is replaced at start.</summary>
    public static readonly TimeSpan RenewBefore = TimeSpan.FromDays(30);

    /// <summary>The stored or new certificate with its key, and why a new one was made (null when the stored one was used).</summary>
    public static (X509Certificate2 Certificate, string? NewBecause) LoadOrCreate(string dataDirectory, IReadOnlyList<string> names, DateTimeOffset now)
    {
        var certificatePath = Path.Combine(dataDirectory, CertificateFile);
        var keyPath = Path.Combine(dataDirectory, KeyFile);
        var reason = StoredIsUsable(certificatePath, keyPath, names, now, out var stored);
        if (reason is null) return (stored!, null);
        stored?.Dispose();

        var created = Create(names, now);
        Directory.CreateDirectory(dataDirectory);
        using (var key = created.GetECDsaPrivateKey()!)
            WriteAtomically(keyPath, key.ExportPkcs8PrivateKeyPem(), UnixFileMode.UserRead | UnixFileMode.UserWrite);
        WriteAtomically(certificatePath, created.ExportCertificatePem() + "\n",
            UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        return (created, reason);
    }

    /// <summary>A new certificate for <paramref name="names"/> (the first is also its common name), valid from now.</summary>
    public static X509Certificate2 Create(IReadOnlyList<string> names, DateTimeOffset now)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var san = new SubjectAlternativeNameBuilder();
        foreach (var name in names)
        {
            if (ParseName(name) is IPAddress address) san.AddIpAddress(address);
            else san.AddDnsName(name);
        }
        var common = names.FirstOrDefault(n => ParseName(n) is string) ?? "OpenChat";
        var request = new CertificateRequest(new X500DistinguishedName($"CN={common.Replace(",", "")}, O=OpenChat self-signed"), key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        request.CertificateExtensions.Add(san.Build());
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        using var certificate = request.CreateSelfSigned(now.AddMinutes(-5), now + Validity);
        // Exported and read back so the key is usable by SslStream whatever the platform.
        return X509Certificate2.CreateFromPem(certificate.ExportCertificatePem(), key.ExportPkcs8PrivateKeyPem());
    }

    /// <summary>
    /// The names a certificate covers when none are configured: this machine's host name, its addresses other than
    /// loopback and IPv6 link-local ones, and <c>localhost</c>, <c>127.0.0.1</c>, <c>::1</c>.
    /// </summary>
    public static IReadOnlyList<string> DefaultNames()
    {
        var names = new List<string>();
        var host = Dns.GetHostName();
        if (ParseName(host) is not null) names.Add(host);
        foreach (var nic in NetworkInterface.GetAllNetworkInterfaces())
        {
            if (nic.OperationalStatus != OperationalStatus.Up && nic.OperationalStatus != OperationalStatus.Unknown) continue;
            foreach (var unicast in nic.GetIPProperties().UnicastAddresses)
            {
                var address = unicast.Address;
                if (IPAddress.IsLoopback(address) || address.IsIPv6LinkLocal || address.IsIPv4MappedToIPv6) continue;
                if (address.AddressFamily is not (AddressFamily.InterNetwork or AddressFamily.InterNetworkV6)) continue;
                names.Add(new IPAddress(address.GetAddressBytes()).ToString());
            }
        }
        names.AddRange(["localhost", "127.0.0.1", "::1"]);
        return names.Distinct(StringComparer.OrdinalIgnoreCase).ToList();
    }

    /// <summary>An <see cref="IPAddress"/> for an address, the lower-case name for a DNS name, null for anything else.</summary>
    public static object? ParseName(string? name)
    {
        var trimmed = name?.Trim().Trim('[', ']') ?? "";
        if (IPAddress.TryParse(trimmed, out var address) && !trimmed.Contains('%')) return address;
        return trimmed.Length is > 0 and <= 253 && Uri.CheckHostName(trimmed) == UriHostNameType.Dns ? trimmed.ToLowerInvariant() : null;
    }

    /// <summary>Null when the stored pair can be used, else why not (and the certificate, if one was read).</summary>
    private static string? StoredIsUsable(string certificatePath, string keyPath, IReadOnlyList<string> names, DateTimeOffset now, out X509Certificate2? stored)
    {
        stored = null;
        if (!File.Exists(certificatePath) || !File.Exists(keyPath)) return "there was none yet";
        try
        {
            stored = X509Certificate2.CreateFromPemFile(certificatePath, keyPath);
        }
        catch (Exception e) when (e is CryptographicException or ArgumentException or IOException)
        {
            return $"the stored one could not be read ({e.Message})";
        }
        if (now < stored.NotBefore || now + RenewBefore > stored.NotAfter)
            return $"the stored one is valid until {stored.NotAfter.ToUniversalTime():u}";
        var covered = Covered(stored);
        var missing = names.Where(n => !covered.Contains(Normalise(n))).ToList();
        return missing.Count > 0 ? $"the stored one does not cover {string.Join(", ", missing)}" : null;
    }

    /// <summary>The DNS names and addresses a certificate names, normalised as <see cref="Normalise"/> does.</summary>
    public static HashSet<string> Covered(X509Certificate2 certificate)
    {
        var covered = new HashSet<string>(StringComparer.Ordinal);
        foreach (var extension in certificate.Extensions.OfType<X509SubjectAlternativeNameExtension>())
        {
            foreach (var dns in extension.EnumerateDnsNames()) covered.Add(dns.ToLowerInvariant());
            foreach (var address in extension.EnumerateIPAddresses()) covered.Add(address.ToString());
        }
        return covered;
    }

    private static string Normalise(string name) => ParseName(name) switch
    {
        IPAddress address => address.ToString(),
        string dns => dns,
        _ => name,
    };

    private static void WriteAtomically(string path, string text, UnixFileMode mode)
    {
        var temporary = path + ".new";
        File.Delete(temporary);
        // Created with its final mode, so the key is never readable by others, not even for a moment.
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows()) options.UnixCreateMode = mode;
        using (var stream = new FileStream(temporary, options))
        using (var writer = new StreamWriter(stream))
            writer.Write(text);
        File.Move(temporary, path, overwrite: true);
    }
}

using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Akka.Event;
using Akka.Remote.Transport.DotNetty;

namespace OpenChat.Hosting;

/// <summary>
/// The cluster certificate: every node presents it on remoting's TLS connections and accepts a peer only if the
/// peer presents the same certificate (or one listed in <c>AcceptedFingerprints</c>), identified by its SHA-256
/// fingerprint. Both directions are checked: a node that dials and a node that is dialled.
/// </summary>
public sealed class ClusterCertificate
{
    private readonly HashSet<string> _accepted;

    public X509Certificate2 Certificate { get; }

    /// <summary>The SHA-256 fingerprint of this node's certificate, upper-case hex.</summary>
    public string Fingerprint { get; }

    public IReadOnlyCollection<string> AcceptedFingerprints => _accepted;

    private ClusterCertificate(X509Certificate2 certificate, IEnumerable<string> accepted)
    {
        Certificate = certificate;
        Fingerprint = FingerprintOf(certificate);
        _accepted = new HashSet<string>(accepted, StringComparer.Ordinal) { Fingerprint };
    }

    /// <summary>Loads and checks the configured certificate; a problem is a <see cref="ArgumentException"/> naming the setting.</summary>
    public static ClusterCertificate Load(ClusterCertificateSettings settings, DateTimeOffset now)
    {
        var path = settings.Path ?? throw new ArgumentException("OpenChat:Cluster:Certificate:Path is not set.");
        if (!File.Exists(path))
            throw new ArgumentException($"OpenChat:Cluster:Certificate:Path: '{path}' does not exist.");
        X509Certificate2 certificate;
        try
        {
            certificate = X509CertificateLoader.LoadPkcs12FromFile(path, settings.Password);
        }
        catch (CryptographicException e)
        {
            throw new ArgumentException(
                $"OpenChat:Cluster:Certificate:Path: '{path}' cannot be read as a PKCS#12 file with the configured password " +
                $"(OpenChat:Cluster:Certificate:Password): {e.Message}");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ArgumentException($"OpenChat:Cluster:Certificate:Path: '{path}' cannot be read by this process: {e.Message}");
        }
        if (!certificate.HasPrivateKey)
            throw new ArgumentException($"OpenChat:Cluster:Certificate:Path: '{path}' holds no private key.");
        if (now < certificate.NotBefore || now > certificate.NotAfter)
            throw new ArgumentException(
                $"OpenChat:Cluster:Certificate:Path: the certificate in '{path}' is valid from {certificate.NotBefore:u} to " +
                $"{certificate.NotAfter:u}, not now. Create a new one with 'dotnet OpenChat.Server.dll cluster-cert'.");
        var accepted = (settings.AcceptedFingerprints ?? []).Select(f => NormaliseFingerprint(f)!);
        return new ClusterCertificate(certificate, accepted);
    }

    /// <summary>Whether a peer's certificate is one of the cluster's and valid now; chain and name errors do not matter (the certificate is pinned).</summary>
    public bool Accepts(X509Certificate2? peer, DateTimeOffset now, out string reason)
    {
        if (peer is null)
        {
            reason = "it presented no certificate";
            return false;
        }
        var fingerprint = FingerprintOf(peer);
        if (!_accepted.Contains(fingerprint))
        {
            reason = $"its certificate {fingerprint} is not the cluster certificate";
            return false;
        }
        if (now < peer.NotBefore || now > peer.NotAfter)
        {
            reason = $"its certificate {fingerprint} is valid from {peer.NotBefore:u} to {peer.NotAfter:u}, not now";
            return false;
        }
        reason = "";
        return true;
    }

    /// <summary>The validation callback Akka.Remote calls for the peer's certificate on outbound and inbound TLS connections.</summary>
    public CertificateValidationCallback Validator() => (peer, _, remotePeer, _, log) =>
    {
        if (Accepts(peer, DateTimeOffset.UtcNow, out var reason)) return true;
        log.Warning("Refused cluster connection with {0}: {1}.", remotePeer, reason);
        return false;
    };

    public static string FingerprintOf(X509Certificate2 certificate) => Convert.ToHexString(SHA256.HashData(certificate.RawData));

    /// <summary>Upper-case hex without separators, or null when <paramref name="fingerprint"/> is not 32 bytes of hex.</summary>
    public static string? NormaliseFingerprint(string fingerprint)
    {
        var hex = new string(fingerprint.Where(c => c is not (':' or ' ' or '-')).ToArray()).ToUpperInvariant();
        return hex.Length == 64 && hex.All(Uri.IsHexDigit) ? hex : null;
    }

    /// <summary>
    /// A self-signed ECDSA P-256 certificate for both TLS client and server authentication, as PKCS#12 bytes
    /// protected by <paramref name="password"/>.
    /// </summary>
    public static byte[] Create(string subjectName, TimeSpan validity, string? password, DateTimeOffset now)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(new X500DistinguishedName($"CN={subjectName}"), key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(
            [new Oid("1.3.6.1.5.5.7.3.1"), new Oid("1.3.6.1.5.5.7.3.2")], false));
        using var certificate = request.CreateSelfSigned(now.AddMinutes(-5), now + validity);
        return certificate.Export(X509ContentType.Pkcs12, password);
    }
}

using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace OpenChat.Gateway.Https;

/// <summary>The certificate the gateway serves HTTPS with, and what people compare it by.</summary>
public sealed class WebCertificate
{
    public X509Certificate2 Certificate { get; }

    /// <summary>The certificates after the first in a PEM file (intermediates), sent with it.</summary>
    public X509Certificate2Collection Chain { get; }

    /// <summary>Whether the server made it itself (<c>self-signed</c>).</summary>
    public bool SelfSigned { get; }

    /// <summary>Why a new self-signed certificate was made at this start; null when none was.</summary>
    public string? NewBecause { get; }

    /// <summary>SHA-256 of the certificate, as browsers show it: upper-case hex bytes separated by colons.</summary>
    public string Fingerprint => FingerprintOf(Certificate);

    private WebCertificate(X509Certificate2 certificate, X509Certificate2Collection chain, bool selfSigned, string? newBecause)
    {
        Certificate = certificate;
        Chain = chain;
        SelfSigned = selfSigned;
        NewBecause = newBecause;
    }

    /// <summary>Loads or makes the configured certificate; a problem is an <see cref="ArgumentException"/> naming the setting.</summary>
    public static WebCertificate Load(HttpsOptions options, string dataDirectory, DateTimeOffset now)
    {
        if (options.EffectiveMode == HttpsOptions.SelfSigned)
        {
            var names = options.Names is { Length: > 0 } configured ? configured.Select(n => n.Trim()).ToList() : SelfSignedCertificate.DefaultNames();
            var (certificate, reason) = SelfSignedCertificate.LoadOrCreate(dataDirectory, names, now);
            return new WebCertificate(certificate, [], selfSigned: true, reason);
        }
        return LoadPem(options.CertificatePath!, string.IsNullOrWhiteSpace(options.KeyPath) ? null : options.KeyPath, now);
    }

    private static WebCertificate LoadPem(string certificatePath, string? keyPath, DateTimeOffset now)
    {
        var certificatePem = Read(certificatePath, "OpenChat:Https:CertificatePath");
        var keyPem = keyPath is null ? certificatePem : Read(keyPath, "OpenChat:Https:KeyPath");
        var keySource = keyPath is null ? $"OpenChat:Https:CertificatePath: '{certificatePath}' (no OpenChat:Https:KeyPath is set)" : $"OpenChat:Https:KeyPath: '{keyPath}'";
        var all = new X509Certificate2Collection();
        try
        {
            all.ImportFromPem(certificatePem);
        }
        catch (CryptographicException e)
        {
            throw new ArgumentException($"OpenChat:Https:CertificatePath: '{certificatePath}' holds a certificate that cannot be read: {e.Message}");
        }
        if (all.Count == 0)
            throw new ArgumentException($"OpenChat:Https:CertificatePath: '{certificatePath}' holds no PEM certificate (-----BEGIN CERTIFICATE-----).");
        if (keyPem.Contains("-----BEGIN ENCRYPTED PRIVATE KEY-----", StringComparison.Ordinal))
            throw new ArgumentException($"{keySource} holds an encrypted private key; give the server the key unencrypted, in a file only it can read.");
        if (!keyPem.Contains("PRIVATE KEY-----", StringComparison.Ordinal))
            throw new ArgumentException($"{keySource} holds no PEM private key (-----BEGIN PRIVATE KEY-----).");
        X509Certificate2 certificate;
        try
        {
            certificate = X509Certificate2.CreateFromPem(certificatePem, keyPem);
        }
        catch (ArgumentException)
        {
            // CopyWithPrivateKey's refusal: the key is not the certificate's.
            throw new ArgumentException(
                $"OpenChat:Https:KeyPath: the private key in {(keyPath is null ? $"'{certificatePath}'" : $"'{keyPath}'")} does not match the certificate in " +
                $"'{certificatePath}' (SHA-256 {FingerprintOf(all[0])}): they are not a pair. Give the key that was made with this certificate.");
        }
        catch (CryptographicException e)
        {
            throw new ArgumentException($"{keySource} holds a private key that cannot be read or does not fit the certificate in '{certificatePath}': {e.Message}");
        }
        if (now < certificate.NotBefore || now > certificate.NotAfter)
            throw new ArgumentException(
                $"OpenChat:Https:CertificatePath: the certificate in '{certificatePath}' is valid from {certificate.NotBefore.ToUniversalTime():u} " +
                $"to {certificate.NotAfter.ToUniversalTime():u}, not now.");
        var chain = new X509Certificate2Collection();
        for (var i = 1; i < all.Count; i++) chain.Add(all[i]);
        return new WebCertificate(certificate, chain, selfSigned: false, newBecause: null);
    }

    private static string Read(string path, string setting)
    {
        if (!File.Exists(path)) throw new ArgumentException($"{setting}: '{path}' does not exist.");
        try
        {
            return File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ArgumentException($"{setting}: '{path}' cannot be read by this process: {e.Message}");
        }
    }

    public static string FingerprintOf(X509Certificate2 certificate) =>
        BitConverter.ToString(SHA256.HashData(certificate.RawData)).Replace('-', ':');
}

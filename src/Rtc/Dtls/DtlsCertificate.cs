using Org.BouncyCastle.Asn1.Sec;
using Org.BouncyCastle.Asn1.X509;
using Org.BouncyCastle.Crypto;
using Org.BouncyCastle.Crypto.Generators;
using Org.BouncyCastle.Crypto.Operators;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Math;
using Org.BouncyCastle.Security;
using Org.BouncyCastle.Tls;
using Org.BouncyCastle.Tls.Crypto;
using Org.BouncyCastle.X509;
using OpenChat.Rtc.Sdp;

namespace OpenChat.Rtc.Dtls;

/// <summary>A self-signed ECDSA P-256 certificate and key for DTLS, with its SHA-256 fingerprint for SDP.</summary>
/// <remarks>WebRTC authenticates by fingerprint, not by chain, so a fresh self-signed certificate per node is the norm.</remarks>
public sealed class DtlsCertificate
{
    private DtlsCertificate(byte[] der, AsymmetricKeyParameter privateKey, System.Security.Cryptography.ECParameters signingKey)
    {
        Der = der;
        PrivateKey = privateKey;
        SigningKey = signingKey;
        Fingerprint = SdpFingerprint.Compute("sha-256", der);
    }

    /// <summary>The DER-encoded certificate.</summary>
    public byte[] Der { get; }

    /// <summary>SHA-256 fingerprint, written as <c>sha-256 AB:CD:...</c> in SDP.</summary>
    public SdpFingerprint Fingerprint { get; }

    internal AsymmetricKeyParameter PrivateKey { get; }

    /// <summary>The same key for the platform's ECDSA (handshake signatures are made natively: <see cref="DtlsCrypto"/>).</summary>
    internal System.Security.Cryptography.ECParameters SigningKey { get; }

    /// <summary>Generates a new key pair and certificate valid from yesterday for <paramref name="validity"/> (default 30 days).</summary>
    public static DtlsCertificate Generate(string commonName = "OpenChat", TimeSpan? validity = null)
    {
        var random = new SecureRandom();
        var keyGenerator = new ECKeyPairGenerator();
        keyGenerator.Init(new ECKeyGenerationParameters(SecObjectIdentifiers.SecP256r1, random));
        var keys = keyGenerator.GenerateKeyPair();

        var generator = new X509V3CertificateGenerator();
        var name = new X509Name("CN=" + commonName);
        generator.SetSerialNumber(new BigInteger(63, random).Add(BigInteger.One));
        generator.SetIssuerDN(name);
        generator.SetSubjectDN(name);
        generator.SetNotBefore(DateTime.UtcNow.AddDays(-1));
        generator.SetNotAfter(DateTime.UtcNow.Add(validity ?? TimeSpan.FromDays(30)));
        generator.SetPublicKey(keys.Public);
        var certificate = generator.Generate(new Asn1SignatureFactory("SHA256WITHECDSA", keys.Private, random));
        var signingKey = DtlsCrypto.NativeP256((ECPublicKeyParameters)keys.Public, (ECPrivateKeyParameters)keys.Private)!.Value;
        return new DtlsCertificate(certificate.GetEncoded(), keys.Private, signingKey);
    }

    internal Certificate ToTlsCertificate(TlsCrypto crypto) => new([crypto.CreateCertificate(Der)]);
}

using System.Security.Cryptography;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Security;
using Org.BouncyCastle.Tls;
using Org.BouncyCastle.Tls.Crypto;
using Org.BouncyCastle.Tls.Crypto.Impl.BC;

namespace OpenChat.Rtc.Dtls;

/// <summary>
/// BouncyCastle's TLS crypto with the handshake's ECDSA P-256 signatures made and checked by the platform's library
/// (.NET's <see cref="ECDsa"/>: OpenSSL on Linux) instead of managed code: the ServerKeyExchange or CertificateVerify
/// signature a peer makes, and the peer's one it checks. Each such operation costs about 0.9 ms of CPU in
/// BouncyCastle and 25 to 60 µs natively (docs/rtc.md); the rest of the handshake is unchanged.
/// </summary>
internal sealed class DtlsCrypto() : BcTlsCrypto(new SecureRandom())
{
    public override TlsCertificate CreateCertificate(short type, byte[] encoding) =>
        type == CertificateType.X509 ? new PeerCertificate(this, encoding) : base.CreateCertificate(type, encoding);

    private static readonly Org.BouncyCastle.Math.EC.ECCurve P256 = Org.BouncyCastle.Asn1.Sec.SecNamedCurves.GetByName("secp256r1").Curve;

    /// <summary>A signer with <paramref name="key"/> (a P-256 private key with its public point) for TLS 1.2 ECDSA signatures.</summary>
    public static TlsSigner Signer(ECParameters key) => new NativeEcdsaSigner(key);

    /// <summary>The P-256 key of <paramref name="key"/> as .NET's parameters; null for any other curve.</summary>
    public static ECParameters? NativeP256(ECPublicKeyParameters key, ECPrivateKeyParameters? privateKey = null)
    {
        if (!key.Parameters.Curve.Equals(P256)) return null;
        var q = key.Q.Normalize();
        return new ECParameters
        {
            Curve = ECCurve.NamedCurves.nistP256,
            Q = new System.Security.Cryptography.ECPoint
            {
                X = q.AffineXCoord.GetEncoded(),
                Y = q.AffineYCoord.GetEncoded(),
            },
            D = privateKey?.D.ToByteArrayUnsigned() is { } d ? LeftPad(d, 32) : null,
        };
    }

    private static byte[] LeftPad(byte[] value, int length)
    {
        if (value.Length >= length) return value;
        var padded = new byte[length];
        value.CopyTo(padded, length - value.Length);
        return padded;
    }

    /// <summary>A peer's certificate whose ECDSA P-256 signatures are checked natively; other keys as BouncyCastle checks them.</summary>
    private sealed class PeerCertificate(BcTlsCrypto crypto, byte[] encoding) : BcTlsCertificate(crypto, encoding)
    {
        public override TlsVerifier CreateVerifier(short signatureAlgorithm)
        {
            if (signatureAlgorithm == SignatureAlgorithm.ecdsa)
            {
                ValidateKeyUsage(Org.BouncyCastle.Asn1.X509.KeyUsage.DigitalSignature);
                if (GetPubKeyEC() is { } key && NativeP256(key) is { } native) return new NativeEcdsaVerifier(native);
            }
            return base.CreateVerifier(signatureAlgorithm);
        }
    }

    /// <summary>Checks a DER-encoded ECDSA signature over the hash BouncyCastle computed of the signed data.</summary>
    private sealed class NativeEcdsaVerifier(ECParameters key) : TlsVerifier
    {
        public TlsStreamVerifier? GetStreamVerifier(DigitallySigned digitallySigned) => null;

        public bool VerifyRawSignature(DigitallySigned digitallySigned, byte[] hash)
        {
            var algorithm = digitallySigned.Algorithm;
            if (algorithm is not null && algorithm.Signature != SignatureAlgorithm.ecdsa)
                throw new InvalidOperationException("Invalid algorithm: " + algorithm);
            using var ecdsa = ECDsa.Create(key);
            return ecdsa.VerifyHash(hash, digitallySigned.Signature, DSASignatureFormat.Rfc3279DerSequence);
        }
    }

    /// <summary>Makes DER-encoded ECDSA signatures over the hash BouncyCastle computed of the data to sign.</summary>
    private sealed class NativeEcdsaSigner(ECParameters key) : TlsSigner
    {
        public byte[] GenerateRawSignature(SignatureAndHashAlgorithm algorithm, byte[] hash)
        {
            if (algorithm is not null && algorithm.Signature != SignatureAlgorithm.ecdsa)
                throw new InvalidOperationException("Invalid algorithm: " + algorithm);
            using var ecdsa = ECDsa.Create(key);
            return ecdsa.SignHash(hash, DSASignatureFormat.Rfc3279DerSequence);
        }

        public TlsStreamSigner? GetStreamSigner(SignatureAndHashAlgorithm algorithm) => null;
    }
}

using Org.BouncyCastle.Tls;
using Org.BouncyCastle.Tls.Crypto;
using Org.BouncyCastle.Tls.Crypto.Impl.BC;
using OpenChat.Rtc.Sdp;
using OpenChat.Rtc.Srtp;

namespace OpenChat.Rtc.Dtls;

/// <summary>Settings and results shared by the DTLS-SRTP server and client.</summary>
internal sealed class DtlsSrtpPeer
{
    /// <summary>ECDHE_ECDSA with AES-GCM only: what browsers offer and what an ECDSA certificate can serve.</summary>
    public static readonly int[] CipherSuites =
    [
        CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
        CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
    ];

    public DtlsSrtpPeer(BcTlsCrypto crypto, DtlsCertificate certificate, SdpFingerprint remoteFingerprint,
        IReadOnlyList<SrtpProfile> profiles, int handshakeTimeoutMillis)
    {
        Crypto = crypto;
        Certificate = certificate;
        RemoteFingerprint = remoteFingerprint;
        Profiles = profiles;
        HandshakeTimeoutMillis = handshakeTimeoutMillis;
    }

    public BcTlsCrypto Crypto { get; }
    public DtlsCertificate Certificate { get; }
    public SdpFingerprint RemoteFingerprint { get; }
    public IReadOnlyList<SrtpProfile> Profiles { get; }
    public int HandshakeTimeoutMillis { get; }

    /// <summary>Set once the handshake completes.</summary>
    public DtlsSrtpKeys? Keys { get; private set; }

    /// <summary>Set when the peer's certificate did not match its SDP fingerprint.</summary>
    public string? FailureReason { get; set; }

    /// <summary>Raised for every alert received (close_notify included), on whichever thread reads DTLS.</summary>
    public Action<short, short>? AlertReceived { get; set; }

    /// <summary>The handshake's signer: with <see cref="DtlsCrypto"/> it signs natively, with BouncyCastle's own crypto in managed code.</summary>
    public TlsCredentialedSigner CreateSigner(TlsContext context)
    {
        var algorithm = new SignatureAndHashAlgorithm(HashAlgorithm.sha256, SignatureAlgorithm.ecdsa);
        return Crypto is DtlsCrypto
            ? new DefaultTlsCredentialedSigner(new TlsCryptoParameters(context), DtlsCrypto.Signer(Certificate.SigningKey),
                Certificate.ToTlsCertificate(Crypto), algorithm)
            : new BcDefaultTlsCredentialedSigner(new TlsCryptoParameters(context), Crypto, Certificate.PrivateKey,
                Certificate.ToTlsCertificate(Crypto), algorithm);
    }

    /// <summary>Checks the peer's end-entity certificate against the fingerprint from its SDP.</summary>
    public void CheckPeerCertificate(Certificate? certificate)
    {
        if (certificate is null || certificate.IsEmpty)
        {
            FailureReason = "peer sent no certificate";
            throw new TlsFatalAlert(AlertDescription.bad_certificate, FailureReason);
        }
        byte[] der = certificate.GetCertificateAt(0).GetEncoded();
        if (!RemoteFingerprint.Matches(der))
        {
            FailureReason = "peer certificate does not match the fingerprint in its SDP";
            throw new TlsFatalAlert(AlertDescription.bad_certificate, FailureReason);
        }
    }

    public void ExportKeys(TlsContext context, SrtpProfile profile)
    {
        // Must happen inside NotifyHandshakeComplete: BouncyCastle forbids exporting afterwards.
        var material = context.ExportKeyingMaterial("EXTRACTOR-dtls_srtp", null, DtlsSrtpKeys.MaterialLength(profile));
        Keys = new DtlsSrtpKeys(profile, material);
    }

    public static IList<SignatureAndHashAlgorithm> SignatureAlgorithms() =>
    [
        new SignatureAndHashAlgorithm(HashAlgorithm.sha256, SignatureAlgorithm.ecdsa),
        new SignatureAndHashAlgorithm(HashAlgorithm.sha384, SignatureAlgorithm.ecdsa),
        new SignatureAndHashAlgorithm(HashAlgorithm.sha256, SignatureAlgorithm.rsa),
        SignatureAndHashAlgorithm.rsa_pss_rsae_sha256,
    ];
}

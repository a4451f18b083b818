using Org.BouncyCastle.Tls;
using OpenChat.Rtc.Srtp;

namespace OpenChat.Rtc.Dtls;

/// <summary>The DTLS 1.2 server of a media node: ECDHE_ECDSA AES-GCM, extended master secret, use_srtp, client certificate required.</summary>
internal sealed class DtlsSrtpServer : DefaultTlsServer
{
    private readonly DtlsSrtpPeer _peer;
    private SrtpProfile? _selected;

    public DtlsSrtpServer(DtlsSrtpPeer peer) : base(peer.Crypto) => _peer = peer;

    public DtlsSrtpPeer Peer => _peer;

    protected override ProtocolVersion[] GetSupportedVersions() => ProtocolVersion.DTLSv12.Only();

    protected override int[] GetSupportedCipherSuites() => DtlsSrtpPeer.CipherSuites;

    public override int GetHandshakeTimeoutMillis() => _peer.HandshakeTimeoutMillis;

    public override bool RequiresExtendedMasterSecret() => true;

    protected override TlsCredentialedSigner GetECDsaSignerCredentials() => _peer.CreateSigner(m_context);

    public override CertificateRequest GetCertificateRequest() =>
        new([ClientCertificateType.ecdsa_sign, ClientCertificateType.rsa_sign], DtlsSrtpPeer.SignatureAlgorithms(), null);

    public override void ProcessClientExtensions(IDictionary<int, byte[]> clientExtensions)
    {
        base.ProcessClientExtensions(clientExtensions);
        var offered = TlsSrtpUtilities.GetUseSrtpExtension(clientExtensions)
            ?? throw new TlsFatalAlert(AlertDescription.handshake_failure, "client did not offer use_srtp");
        foreach (var profile in _peer.Profiles)
        {
            if (offered.ProtectionProfiles.Contains((int)profile))
            {
                _selected = profile;
                return;
            }
        }
        throw new TlsFatalAlert(AlertDescription.handshake_failure, "no common SRTP protection profile");
    }

    public override IDictionary<int, byte[]> GetServerExtensions()
    {
        var extensions = base.GetServerExtensions();
        TlsSrtpUtilities.AddUseSrtpExtension(extensions, new UseSrtpData([(int)_selected!.Value], TlsUtilities.EmptyBytes));
        return extensions;
    }

    public override void NotifyClientCertificate(Certificate clientCertificate) => _peer.CheckPeerCertificate(clientCertificate);

    public override void NotifyAlertReceived(short alertLevel, short alertDescription)
    {
        base.NotifyAlertReceived(alertLevel, alertDescription);
        _peer.AlertReceived?.Invoke(alertLevel, alertDescription);
    }

    public override void NotifyHandshakeComplete()
    {
        base.NotifyHandshakeComplete();
        _peer.ExportKeys(m_context, _selected!.Value);
    }
}

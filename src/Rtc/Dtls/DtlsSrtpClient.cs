using Org.BouncyCastle.Tls;
using OpenChat.Rtc.Srtp;

namespace OpenChat.Rtc.Dtls;

/// <summary>The DTLS 1.2 client of a simulated browser: same suites and checks as <see cref="DtlsSrtpServer"/>.</summary>
internal sealed class DtlsSrtpClient : DefaultTlsClient
{
    private readonly DtlsSrtpPeer _peer;
    private SrtpProfile? _selected;

    public DtlsSrtpClient(DtlsSrtpPeer peer) : base(peer.Crypto) => _peer = peer;

    protected override ProtocolVersion[] GetSupportedVersions() => ProtocolVersion.DTLSv12.Only();

    protected override int[] GetSupportedCipherSuites() => DtlsSrtpPeer.CipherSuites;

    public override int GetHandshakeTimeoutMillis() => _peer.HandshakeTimeoutMillis;

    public override bool RequiresExtendedMasterSecret() => true;

    protected override IList<SignatureAndHashAlgorithm> GetSupportedSignatureAlgorithms() => DtlsSrtpPeer.SignatureAlgorithms();

    public override IDictionary<int, byte[]> GetClientExtensions()
    {
        var extensions = base.GetClientExtensions() ?? new Dictionary<int, byte[]>();
        TlsSrtpUtilities.AddUseSrtpExtension(extensions,
            new UseSrtpData(_peer.Profiles.Select(p => (int)p).ToArray(), TlsUtilities.EmptyBytes));
        return extensions;
    }

    public override void ProcessServerExtensions(IDictionary<int, byte[]> serverExtensions)
    {
        base.ProcessServerExtensions(serverExtensions);
        var chosen = TlsSrtpUtilities.GetUseSrtpExtension(serverExtensions)
            ?? throw new TlsFatalAlert(AlertDescription.handshake_failure, "server did not accept use_srtp");
        if (chosen.ProtectionProfiles.Length != 1 || !_peer.Profiles.Contains((SrtpProfile)chosen.ProtectionProfiles[0]))
        {
            throw new TlsFatalAlert(AlertDescription.illegal_parameter, "server chose an SRTP profile we did not offer");
        }
        _selected = (SrtpProfile)chosen.ProtectionProfiles[0];
    }

    public override TlsAuthentication GetAuthentication() => new Authentication(this);

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

    private sealed class Authentication(DtlsSrtpClient client) : TlsAuthentication
    {
        public void NotifyServerCertificate(TlsServerCertificate serverCertificate) =>
            client._peer.CheckPeerCertificate(serverCertificate.Certificate);

        public TlsCredentials GetClientCredentials(CertificateRequest certificateRequest) =>
            client._peer.CreateSigner(client.m_context);
    }
}

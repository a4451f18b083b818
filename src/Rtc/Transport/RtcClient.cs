using Org.BouncyCastle.Security;
using Org.BouncyCastle.Tls.Crypto.Impl.BC;
using OpenChat.Rtc.Dtls;

namespace OpenChat.Rtc.Transport;

/// <summary>Creates client sessions (a simulated browser): each has its own UDP socket and makes an offer.</summary>
public sealed class RtcClient
{
    /// <summary>Creates a client with its certificate.</summary>
    public RtcClient(RtcClientOptions? options = null)
    {
        Options = options ?? new RtcClientOptions();
        Certificate = Options.Certificate ?? DtlsCertificate.Generate("OpenChat client");
        Crypto = new DtlsCrypto();
    }

    /// <summary>Settings.</summary>
    public RtcClientOptions Options { get; }

    /// <summary>The client's DTLS certificate.</summary>
    public DtlsCertificate Certificate { get; }

    internal BcTlsCrypto Crypto { get; }

    /// <summary>Binds a socket and writes an offer (<see cref="RtcClientSession.Offer"/>); then call <see cref="RtcClientSession.ConnectAsync"/> with the answer.</summary>
    public RtcClientSession CreateSession(RtcSessionOptions? options = null) => RtcClientSession.Create(this, options);
}

using System.Net;
using Org.BouncyCastle.Tls.Crypto.Impl.BC;
using OpenChat.Rtc.Dtls;
using OpenChat.Rtc.Srtp;

namespace OpenChat.Rtc.Transport;

/// <summary>What a session needs from whoever owns its socket (the endpoint, or a client session itself).</summary>
internal interface IRtcSessionHost
{
    BcTlsCrypto Crypto { get; }
    DtlsCertificate Certificate { get; }
    IReadOnlyList<SrtpProfile> SrtpProfiles { get; }
    TimeSpan HandshakeTimeout { get; }

    /// <summary>Sends a datagram; never throws.</summary>
    void Send(ReadOnlySpan<byte> datagram, SocketAddress destination);

    /// <summary>Called once when a session closes, so the host forgets it.</summary>
    void OnSessionClosed(RtcSession session);

    /// <summary>Called when a handshake thread finishes, success or not.</summary>
    void OnHandshakeFinished(RtcSession session);
}

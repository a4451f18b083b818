namespace OpenChat.Rtc.Transport;

/// <summary>Life cycle of a session.</summary>
public enum RtcSessionState
{
    /// <summary>Answer written (or offer sent); waiting for ICE.</summary>
    New,
    /// <summary>ICE check succeeded; DTLS not finished.</summary>
    IceConnected,
    /// <summary>DTLS handshake running.</summary>
    DtlsHandshaking,
    /// <summary>SRTP keys in place; audio flows.</summary>
    Connected,
    /// <summary>Closed; see <see cref="RtcSession.CloseReason"/>.</summary>
    Closed,
}

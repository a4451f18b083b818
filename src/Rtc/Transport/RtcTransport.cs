namespace OpenChat.Rtc.Transport;

/// <summary>How a session's selected path carries its packets.</summary>
public enum RtcTransport
{
    /// <summary>Datagrams on the endpoint's UDP socket.</summary>
    Udp,

    /// <summary>RFC 4571 frames on a TCP connection the peer opened to the endpoint's passive TCP candidate (RFC 6544).</summary>
    Tcp,
}

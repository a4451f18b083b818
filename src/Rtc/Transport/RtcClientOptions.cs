using System.Net;
using System.Net.Sockets;
using OpenChat.Rtc.Dtls;
using OpenChat.Rtc.Srtp;

namespace OpenChat.Rtc.Transport;

/// <summary>Settings of the client side (simulated browsers in load tests and tests).</summary>
public sealed class RtcClientOptions
{
    /// <summary>Local address each session binds its own UDP socket to.</summary>
    public IPAddress BindAddress { get; init; } = IPAddress.Loopback;

    /// <summary>
    /// Makes each session's UDP socket, unbound, for the address family of <see cref="BindAddress"/> (the session binds
    /// it); a plain <see cref="Socket"/> when null. Lets a test create it elsewhere, such as in another network namespace.
    /// </summary>
    public Func<AddressFamily, Socket>? SocketFactory { get; init; }

    /// <summary>
    /// Connect over ICE-TCP: open a TCP connection to the answer's passive TCP candidate and send everything in RFC 4571
    /// frames on it (as a browser does when UDP is blocked), instead of using the UDP candidate.
    /// </summary>
    public bool UseTcp { get; init; }

    /// <summary>The client certificate; generated when null (one per client, like a browser profile).</summary>
    public DtlsCertificate? Certificate { get; init; }

    /// <summary>SRTP profiles offered, in order of preference.</summary>
    public IReadOnlyList<SrtpProfile> SrtpProfiles { get; init; } = [SrtpProfile.AeadAes128Gcm, SrtpProfile.Aes128CmHmacSha1_80];

    /// <summary>Time allowed for ICE plus DTLS in <see cref="RtcClientSession.ConnectAsync"/>.</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>DTLS handshake timeout.</summary>
    public TimeSpan HandshakeTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Interval between ICE check retransmissions while connecting.</summary>
    public TimeSpan CheckInterval { get; init; } = TimeSpan.FromMilliseconds(50);

    /// <summary>Interval of consent-freshness checks once connected (RFC 7675 suggests about 5 s).</summary>
    public TimeSpan ConsentInterval { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>The session closes when the server has not answered for this long.</summary>
    public TimeSpan ConsentTimeout { get; init; } = TimeSpan.FromSeconds(30);
}

using System.Net;
using OpenChat.Rtc.Dtls;
using OpenChat.Rtc.Srtp;

namespace OpenChat.Rtc.Transport;

/// <summary>Settings of a media node's endpoint: one UDP socket shared by all sessions, and optionally one TCP listener (ICE-TCP).</summary>
public sealed class RtcEndpointOptions
{
    /// <summary>Address to bind (default any IPv4).</summary>
    public IPAddress BindAddress { get; init; } = IPAddress.Any;

    /// <summary>
    /// Addresses to bind instead of <see cref="BindAddress"/>, at most one per address family (for example
    /// <c>0.0.0.0</c> and <c>::</c>): a UDP socket each, and with <see cref="TcpPort"/> a TCP listener each, all on the
    /// same port. IPv6 sockets are IPv6-only, so an IPv4 peer always arrives on the IPv4 socket with a plain IPv4 address.
    /// </summary>
    public IReadOnlyList<IPAddress>? BindAddresses { get; init; }

    /// <summary>UDP port to bind; 0 picks a free one.</summary>
    public int Port { get; init; }

    /// <summary>Address written in the answer's host candidate (the node's public address); defaults to the bound address.</summary>
    public IPAddress? AdvertisedAddress { get; init; }

    /// <summary>
    /// Addresses written in the answer's host candidates instead of <see cref="AdvertisedAddress"/>, most preferred
    /// first (at most <see cref="RtcEndpoint.MaxAdvertisedAddresses"/>, no duplicates, each of a family that is bound).
    /// Each gets a UDP candidate and, with ICE-TCP, a passive TCP candidate; the first also goes in the <c>c=</c> line.
    /// </summary>
    public IReadOnlyList<IPAddress>? AdvertisedAddresses { get; init; }

    /// <summary>Port written in the candidate; defaults to the bound port.</summary>
    public int? AdvertisedPort { get; init; }

    /// <summary>
    /// TCP port of the passive ICE-TCP candidate (RFC 6544), for browsers whose network blocks UDP; null (default) for
    /// none, 0 for a free port. Advertised with a lower priority than UDP.
    /// </summary>
    public int? TcpPort { get; init; }

    /// <summary>Port written in the TCP candidate; defaults to the bound TCP port.</summary>
    public int? AdvertisedTcpPort { get; init; }

    /// <summary>Largest RFC 4571 frame accepted on a TCP connection (what a UDP datagram to the endpoint carries); a larger one closes the connection.</summary>
    public int MaxTcpFrameLength { get; init; } = 1500;

    /// <summary>TCP connections open at once; further ones are closed on accept.</summary>
    public int MaxTcpConnections { get; init; } = 1000;

    /// <summary>TCP connections open at once from one client address (an IPv4 address, or an IPv6 /64 prefix).</summary>
    public int MaxTcpConnectionsPerAddress { get; init; } = 8;

    /// <summary>A TCP connection that has not sent a valid ICE check within this time after accept is closed.</summary>
    public TimeSpan TcpIdleTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Bytes queued for sending per TCP connection (16 KiB: about 2.5 s of a 32 kbit/s stream); a packet that does not fit
    /// is dropped, so a slow reader never blocks the sender and its delay stays bounded.
    /// </summary>
    public int TcpSendQueueBytes { get; init; } = 16 * 1024;

    /// <summary>The node certificate; generated when null.</summary>
    public DtlsCertificate? Certificate { get; init; }

    /// <summary>SRTP profiles in order of preference.</summary>
    public IReadOnlyList<SrtpProfile> SrtpProfiles { get; init; } = [SrtpProfile.AeadAes128Gcm, SrtpProfile.Aes128CmHmacSha1_80];

    /// <summary>A session whose peer sends nothing valid for this long is closed (RFC 7675 uses 30 s).</summary>
    public TimeSpan ConsentTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// A nominated pair of lower priority than the selected one replaces it only once nothing valid has arrived on the
    /// selected path for this long (a peer whose network changed, or that renominated to a lower pair, has left it);
    /// until then the highest-priority nominated pair stays selected (RFC 8445 8.1.1; aggressive nomination nominates
    /// every pair that it checks).
    /// </summary>
    public TimeSpan PathQuietThreshold { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>A session that has not completed ICE and DTLS within this time after its answer is closed.</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>A DTLS handshake that has not completed within this time fails.</summary>
    public TimeSpan HandshakeTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Handshakes running at once; further sessions wait for a slot (up to <see cref="MaxWaitingHandshakes"/>), and
    /// ClientHellos beyond that are dropped (the peer retransmits).
    /// </summary>
    public int MaxConcurrentHandshakes { get; init; } = 32;

    /// <summary>Sessions whose cookie-bearing ClientHello waits for a handshake slot; each keeps that message (at most <see cref="MaxClientHelloLength"/>).</summary>
    public int MaxWaitingHandshakes { get; init; } = 256;

    /// <summary>
    /// Handshakes running at once from one client address (an IPv4 address, or an IPv6 /64 prefix). Each may hold up
    /// to about 0.6 MiB of handshake buffers until it completes or times out, so this bounds what one client can pin.
    /// </summary>
    public int MaxHandshakesPerAddress { get; init; } = 4;

    /// <summary>
    /// Largest ClientHello reassembled from fragments before the cookie exchange (browsers that send post-quantum
    /// key shares need about 1.5 KiB); larger ones are dropped.
    /// </summary>
    public int MaxClientHelloLength { get; init; } = 8 * 1024;

    /// <summary>Sessions allowed at once.</summary>
    public int MaxSessions { get; init; } = 10_000;

    /// <summary>
    /// Optional filter on the source of ICE checks; a check it refuses gets no answer. Tests use it to keep every
    /// packet on loopback.
    /// </summary>
    public Func<IPEndPoint, bool>? AcceptRemote { get; init; }

    /// <summary>How often timeouts are checked.</summary>
    public TimeSpan TimerPeriod { get; init; } = TimeSpan.FromMilliseconds(500);

    /// <summary>Socket receive buffer size in bytes.</summary>
    public int ReceiveBufferSize { get; init; } = 4 * 1024 * 1024;
}

using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Org.BouncyCastle.Security;
using Org.BouncyCastle.Tls;
using Org.BouncyCastle.Tls.Crypto.Impl.BC;
using OpenChat.Rtc.Dtls;
using OpenChat.Rtc.Ice;
using OpenChat.Rtc.Sdp;
using OpenChat.Rtc.Srtp;
using OpenChat.Rtc.Stun;

namespace OpenChat.Rtc.Transport;

/// <summary>
/// The server side a media node runs: one UDP socket shared by every session (and optionally one TCP listener for
/// ICE-TCP), ICE-lite, DTLS server, SRTP.
/// </summary>
/// <remarks>
/// One dedicated receive thread reads the socket and demultiplexes by first byte (RFC 7983). A datagram from an
/// address no session knows is only looked at if it is a STUN binding request whose USERNAME names a session and
/// whose MESSAGE-INTEGRITY checks out with that session's password; then the address is bound to the session.
/// Everything else from unknown addresses is counted and dropped. SRTP is decrypted inline on the receive thread
/// and handed to the session's audio callback; DTLS handshakes run on their own threads, capped in number.
/// </remarks>
public sealed partial class RtcEndpoint : IRtcSessionHost, IDisposable
{
    private const int MaxAddressesPerSession = 8;
    private static readonly TimeSpan RtcpInterval = TimeSpan.FromSeconds(5);

    private readonly RtcEndpointOptions _options;
    private readonly Socket[] _sockets;
    private readonly Socket? _socket4;
    private readonly Socket? _socket6;
    private readonly Thread[] _receiveThreads;
    private readonly IceCandidate[] _udpCandidates;
    private readonly IceCandidate[] _answerCandidates;
    private readonly Timer _timer;
    private readonly ConcurrentDictionary<string, RtcSession> _byUfrag = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<SocketAddress, RtcSession> _byAddress = new();
    private readonly DtlsVerifier _verifier;
    private readonly byte[] _stunResponse = new byte[256];
    private readonly object _processGate = new();
    private int _handshakes;
    private volatile bool _disposed;

    /// <summary>Binds the socket and starts receiving.</summary>
    public RtcEndpoint(RtcEndpointOptions? options = null)
    {
        _options = options ?? new RtcEndpointOptions();
        Certificate = _options.Certificate ?? DtlsCertificate.Generate("OpenChat media node");
        Crypto = new DtlsCrypto();
        _verifier = new DtlsVerifier(Crypto);
        if (_options.SrtpProfiles.Count == 0 || !_options.SrtpProfiles.Contains(Srtp.SrtpProfile.Aes128CmHmacSha1_80))
        {
            throw new ArgumentException("SRTP_AES128_CM_HMAC_SHA1_80 must be among the SRTP profiles (RFC 8827).", nameof(options));
        }
        ArgumentOutOfRangeException.ThrowIfLessThan(_options.MaxHandshakesPerAddress, 1, nameof(RtcEndpointOptions.MaxHandshakesPerAddress));
        // The reassembled ClientHello is written as one record, whose length field has 16 bits.
        ArgumentOutOfRangeException.ThrowIfLessThan(_options.MaxClientHelloLength, 512, nameof(RtcEndpointOptions.MaxClientHelloLength));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(_options.MaxClientHelloLength, ushort.MaxValue - 12, nameof(RtcEndpointOptions.MaxClientHelloLength));

        var bind = BindAddressesOf(_options);
        var advertised = AdvertisedAddressesOf(_options, bind);
        var sockets = BindAll(bind, _options.Port, family => new Socket(family, SocketType.Dgram, ProtocolType.Udp) { ReceiveBufferSize = _options.ReceiveBufferSize });
        _sockets = [.. sockets];
        _socket4 = sockets.Find(s => s.AddressFamily == AddressFamily.InterNetwork);
        _socket6 = sockets.Find(s => s.AddressFamily == AddressFamily.InterNetworkV6);
        LocalEndPoints = [.. sockets.Select(s => (IPEndPoint)s.LocalEndPoint!)];
        LocalEndPoint = LocalEndPoints[0];
        int advertisedPort = _options.AdvertisedPort ?? LocalEndPoint.Port;
        try
        {
            AdvertisedEndPoints = [.. advertised.Select(a => new IPEndPoint(a, advertisedPort))];
            StartTcp(bind);
        }
        catch
        {
            sockets.ForEach(s => s.Dispose());
            throw;
        }
        AdvertisedEndPoint = AdvertisedEndPoints[0];
        _udpCandidates = [.. AdvertisedEndPoints.Select(UdpCandidate)];
        _answerCandidates = [.. _udpCandidates, .. TcpAdvertisedEndPoints.Select(TcpCandidate)];

        _receiveThreads = [.. _sockets.Select(s => new Thread(() => ReceiveLoop(s)) { IsBackground = true, Name = $"rtc-endpoint-{LocalEndPoint.Port}-{(s.AddressFamily == AddressFamily.InterNetworkV6 ? "v6" : "v4")}" })];
        foreach (var thread in _receiveThreads)
        {
            thread.Start();
        }
        _timer = new Timer(_ => OnTimer(), null, _options.TimerPeriod, _options.TimerPeriod);
    }

    /// <summary>Most advertised addresses an endpoint takes: each adds candidates to every answer and checks to every browser.</summary>
    public const int MaxAdvertisedAddresses = 8;

    /// <summary>The first bound socket address.</summary>
    public IPEndPoint LocalEndPoint { get; }

    /// <summary>The bound socket addresses, one per address family bound.</summary>
    public IReadOnlyList<IPEndPoint> LocalEndPoints { get; }

    /// <summary>The address and port of answers' first (most preferred) host candidate, also written in the <c>c=</c> line.</summary>
    public IPEndPoint AdvertisedEndPoint { get; }

    /// <summary>The addresses and port of answers' UDP host candidates, most preferred first.</summary>
    public IReadOnlyList<IPEndPoint> AdvertisedEndPoints { get; }

    /// <summary>The node's DTLS certificate (its fingerprint goes in every answer).</summary>
    public DtlsCertificate Certificate { get; }

    /// <summary>Counters.</summary>
    public RtcEndpointStatistics Statistics { get; } = new();

    /// <summary>Sessions not yet closed.</summary>
    public int SessionCount => _byUfrag.Count;

    /// <summary>Raised when any session closes, with the reason (timeouts included).</summary>
    public event Action<RtcSession, string>? SessionClosed;

    /// <summary>The number of DTLS handshakes running (all client addresses).</summary>
    public int ActiveHandshakes => Volatile.Read(ref _handshakes);

    BcTlsCrypto IRtcSessionHost.Crypto => Crypto;
    IReadOnlyList<SrtpProfile> IRtcSessionHost.SrtpProfiles => _options.SrtpProfiles;
    TimeSpan IRtcSessionHost.HandshakeTimeout => _options.HandshakeTimeout;
    internal BcTlsCrypto Crypto { get; }

    /// <summary>
    /// Accepts a browser's offer: creates a session waiting for ICE and returns it with the answer SDP.
    /// Throws <see cref="SdpException"/> for malformed SDP and <see cref="OfferRejectedException"/> for an offer we cannot serve.
    /// </summary>
    public RtcAnswer AcceptOffer(string sdpOffer, RtcSessionOptions? options = null)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var offer = SdpSessionDescription.Parse(sdpOffer);
        var accepted = SdpNegotiator.AcceptOffer(offer);
        if (_byUfrag.Count >= _options.MaxSessions)
        {
            throw new OfferRejectedException("This media node is full.");
        }
        IceCredentials ice;
        RtcSession session;
        do
        {
            ice = IceCredentials.Generate();
            session = new RtcSession(this, ice, new IceCredentials(accepted.RemoteUfrag, accepted.RemotePassword),
                accepted.RemoteFingerprint, accepted.OpusPayloadType, accepted.AudioLevelExtensionId, options, isDtlsServer: true);
        }
        while (!_byUfrag.TryAdd(ice.Ufrag, session));
        session.SignaledCandidates = SignaledCandidates(offer);

        var local = new SdpLocalParameters(ice, Certificate.Fingerprint, _udpCandidates[0], session.LocalSsrc, session.Cname,
            options?.UseDtx ?? false, Candidates: _answerCandidates);
        return new RtcAnswer(session, SdpNegotiator.WriteAnswer(offer, accepted, local));
    }

    /// <summary>
    /// The offer's UDP candidates for component 1 with a literal address (relay ones above all: a check from a relay
    /// carries a peer-reflexive PRIORITY, far above the relay candidate's own), at most <see cref="MaxSignaledCandidates"/>.
    /// </summary>
    private static (IPEndPoint EndPoint, uint Priority)[] SignaledCandidates(SdpSessionDescription offer)
    {
        var found = new List<(IPEndPoint, uint)>();
        foreach (var media in offer.Media)
        {
            foreach (var line in media.GetAll("candidate"))
            {
                if (found.Count < MaxSignaledCandidates && IceCandidate.TryParse(line, out var c) && c!.Component == 1
                    && c.Transport.Equals("udp", StringComparison.OrdinalIgnoreCase))
                {
                    found.Add((new IPEndPoint(c.Address, c.Port), c.Priority));
                }
            }
        }
        return [.. found];
    }

    private const int MaxSignaledCandidates = 16;

    private void ReceiveLoop(Socket socket)
    {
        var buffer = GC.AllocateUninitializedArray<byte>(65536, pinned: true);
        var address = new SocketAddress(socket.AddressFamily);
        while (!_disposed)
        {
            int received;
            try
            {
                received = socket.ReceiveFrom(buffer, SocketFlags.None, address);
            }
            catch (ObjectDisposedException)
            {
                break;
            }
            catch (SocketException)
            {
                if (_disposed)
                {
                    break;
                }
                continue;
            }
            // One receive thread per address family: the count is shared.
            Interlocked.Increment(ref Statistics.DatagramsReceivedField);
            Interlocked.Add(ref RtcMetrics.BytesReceived, received);
            ProcessGuarded(buffer.AsSpan(0, received), address);
        }
    }

    /// <summary>
    /// Processes one packet from the UDP socket or one frame from a TCP connection. Packets are processed one at a
    /// time (the lock is uncontended while only UDP carries traffic), so the handling code keeps its single-reader
    /// state: the STUN answer buffer, ClientHello reassembly, path checks.
    /// </summary>
    private void ProcessGuarded(Span<byte> packet, SocketAddress address)
    {
        lock (_processGate)
        {
            try
            {
                Process(packet, address);
            }
            catch (Exception)
            {
                // Malformed input must never stop the loop; count it and carry on.
                Statistics.ReceiveErrorsField++;
            }
        }
    }

    private void Process(Span<byte> datagram, SocketAddress address)
    {
        var kind = PacketClassifier.Classify(datagram);
        if (kind == PacketKind.Unknown)
        {
            Statistics.DroppedUnclassifiedField++;
            Interlocked.Increment(ref RtcMetrics.DroppedUnclassified);
            return;
        }
        if (!_byAddress.TryGetValue(address, out var session))
        {
            if (kind == PacketKind.Stun)
            {
                HandleStun(datagram, address, null);
            }
            else
            {
                Statistics.DroppedUnknownSourceField++;
                Interlocked.Increment(ref RtcMetrics.DroppedUnknownSource);
            }
            return;
        }
        switch (kind)
        {
            case PacketKind.Stun:
                HandleStun(datagram, address, session);
                break;
            case PacketKind.Dtls:
                HandleDtls(datagram, address, session);
                break;
            case PacketKind.Rtp:
            case PacketKind.Rtcp:
                session.HandleSrtp(datagram, kind == PacketKind.Rtcp, refreshesConsent: session.IsSelected(address));
                break;
        }
    }

    private void OnTimer()
    {
        long now = Environment.TickCount64;
        CloseIdleTcpConnections(now);
        foreach (var session in _byUfrag.Values)
        {
            if (session.IsClosed)
            {
                continue;
            }
            var state = session.State;
            if (state != RtcSessionState.Connected && now - session.CreatedTicks > _options.ConnectTimeout.TotalMilliseconds)
            {
                session.Close($"not connected within {_options.ConnectTimeout.TotalSeconds:0.#} s (reached {state})");
            }
            else if (state != RtcSessionState.New && now - session.LastReceivedTicks > _options.ConsentTimeout.TotalMilliseconds)
            {
                session.Close($"consent expired: nothing valid from the peer for {_options.ConsentTimeout.TotalSeconds:0.#} s");
            }
            else if (state == RtcSessionState.Connected && now - session.LastRtcpTicks > RtcpInterval.TotalMilliseconds)
            {
                session.LastRtcpTicks = now;
                session.SendRtcpReport();
            }
        }
    }

    void IRtcSessionHost.Send(ReadOnlySpan<byte> datagram, SocketAddress destination) => Send(datagram, destination);

    private void Send(ReadOnlySpan<byte> datagram, SocketAddress destination)
    {
        if (TcpPathKey.IsTcp(destination))
        {
            SendTcp(datagram, destination);
            return;
        }
        var socket = destination.Family == AddressFamily.InterNetworkV6 ? _socket6 : _socket4;
        if (socket is null)
        {
            Interlocked.Increment(ref Statistics.SendErrorsField);
            return;
        }
        try
        {
            socket.SendTo(datagram, SocketFlags.None, destination);
            Interlocked.Add(ref RtcMetrics.BytesSent, datagram.Length);
        }
        catch (SocketException)
        {
            Interlocked.Increment(ref Statistics.SendErrorsField);
        }
        catch (ObjectDisposedException)
        {
        }
    }

    void IRtcSessionHost.OnSessionClosed(RtcSession session)
    {
        _byUfrag.TryRemove(new KeyValuePair<string, RtcSession>(session.Id, session));
        lock (session.KnownAddresses)
        {
            foreach (var a in session.KnownAddresses)
            {
                _byAddress.TryRemove(new KeyValuePair<SocketAddress, RtcSession>(a, session));
            }
        }
        CloseTcpConnectionsOf(session);
        try
        {
            SessionClosed?.Invoke(session, session.CloseReason ?? "closed");
        }
        catch (Exception)
        {
        }
    }

    /// <summary>Closes every session and the socket.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }
        _disposed = true;
        _timer.Dispose();
        foreach (var session in _byUfrag.Values)
        {
            session.Close("endpoint disposed");
        }
        foreach (var socket in _sockets)
        {
            socket.Dispose();
        }
        StopTcp();
        foreach (var thread in _receiveThreads)
        {
            thread.Join(TimeSpan.FromSeconds(2));
        }
    }

    /// <summary>Sends the HelloVerifyRequest to the address the ClientHello came from.</summary>
    private sealed class Sender(RtcEndpoint endpoint, SocketAddress address) : DatagramSender
    {
        public int GetSendLimit() => QueuedDatagramTransport.SendLimit;

        public void Send(byte[] buf, int off, int len) => endpoint.Send(buf.AsSpan(off, len), address);

        public void Send(ReadOnlySpan<byte> buffer) => endpoint.Send(buffer, address);
    }
}

using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using Org.BouncyCastle.Tls.Crypto.Impl.BC;
using OpenChat.Rtc.Dtls;
using OpenChat.Rtc.Ice;
using OpenChat.Rtc.Sdp;
using OpenChat.Rtc.Srtp;
using OpenChat.Rtc.Stun;

namespace OpenChat.Rtc.Transport;

/// <summary>
/// The client side of one peer connection: full ICE agent in the controlling role (checks with USE-CANDIDATE),
/// DTLS client, then the same audio API as <see cref="RtcSession"/>.
/// </summary>
/// <remarks>Its socket is read by an async loop, so idle client sessions hold no thread.</remarks>
public sealed class RtcClientSession : RtcSession
{
    private readonly ClientHost _host;
    private readonly RtcClient _client;
    private readonly ulong _tieBreaker = BitConverter.ToUInt64(RandomNumberGenerator.GetBytes(8));
    private readonly TaskCompletionSource _iceDone = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _connected = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationTokenSource _stop = new();
    private readonly object _checkLock = new();
    private StunTransactionId _pendingCheck;
    private bool _checkPending;
    private Timer? _consentTimer;
    private SocketAddress? _server;

    private RtcClientSession(ClientHost host, RtcClient client, IceCredentials localIce, RtcSessionOptions? options)
        : base(host, localIce, new IceCredentials("", ""), new SdpFingerprint("sha-256", new byte[32]),
            SdpNegotiator.DefaultOpusPayloadType, 0, options, isDtlsServer: false)
    {
        _host = host;
        _client = client;
        var local = (IPEndPoint)host.Socket.LocalEndPoint!;
        Offer = SdpNegotiator.WriteOffer(new SdpLocalParameters(localIce, client.Certificate.Fingerprint,
            IceCandidate.Host(local.Address, local.Port), LocalSsrc, Cname, options?.UseDtx ?? false));
        Connected += _ => _connected.TrySetResult();
        Closed += (_, reason) =>
        {
            _iceDone.TrySetException(new IOException(reason));
            _connected.TrySetException(new IOException(reason));
        };
    }

    /// <summary>The SDP offer to send to the server.</summary>
    public string Offer { get; }

    /// <summary>The local socket address.</summary>
    public IPEndPoint LocalEndPoint => (IPEndPoint)_host.Socket.LocalEndPoint!;

    internal static RtcClientSession Create(RtcClient client, RtcSessionOptions? options)
    {
        var family = client.Options.BindAddress.AddressFamily;
        var socket = client.Options.SocketFactory is { } factory ? factory(family) : new Socket(family, SocketType.Dgram, ProtocolType.Udp);
        socket.ReceiveBufferSize = 1024 * 1024;
        socket.Bind(new IPEndPoint(client.Options.BindAddress, 0));
        var host = new ClientHost(socket, client);
        var session = new RtcClientSession(host, client, IceCredentials.Generate(), options);
        _ = session.ReceiveLoopAsync();
        return session;
    }

    /// <summary>
    /// Applies the server's answer, runs ICE checks against its candidate, then the DTLS handshake.
    /// Completes when audio can flow; throws if the answer is unusable or the connection fails or times out.
    /// </summary>
    public async Task ConnectAsync(string sdpAnswer, CancellationToken cancellationToken = default)
    {
        var answer = SdpNegotiator.AcceptAnswer(SdpSessionDescription.Parse(sdpAnswer));
        var family = _host.Socket.AddressFamily;
        string transport = _client.Options.UseTcp ? "tcp" : "udp";
        var candidate = answer.Candidates.FirstOrDefault(c => c.Address.AddressFamily == family && c.Transport == transport)
            ?? throw new OfferRejectedException($"The answer has no {transport.ToUpperInvariant()} host candidate we can reach.");
        RemoteIce = new IceCredentials(answer.RemoteUfrag, answer.RemotePassword);
        RemoteFingerprint = answer.RemoteFingerprint;
        OpusPayloadType = answer.OpusPayloadType;
        AudioLevelExtensionId = answer.AudioLevelExtensionId;
        var serverEndPoint = new IPEndPoint(candidate.Address, candidate.Port);
        if (_client.Options.UseTcp)
        {
            await _host.ConnectTcpAsync(serverEndPoint, _client.Options.BindAddress, cancellationToken).ConfigureAwait(false);
            _ = TcpReceiveLoopAsync(serverEndPoint.Serialize());
        }
        _server = serverEndPoint.Serialize();

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _stop.Token);
        timeout.CancelAfter(_client.Options.ConnectTimeout);
        try
        {
            while (!_iceDone.Task.IsCompleted)
            {
                timeout.Token.ThrowIfCancellationRequested();
                SendCheck(useCandidate: true);
                await Task.WhenAny(_iceDone.Task, Task.Delay(_client.Options.CheckInterval, timeout.Token)).ConfigureAwait(false);
            }
            await _iceDone.Task.ConfigureAwait(false);
            OnIceSucceeded(_server, serverEndPoint);
            StartDtlsClient();
            await _connected.Task.WaitAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            Close($"not connected within {_client.Options.ConnectTimeout.TotalSeconds:0.#} s (reached {State})");
            throw new TimeoutException(CloseReason);
        }
        _consentTimer = new Timer(_ => OnConsentTimer(), null, _client.Options.ConsentInterval, _client.Options.ConsentInterval);
    }

    private void SendCheck(bool useCandidate)
    {
        var server = _server;
        if (server is null || IsClosed)
        {
            return;
        }
        Span<byte> buffer = stackalloc byte[256];
        int length;
        lock (_checkLock)
        {
            _pendingCheck = StunTransactionId.NewRandom();
            _checkPending = true;
            // Peer-reflexive priority for the local candidate (RFC 8445 7.1.1).
            length = IceBinding.WriteRequest(buffer, _pendingCheck, LocalIce, RemoteIce,
                IceCandidate.ComputePriority(110, 65535, 1), _tieBreaker, useCandidate);
        }
        _host.Send(buffer[..length], server);
    }

    private void OnConsentTimer()
    {
        if (IsClosed)
        {
            return;
        }
        if (Environment.TickCount64 - LastReceivedTicks > _client.Options.ConsentTimeout.TotalMilliseconds)
        {
            Close($"consent expired: no answer from the server for {_client.Options.ConsentTimeout.TotalSeconds:0.#} s");
            return;
        }
        SendCheck(useCandidate: false);
        SendRtcpReport();
    }

    private async Task ReceiveLoopAsync()
    {
        var buffer = GC.AllocateUninitializedArray<byte>(65536, pinned: true);
        var address = new SocketAddress(_host.Socket.AddressFamily);
        var token = _stop.Token;
        while (!token.IsCancellationRequested)
        {
            int received;
            try
            {
                received = await _host.Socket.ReceiveFromAsync(buffer.AsMemory(), SocketFlags.None, address, token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                break;
            }
            catch (ObjectDisposedException)
            {
                break;
            }
            catch (SocketException)
            {
                continue;
            }
            try
            {
                Process(buffer.AsSpan(0, received), address);
            }
            catch (Exception)
            {
                // Never let one datagram stop the loop.
            }
        }
    }

    /// <summary>Reads RFC 4571 frames from the TCP connection and processes each as a datagram from the server.</summary>
    private async Task TcpReceiveLoopAsync(SocketAddress server)
    {
        var buffer = GC.AllocateUninitializedArray<byte>(2 * 65538, pinned: true);
        int filled = 0;
        var token = _stop.Token;
        try
        {
            while (!token.IsCancellationRequested)
            {
                int received = await _host.Tcp!.ReceiveAsync(buffer.AsMemory(filled), SocketFlags.None, token).ConfigureAwait(false);
                if (received == 0)
                {
                    Close("the server closed the TCP connection");
                    return;
                }
                filled += received;
                int offset = 0;
                while (filled - offset >= 2)
                {
                    int length = (buffer[offset] << 8) | buffer[offset + 1];
                    if (filled - offset - 2 < length)
                    {
                        break;
                    }
                    try
                    {
                        Process(buffer.AsSpan(offset + 2, length), server);
                    }
                    catch (Exception)
                    {
                        // Never let one frame stop the loop.
                    }
                    offset += 2 + length;
                }
                buffer.AsSpan(offset, filled - offset).CopyTo(buffer);
                filled -= offset;
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException or OperationCanceledException)
        {
            Close("TCP connection failed: " + e.Message);
        }
    }

    private void Process(Span<byte> datagram, SocketAddress address)
    {
        var server = _server;
        if (server is null || !server.Equals(address))
        {
            return; // we only talk to the server's candidate
        }
        switch (PacketClassifier.Classify(datagram))
        {
            case PacketKind.Stun:
                if (StunMessage.TryParse(datagram, out var message))
                {
                    if (message.MessageType == StunMessageType.BindingRequest)
                    {
                        AnswerCheck(message, datagram, address);
                        break;
                    }
                    bool matches;
                    lock (_checkLock)
                    {
                        matches = _checkPending && IceBinding.IsValidResponse(message, datagram, _pendingCheck, RemoteIce);
                        if (matches)
                        {
                            _checkPending = false;
                        }
                    }
                    if (matches)
                    {
                        Touch();
                        _iceDone.TrySetResult();
                    }
                }
                break;
            case PacketKind.Dtls:
                HandleDtls(datagram);
                break;
            case PacketKind.Rtp:
                HandleSrtp(datagram, isRtcp: false, refreshesConsent: true);
                break;
            case PacketKind.Rtcp:
                HandleSrtp(datagram, isRtcp: true, refreshesConsent: true);
                break;
        }
    }

    /// <summary>
    /// Answers the server's own check, as a full ICE agent answers any valid check: the server sends one to learn
    /// that a newly nominated address of ours receives before it moves media there.
    /// </summary>
    private void AnswerCheck(StunMessage request, ReadOnlySpan<byte> raw, SocketAddress address)
    {
        if (!IceBinding.IsValidRequest(request, raw, LocalIce, RemoteIce.Ufrag))
        {
            return;
        }
        Span<byte> buffer = stackalloc byte[256];
        int length = IceBinding.WriteSuccessResponse(buffer, request.TransactionId, address.ToIPEndPoint(), LocalIce);
        _host.Send(buffer[..length], address);
    }

    private protected override void OnClosed()
    {
        _consentTimer?.Dispose();
        _stop.Cancel();
        _host.Socket.Dispose();
        _host.Tcp?.Dispose();
    }

    private sealed class ClientHost(Socket socket, RtcClient client) : IRtcSessionHost
    {
        public Socket Socket { get; } = socket;
        public BcTlsCrypto Crypto => client.Crypto;
        public DtlsCertificate Certificate => client.Certificate;
        public IReadOnlyList<SrtpProfile> SrtpProfiles => client.Options.SrtpProfiles;
        public TimeSpan HandshakeTimeout => client.Options.HandshakeTimeout;

        /// <summary>The connection to the server's passive TCP candidate, in TCP mode.</summary>
        public Socket? Tcp { get; private set; }

        private readonly object _tcpSendLock = new();

        public async Task ConnectTcpAsync(IPEndPoint server, IPAddress bindAddress, CancellationToken cancellationToken)
        {
            var tcp = new Socket(server.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                tcp.Bind(new IPEndPoint(bindAddress, 0));
                await tcp.ConnectAsync(server, cancellationToken).ConfigureAwait(false);
            }
            catch
            {
                tcp.Dispose();
                throw;
            }
            Tcp = tcp;
        }

        public void Send(ReadOnlySpan<byte> datagram, SocketAddress destination)
        {
            try
            {
                if (Tcp is { } tcp)
                {
                    // A test client: one blocking framed write at a time is enough.
                    Span<byte> frame = stackalloc byte[datagram.Length + 2];
                    frame[0] = (byte)(datagram.Length >> 8);
                    frame[1] = (byte)datagram.Length;
                    datagram.CopyTo(frame[2..]);
                    lock (_tcpSendLock)
                    {
                        tcp.Send(frame);
                    }
                    return;
                }
                Socket.SendTo(datagram, SocketFlags.None, destination);
            }
            catch (SocketException)
            {
            }
            catch (ObjectDisposedException)
            {
            }
        }

        public void OnSessionClosed(RtcSession session)
        {
        }

        public void OnHandshakeFinished(RtcSession session)
        {
        }
    }
}

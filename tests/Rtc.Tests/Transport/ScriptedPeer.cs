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
using OpenChat.Rtc.Transport;

namespace OpenChat.Rtc.Tests.Transport;

/// <summary>
/// A peer driven by hand from its own UDP socket on its own loopback address: sends ICE checks with given
/// credentials, runs a BouncyCastle DTLS client whose datagrams the test can filter, sends raw records, and sorts
/// everything it receives by kind.
/// </summary>
internal sealed class ScriptedPeer : IDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentDictionary<StunTransactionId, TaskCompletionSource> _pending = new();
    private readonly IPEndPoint _server;
    private QueuedDatagramTransport? _dtls;
    private Thread? _dtlsThread;

    public ScriptedPeer(IPAddress bind, IPEndPoint server, IceCredentials local, IceCredentials remote, int port = 0)
    {
        _server = server;
        Local = local;
        Remote = remote;
        Socket.Bind(new IPEndPoint(bind, port));
        _ = ReceiveLoop();
    }

    public Socket Socket { get; } = new(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
    public IPEndPoint LocalEndPoint => (IPEndPoint)Socket.LocalEndPoint!;
    public IceCredentials Local { get; }
    public IceCredentials Remote { get; }

    /// <summary>The server session this peer's offer created (null for a peer that borrows another's credentials).</summary>
    public RtcSession? Session { get; private init; }

    /// <summary>The client certificate named in this peer's offer.</summary>
    public DtlsCertificate? Certificate { get; private init; }

    /// <summary>The server certificate's fingerprint from the answer.</summary>
    public SdpFingerprint? ServerFingerprint { get; private init; }

    /// <summary>Whether to answer the server's own checks (as a client that really is at this address does).</summary>
    public bool AnswerChecks { get; init; }

    public int StunReceived;
    public int StunRequestsReceived;
    public int DtlsReceived;
    public int SrtpReceived;
    public int HelloVerifyRequests;
    public int ServerHellos;
    public Exception? DtlsError;

    /// <summary>Makes an offer with fresh ICE credentials and a fresh client certificate; the endpoint creates its session.</summary>
    public static ScriptedPeer ForNewSession(RtcEndpoint endpoint, IPAddress bind)
    {
        var client = new RtcClient();
        var ice = IceCredentials.Generate();
        var offer = client.CreateSession();
        var sdp = offer.Offer
            .Replace(Line(offer.Offer, "a=ice-ufrag:"), "a=ice-ufrag:" + ice.Ufrag)
            .Replace(Line(offer.Offer, "a=ice-pwd:"), "a=ice-pwd:" + ice.Password);
        offer.Dispose();
        var answer = endpoint.AcceptOffer(sdp);
        return new ScriptedPeer(bind, endpoint.LocalEndPoint, ice, IceOf(answer.Sdp))
        {
            Session = answer.Session,
            Certificate = client.Certificate,
            ServerFingerprint = SdpNegotiator.AcceptAnswer(SdpSessionDescription.Parse(answer.Sdp)).RemoteFingerprint,
        };
    }

    public static string Line(string sdp, string prefix) => sdp.Split("\r\n").First(l => l.StartsWith(prefix, StringComparison.Ordinal));

    /// <summary>The ICE credentials an SDP offer or answer carries.</summary>
    public static IceCredentials IceOf(string sdp) =>
        new(Line(sdp, "a=ice-ufrag:")["a=ice-ufrag:".Length..], Line(sdp, "a=ice-pwd:")["a=ice-pwd:".Length..]);

    public byte[] Check(bool useCandidate, out StunTransactionId id, uint priority = 12345)
    {
        id = StunTransactionId.NewRandom();
        var buffer = new byte[256];
        int n = IceBinding.WriteRequest(buffer, id, Local, Remote, priority, 42, useCandidate);
        return buffer[..n];
    }

    /// <summary>Sends a valid check and waits for its answer.</summary>
    public async Task<bool> RoundTrip(bool useCandidate, TimeSpan timeout, uint priority = 12345)
    {
        var check = Check(useCandidate, out var id, priority);
        var answered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _pending[id] = answered;
        Socket.SendTo(check, _server);
        try
        {
            await answered.Task.WaitAsync(timeout);
            return true;
        }
        catch (TimeoutException)
        {
            return false;
        }
        finally
        {
            _pending.TryRemove(id, out _);
        }
    }

    public void Send(ReadOnlySpan<byte> datagram) => Socket.SendTo(datagram, SocketFlags.None, _server);

    /// <summary>
    /// Runs a DTLS client on this socket. <paramref name="sendLimit"/> is its record size (a small one fragments the
    /// ClientHello); <paramref name="sendFilter"/> decides which of its datagrams actually leave.
    /// </summary>
    public Task<DtlsTransport> StartDtlsClient(int sendLimit = QueuedDatagramTransport.SendLimit, Func<byte[], bool>? sendFilter = null,
        int timeoutMillis = 20_000)
    {
        var peer = new DtlsSrtpPeer(new BcTlsCrypto(new SecureRandom()), Certificate!, ServerFingerprint!,
            [SrtpProfile.AeadAes128Gcm, SrtpProfile.Aes128CmHmacSha1_80], timeoutMillis);
        _dtls = new QueuedDatagramTransport(d =>
        {
            var copy = d.ToArray();
            if (sendFilter is null || sendFilter(copy))
            {
                Send(copy);
            }
        }, capacity: 256);
        var transport = new LimitedTransport(_dtls, sendLimit);
        var done = new TaskCompletionSource<DtlsTransport>(TaskCreationOptions.RunContinuationsAsynchronously);
        _dtlsThread = new Thread(() =>
        {
            try
            {
                done.TrySetResult(new DtlsClientProtocol().Connect(new DtlsSrtpClient(peer), transport));
            }
            catch (Exception e)
            {
                DtlsError = e;
                done.TrySetException(e);
            }
        }) { IsBackground = true, Name = "scripted-dtls-client" };
        _dtlsThread.Start();
        return done.Task;
    }

    /// <summary>Ends the DTLS client (its thread and buffers go away); later DTLS datagrams are only counted.</summary>
    public void StopDtlsClient()
    {
        _dtls?.Close();
        _dtlsThread?.Join(TimeSpan.FromSeconds(10));
        _dtls = null;
    }

    /// <summary>True for a datagram whose first record is a ClientHello (or a fragment of one).</summary>
    public static bool IsClientHello(byte[] d) => d.Length > 13 && d[0] == 22 && d[13] == 1;

    private async Task ReceiveLoop()
    {
        var buffer = new byte[65536];
        while (!_stop.IsCancellationRequested)
        {
            SocketReceiveFromResult r;
            try
            {
                r = await Socket.ReceiveFromAsync(buffer, SocketFlags.None, new IPEndPoint(IPAddress.Any, 0), _stop.Token);
            }
            catch (Exception)
            {
                return;
            }
            var d = buffer.AsSpan(0, r.ReceivedBytes);
            switch (PacketClassifier.Classify(d))
            {
                case PacketKind.Stun:
                    Interlocked.Increment(ref StunReceived);
                    if (StunMessage.TryParse(d, out var m))
                    {
                        if (m.MessageType == StunMessageType.BindingRequest)
                        {
                            Interlocked.Increment(ref StunRequestsReceived);
                            if (AnswerChecks && IceBinding.IsValidRequest(m, d, Local, Remote.Ufrag))
                            {
                                var response = new byte[256];
                                int n = IceBinding.WriteSuccessResponse(response, m.TransactionId, r.RemoteEndPoint as IPEndPoint ?? _server, Local);
                                Socket.SendTo(response.AsSpan(0, n), _server);
                            }
                        }
                        else if (_pending.TryGetValue(m.TransactionId, out var tcs))
                        {
                            tcs.TrySetResult();
                        }
                    }
                    break;
                case PacketKind.Dtls:
                    Interlocked.Increment(ref DtlsReceived);
                    if (d.Length > 13 && d[0] == 22 && d[13] == 3)
                    {
                        Interlocked.Increment(ref HelloVerifyRequests);
                    }
                    if (d.Length > 13 && d[0] == 22 && d[13] == 2)
                    {
                        Interlocked.Increment(ref ServerHellos);
                    }
                    _dtls?.Enqueue(d);
                    break;
                case PacketKind.Rtp:
                case PacketKind.Rtcp:
                    Interlocked.Increment(ref SrtpReceived);
                    break;
            }
        }
    }

    public void Dispose()
    {
        _stop.Cancel();
        _dtls?.Close();
        Socket.Dispose();
        _dtlsThread?.Join(TimeSpan.FromSeconds(5));
    }

    /// <summary>Our queue transport with a chosen record size.</summary>
    private sealed class LimitedTransport(QueuedDatagramTransport inner, int sendLimit) : DatagramTransport
    {
        public int GetReceiveLimit() => inner.GetReceiveLimit();
        public int GetSendLimit() => sendLimit;
        public int Receive(byte[] buf, int off, int len, int waitMillis) => inner.Receive(buf, off, len, waitMillis);
        public int Receive(Span<byte> buffer, int waitMillis) => inner.Receive(buffer, waitMillis);
        public void Send(byte[] buf, int off, int len) => inner.Send(buf, off, len);
        public void Send(ReadOnlySpan<byte> buffer) => inner.Send(buffer);
        public void Close() => inner.Close();
    }
}

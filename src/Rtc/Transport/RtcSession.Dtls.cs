using System.Diagnostics;
using Org.BouncyCastle.Tls;
using OpenChat.Rtc.Dtls;
using OpenChat.Rtc.Srtp;

namespace OpenChat.Rtc.Transport;

/// <summary>The DTLS half of a session: the handshake, its queue of datagrams, and the SRTP keys it exports.</summary>
public partial class RtcSession
{
    // ---- DTLS ----

    private DtlsSrtpPeer CreatePeer()
    {
        var peer = new DtlsSrtpPeer(_host.Crypto, _host.Certificate, RemoteFingerprint, _host.SrtpProfiles,
            (int)_host.HandshakeTimeout.TotalMilliseconds);
        peer.AlertReceived = (level, description) =>
        {
            if (description == AlertDescription.close_notify)
            {
                Close("peer closed DTLS (close_notify)");
            }
            else if (level == AlertLevel.fatal)
            {
                Close($"peer sent fatal DTLS alert {AlertDescription.GetText(description)}");
            }
        };
        return peer;
    }

    private byte[]? _drainBuffer;

    /// <summary>The client address whose handshake slot this session holds while its handshake runs.</summary>
    internal ClientAddress? HandshakeClient { get; private set; }

    /// <summary>The cookie-bearing ClientHello of a handshake waiting for a slot under the endpoint's cap; null otherwise.</summary>
    internal volatile PendingHandshake? WaitingHandshake;

    /// <summary>Starts the server handshake for a ClientHello that passed the cookie exchange, in a slot taken for <paramref name="client"/>.</summary>
    internal void StartDtlsServer(DtlsRequest request, ClientAddress client)
    {
        HandshakeClient = client;
        _dtlsPeer = CreatePeer();
        _dtlsQueue = new QueuedDatagramTransport(Send);
        Interlocked.CompareExchange(ref _state, (int)RtcSessionState.DtlsHandshaking, (int)RtcSessionState.IceConnected);
        var peer = _dtlsPeer;
        var queue = _dtlsQueue;
        RunHandshake(() => new DtlsServerProtocol().Accept(new DtlsSrtpServer(peer), queue, request), peer);
    }

    /// <summary>Starts the client handshake (after our ICE check succeeded).</summary>
    internal void StartDtlsClient()
    {
        _dtlsPeer = CreatePeer();
        _dtlsQueue = new QueuedDatagramTransport(Send);
        Interlocked.CompareExchange(ref _state, (int)RtcSessionState.DtlsHandshaking, (int)RtcSessionState.IceConnected);
        var peer = _dtlsPeer;
        var queue = _dtlsQueue;
        RunHandshake(() => new DtlsClientProtocol().Connect(new DtlsSrtpClient(peer), queue), peer);
    }

    private void RunHandshake(Func<DtlsTransport> handshake, DtlsSrtpPeer peer)
    {
        // BouncyCastle's handshake blocks: one dedicated thread per handshake (bounded by the host), none per idle session.
        var started = Stopwatch.GetTimestamp();
        RtcMetrics.HandshakeStarted();
        var thread = new Thread(() =>
        {
            var cpuAtStart = ThreadCpuTime.Now();
            bool completed = false;
            try
            {
                var dtls = handshake();
                OnDtlsConnected(dtls, peer.Keys!);
                completed = true;
            }
            catch (Exception e)
            {
                Close("DTLS handshake failed: " + (peer.FailureReason ?? e.Message));
            }
            finally
            {
                var cpu = ThreadCpuTime.Now() - cpuAtStart;
                HandshakeCpuSeconds = cpu;
                RtcMetrics.HandshakeEnded(completed, started, cpu);
                _host.OnHandshakeFinished(this);
            }
        })
        {
            IsBackground = true,
            Name = "dtls-handshake",
        };
        thread.Start();
    }

    private void OnDtlsConnected(DtlsTransport dtls, DtlsSrtpKeys keys)
    {
        var (inbound, outbound) = keys.CreateContexts(_isDtlsServer);
        lock (_receiveLock)
        {
            lock (_sendLock)
            {
                if (IsClosed)
                {
                    inbound.Dispose();
                    outbound.Dispose();
                    dtls.Close();
                    return;
                }
                _dtls = dtls;
                _dtlsQueue!.SwitchToNonBlocking();
                _inbound = inbound;
                _outbound = outbound;
                SrtpProfile = keys.Profile;
                _connectedTicks = _clock.ElapsedTicks;
                Volatile.Write(ref _state, (int)RtcSessionState.Connected);
            }
        }
        Touch();
        if (_isDtlsServer)
        {
            Interlocked.Increment(ref Transport == RtcTransport.Tcp ? ref RtcMetrics.SessionsConnectedTcp : ref RtcMetrics.SessionsConnectedUdp);
        }
        SafeInvoke(() => Connected?.Invoke(this));
    }

    /// <summary>CPU time this session's DTLS handshake took on its thread, once it ended (null before, or where it cannot be read).</summary>
    public double? HandshakeCpuSeconds { get; private set; }

    /// <summary>Datagrams queued for the handshake and not yet read by it.</summary>
    internal int PendingDtlsDatagrams => _dtlsQueue?.Pending ?? 0;

    /// <summary>A DTLS record from the selected address (receive thread).</summary>
    internal void HandleDtls(ReadOnlySpan<byte> datagram)
    {
        var queue = _dtlsQueue;
        if (queue is null)
        {
            return;
        }
        // Once keys are in place, only well-formed records reach BouncyCastle: it treats a malformed record as fatal,
        // and anyone who can forge the peer's source address could end the session with one. A forged record of the
        // right shape fails authentication and is discarded (RFC 6347 4.1.2.7). Epoch 0 stays open to the peer's
        // retransmitted last flight, which makes BouncyCastle resend ours if it was lost.
        if (_dtls is not null && !IsWellFormedRecords(datagram))
        {
            Interlocked.Increment(ref Statistics.DtlsDiscardedField);
            return;
        }
        if (!queue.Enqueue(datagram))
        {
            return;
        }
        if (_dtls is not null && Interlocked.Exchange(ref _dtlsDraining, 1) == 0)
        {
            // After the handshake DTLS only carries alerts (close_notify) and retransmissions: read them on the pool.
            ThreadPool.UnsafeQueueUserWorkItem(static s => s.DrainDtls(), this, preferLocal: false);
        }
    }

    /// <summary>
    /// True if the datagram is one or more complete DTLS 1.2 records (version fefd): of epoch 1 and long enough to
    /// authenticate, or of epoch 0 and a change_cipher_spec or whole handshake fragments (a retransmitted flight).
    /// </summary>
    internal static bool IsWellFormedRecords(ReadOnlySpan<byte> datagram)
    {
        const int Header = 13;
        const int HandshakeHeader = 12;
        if (datagram.IsEmpty)
        {
            return false;
        }
        while (!datagram.IsEmpty)
        {
            if (datagram.Length < Header || datagram[0] is < 20 or > 23 || datagram[1] != 0xfe || datagram[2] != 0xfd || datagram[3] != 0)
            {
                return false;
            }
            int length = (datagram[11] << 8) | datagram[12];
            if (Header + length > datagram.Length)
            {
                return false;
            }
            var body = datagram.Slice(Header, length);
            bool wellFormed = datagram[4] switch
            {
                // Both suites are AES-GCM: an 8-byte explicit nonce and a 16-byte tag; a shorter record is a decode_error.
                1 => length >= 8 + 16,
                0 when datagram[0] == 20 => length == 1 && body[0] == 1,
                0 when datagram[0] == 22 => length >= HandshakeHeader
                    && ClientHelloAssembler.ReadUInt24(body[9..]) == length - HandshakeHeader
                    && ClientHelloAssembler.ReadUInt24(body[6..]) + ClientHelloAssembler.ReadUInt24(body[9..]) <= ClientHelloAssembler.ReadUInt24(body[1..]),
                _ => false,
            };
            if (!wellFormed)
            {
                return false;
            }
            datagram = datagram[(Header + length)..];
        }
        return true;
    }

    private void DrainDtls()
    {
        // One drain at a time per session (_dtlsDraining), so the buffer is reused.
        var buffer = _drainBuffer ??= new byte[QueuedDatagramTransport.ReceiveLimit];
        while (true)
        {
            try
            {
                while (!IsClosed && _dtlsQueue!.Pending > 0)
                {
                    _dtls!.Receive(buffer, 0, buffer.Length, 1);
                }
            }
            catch (Exception e)
            {
                Volatile.Write(ref _dtlsDraining, 0);
                Close("DTLS failed after the handshake: " + e.Message);
                return;
            }
            Volatile.Write(ref _dtlsDraining, 0);
            // A datagram queued after the loop's last look found this drain still running and started none (a
            // close_notify right after a retransmitted flight, say): take it now rather than leave it in the queue.
            if (IsClosed || _dtlsQueue!.Pending == 0 || Interlocked.Exchange(ref _dtlsDraining, 1) != 0)
            {
                return;
            }
        }
    }
}

/// <summary>A server handshake waiting for a slot: the ClientHello that returned the cookie, and the client's address for the per-address cap.</summary>
internal sealed record PendingHandshake(DtlsRequest Request, ClientAddress Client);

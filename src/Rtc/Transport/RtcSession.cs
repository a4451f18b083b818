using System.Diagnostics;
using System.Net;
using System.Security.Cryptography;
using Org.BouncyCastle.Tls;
using OpenChat.Rtc.Dtls;
using OpenChat.Rtc.Ice;
using OpenChat.Rtc.Rtcp;
using OpenChat.Rtc.Rtp;
using OpenChat.Rtc.Sdp;
using OpenChat.Rtc.Srtp;

namespace OpenChat.Rtc.Transport;

/// <summary>
/// One peer connection carrying one audio stream each way: ICE-authorised address, DTLS-SRTP keys, RTP in and out.
/// </summary>
/// <remarks>
/// Inbound packets are handled on the owner's receive thread and delivered synchronously through
/// <see cref="AudioReceived"/>. <see cref="SendAudio"/> may be called from any thread.
/// </remarks>
public class RtcSession : IDisposable
{
    private const int SendBufferSize = 1500;

    private readonly IRtcSessionHost _host;
    private readonly object _sendLock = new();
    private readonly object _receiveLock = new();
    private readonly byte[] _sendBuffer = new byte[SendBufferSize];
    private readonly byte[] _rtcpBuffer = new byte[SendBufferSize];
    private readonly bool _isDtlsServer;
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private SrtpContext? _inbound;
    private SrtpContext? _outbound;
    private RtpReceiveStatistics? _receiveStats;
    private ushort _sequence;
    private uint _lastRtpTimestamp;
    private int _state;
    private string? _closeReason;
    private long _lastReceivedTicks;
    private long _firstAudioTicks = -1;
    private long _iceTicks = -1;
    private long _connectedTicks = -1;
    private QueuedDatagramTransport? _dtlsQueue;
    private DtlsTransport? _dtls;
    private DtlsSrtpPeer? _dtlsPeer;
    private int _dtlsDraining;
    private SocketAddress? _remote;

    internal RtcSession(IRtcSessionHost host, IceCredentials localIce, IceCredentials remoteIce, SdpFingerprint remoteFingerprint,
        int opusPayloadType, int audioLevelExtensionId, RtcSessionOptions? options, bool isDtlsServer)
    {
        _host = host;
        LocalIce = localIce;
        RemoteIce = remoteIce;
        RemoteFingerprint = remoteFingerprint;
        OpusPayloadType = opusPayloadType;
        AudioLevelExtensionId = audioLevelExtensionId;
        _isDtlsServer = isDtlsServer;
        LocalSsrc = options?.Ssrc ?? (uint)RandomNumberGenerator.GetInt32(1, int.MaxValue);
        Cname = options?.Cname ?? Convert.ToBase64String(RandomNumberGenerator.GetBytes(12));
        AudioReceived = options?.AudioReceived;
        _sequence = (ushort)RandomNumberGenerator.GetInt32(0, 32768);
        Id = localIce.Ufrag;
        _lastReceivedTicks = Environment.TickCount64;
    }

    /// <summary>Identifies the session in logs (our ICE ufrag).</summary>
    public string Id { get; }

    /// <summary>Current state.</summary>
    public RtcSessionState State => (RtcSessionState)Volatile.Read(ref _state);

    /// <summary>Why the session closed, once it has.</summary>
    public string? CloseReason => _closeReason;

    /// <summary>The peer's address selected by ICE, once known.</summary>
    public IPEndPoint? RemoteEndPoint { get; private set; }

    /// <summary>Our SSRC for the audio we send.</summary>
    public uint LocalSsrc { get; }

    /// <summary>Our RTCP CNAME.</summary>
    public string Cname { get; }

    /// <summary>Negotiated Opus payload type.</summary>
    public int OpusPayloadType { get; private protected set; }

    /// <summary>Negotiated id of the RFC 6464 audio level extension, or 0.</summary>
    public int AudioLevelExtensionId { get; private protected set; }

    /// <summary>Negotiated SRTP profile, once connected.</summary>
    public SrtpProfile? SrtpProfile { get; private set; }

    /// <summary>Counters.</summary>
    public RtcSessionStatistics Statistics { get; } = new();

    /// <summary>Time from creation to the first successful ICE check.</summary>
    public TimeSpan? TimeToIceConnected => Ticks(_iceTicks);

    /// <summary>Time from creation to SRTP keys in place.</summary>
    public TimeSpan? TimeToConnected => Ticks(_connectedTicks);

    /// <summary>Time from creation to the first authenticated audio packet.</summary>
    public TimeSpan? TimeToFirstAudio => Ticks(Volatile.Read(ref _firstAudioTicks));

    /// <summary>Raised once when DTLS completes and audio can flow (on the handshake thread).</summary>
    public event Action<RtcSession>? Connected;

    /// <summary>Raised once when the session closes, with the reason.</summary>
    public event Action<RtcSession, string>? Closed;

    /// <summary>Inbound audio callback (see <see cref="RtcAudioHandler"/>).</summary>
    public RtcAudioHandler? AudioReceived { get; set; }

    internal IceCredentials LocalIce { get; }
    internal IceCredentials RemoteIce { get; private protected set; }
    internal SdpFingerprint RemoteFingerprint { get; private protected set; }
    internal long LastRtcpTicks { get; set; } = Environment.TickCount64;
    internal List<SocketAddress> KnownAddresses { get; } = [];
    internal SocketAddress? RemoteAddress => Volatile.Read(ref _remote);
    internal long LastReceivedTicks => Volatile.Read(ref _lastReceivedTicks);
    internal long CreatedTicks { get; } = Environment.TickCount64;
    internal bool HandshakeStarted => _dtlsQueue is not null;
    internal bool IsClosed => State == RtcSessionState.Closed;

    private TimeSpan? Ticks(long ticks) => ticks < 0 ? null : TimeSpan.FromTicks(ticks * TimeSpan.TicksPerSecond / Stopwatch.Frequency);

    internal void Touch() => Volatile.Write(ref _lastReceivedTicks, Environment.TickCount64);

    /// <summary>Records a successful ICE check from <paramref name="address"/>; returns true the first time.</summary>
    internal bool OnIceSucceeded(SocketAddress address, IPEndPoint endPoint)
    {
        Touch();
        var current = RemoteAddress;
        if (current is null || !current.Equals(address))
        {
            Volatile.Write(ref _remote, address);
            RemoteEndPoint = endPoint;
        }
        if (Interlocked.CompareExchange(ref _state, (int)RtcSessionState.IceConnected, (int)RtcSessionState.New) == (int)RtcSessionState.New)
        {
            _iceTicks = _clock.ElapsedTicks;
            return true;
        }
        return false;
    }

    internal void Send(ReadOnlySpan<byte> datagram)
    {
        var remote = RemoteAddress;
        if (remote is not null)
        {
            _host.Send(datagram, remote);
        }
    }

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

    /// <summary>Starts the server handshake for a ClientHello that passed the cookie exchange (or for a fragmented one, fed as the first datagram).</summary>
    internal void StartDtlsServer(DtlsRequest? request, ReadOnlySpan<byte> firstDatagram)
    {
        _dtlsPeer = CreatePeer();
        _dtlsQueue = new QueuedDatagramTransport(Send);
        if (!firstDatagram.IsEmpty)
        {
            _dtlsQueue.Enqueue(firstDatagram);
        }
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
        var thread = new Thread(() =>
        {
            try
            {
                var dtls = handshake();
                OnDtlsConnected(dtls, peer.Keys!);
            }
            catch (Exception e)
            {
                Close("DTLS handshake failed: " + (peer.FailureReason ?? e.Message));
            }
            finally
            {
                _host.OnHandshakeFinished();
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
        SafeInvoke(() => Connected?.Invoke(this));
    }

    /// <summary>A DTLS record from the ICE-selected peer (receive thread).</summary>
    internal void HandleDtls(ReadOnlySpan<byte> datagram)
    {
        var queue = _dtlsQueue;
        if (queue is null || !queue.Enqueue(datagram))
        {
            return;
        }
        if (_dtls is not null && Interlocked.Exchange(ref _dtlsDraining, 1) == 0)
        {
            // After the handshake DTLS only carries alerts (close_notify) and retransmissions: read them on the pool.
            ThreadPool.UnsafeQueueUserWorkItem(static s => s.DrainDtls(), this, preferLocal: false);
        }
    }

    private void DrainDtls()
    {
        var buffer = new byte[QueuedDatagramTransport.ReceiveLimit];
        try
        {
            while (!IsClosed && _dtlsQueue!.Pending > 0)
            {
                _dtls!.Receive(buffer, 0, buffer.Length, 1);
            }
        }
        catch (Exception e)
        {
            Close("DTLS failed after the handshake: " + e.Message);
        }
        finally
        {
            Volatile.Write(ref _dtlsDraining, 0);
        }
    }

    // ---- SRTP in ----

    /// <summary>An SRTP or SRTCP packet from the ICE-selected peer, decrypted in place (receive thread).</summary>
    internal void HandleSrtp(Span<byte> packet, bool isRtcp)
    {
        lock (_receiveLock)
        {
            var inbound = _inbound;
            if (inbound is null)
            {
                Interlocked.Increment(ref Statistics.SrtpRejectedField);
                return;
            }
            if (isRtcp)
            {
                if (!inbound.UnprotectRtcp(packet, out int rtcpLength))
                {
                    Interlocked.Increment(ref Statistics.SrtpRejectedField);
                    return;
                }
                Touch();
                Interlocked.Increment(ref Statistics.RtcpReceivedField);
                ReadRtcp(packet[..rtcpLength]);
                return;
            }
            if (!inbound.UnprotectRtp(packet, out int length) || !RtpPacket.TryParse(packet[..length], out var rtp))
            {
                Interlocked.Increment(ref Statistics.SrtpRejectedField);
                return;
            }
            Touch();
            Interlocked.Increment(ref Statistics.PacketsReceivedField);
            if (_firstAudioTicks < 0)
            {
                Volatile.Write(ref _firstAudioTicks, _clock.ElapsedTicks);
            }
            _receiveStats ??= new RtpReceiveStatistics(rtp.Ssrc);
            if (_receiveStats.Ssrc == rtp.Ssrc)
            {
                _receiveStats.Update(rtp.SequenceNumber, rtp.Timestamp, _clock.ElapsedTicks / (double)Stopwatch.Frequency);
            }
            var handler = AudioReceived;
            if (handler is null)
            {
                return;
            }
            int level = -1;
            bool voice = false;
            if (AudioLevelExtensionId != 0 && rtp.TryGetAudioLevel(AudioLevelExtensionId, out byte l, out voice))
            {
                level = l;
            }
            var frame = new RtcAudioFrame(rtp, level, voice);
            try
            {
                handler(this, frame);
            }
            catch (Exception)
            {
                // A faulty consumer must not take the receive loop down.
            }
        }
    }

    private void ReadRtcp(ReadOnlySpan<byte> compound)
    {
        var reader = new RtcpCompoundReader(compound);
        while (reader.TryReadNext(out var packet))
        {
            if (packet.Type is RtcpPacketType.SenderReport or RtcpPacketType.ReceiverReport)
            {
                for (int i = 0; i < packet.ReportBlockCount; i++)
                {
                    var block = packet.GetReportBlock(i);
                    if (block.Ssrc == LocalSsrc)
                    {
                        Statistics.RemoteFractionLost = block.FractionLost;
                        Statistics.RemoteCumulativeLost = block.CumulativeLost;
                        Statistics.RemoteJitter = block.Jitter;
                    }
                }
            }
            // A BYE ends the peer's stream only; the session stays until ICE consent or DTLS says otherwise.
        }
    }

    // ---- send ----

    /// <summary>
    /// Sends one Opus packet: builds RTP with our SSRC and next sequence number, protects and sends it.
    /// Returns false if the session is not connected.
    /// </summary>
    /// <param name="opusPayload">The Opus packet.</param>
    /// <param name="rtpTimestamp">RTP timestamp at 48 kHz.</param>
    /// <param name="marker">Marker bit (first packet of a talkspurt).</param>
    /// <param name="audioLevel">RFC 6464 level (0-127 -dBov) to attach when negotiated, or -1 for none.</param>
    public bool SendAudio(ReadOnlySpan<byte> opusPayload, uint rtpTimestamp, bool marker = false, int audioLevel = -1)
    {
        lock (_sendLock)
        {
            var remote = RemoteAddress;
            if (remote is null || !BuildAudioPacketLocked(opusPayload, rtpTimestamp, marker, audioLevel, _sendBuffer, out int length))
            {
                return false;
            }
            _host.Send(_sendBuffer.AsSpan(0, length), remote);
            return true;
        }
    }

    /// <summary>Builds and protects the next audio packet into <paramref name="destination"/> without sending it.</summary>
    internal bool TryBuildAudioPacket(ReadOnlySpan<byte> opusPayload, uint rtpTimestamp, bool marker, int audioLevel,
        Span<byte> destination, out int protectedLength)
    {
        lock (_sendLock)
        {
            return BuildAudioPacketLocked(opusPayload, rtpTimestamp, marker, audioLevel, destination, out protectedLength);
        }
    }

    /// <summary>The body of <see cref="TryBuildAudioPacket"/>; the caller holds the send lock.</summary>
    private bool BuildAudioPacketLocked(ReadOnlySpan<byte> opusPayload, uint rtpTimestamp, bool marker, int audioLevel,
        Span<byte> destination, out int protectedLength)
    {
        protectedLength = 0;
        var outbound = _outbound;
        if (outbound is null || State != RtcSessionState.Connected)
        {
            return false;
        }
        bool withLevel = audioLevel >= 0 && AudioLevelExtensionId is > 0 and <= 14;
        int length = RtpWriter.WriteHeader(destination, marker, (byte)OpusPayloadType, _sequence, rtpTimestamp, LocalSsrc, withLevel);
        if (withLevel)
        {
            var ext = new RtpHeaderExtensionWriter(destination[length..]);
            ext.AddAudioLevel(AudioLevelExtensionId, (byte)Math.Min(audioLevel, 127), voice: audioLevel < 127);
            length += ext.Complete();
        }
        if (length + opusPayload.Length + outbound.RtpOverhead > destination.Length)
        {
            return false;
        }
        opusPayload.CopyTo(destination[length..]);
        length += opusPayload.Length;
        if (!outbound.ProtectRtp(destination, length, out protectedLength))
        {
            return false;
        }
        _sequence++;
        _lastRtpTimestamp = rtpTimestamp;
        Statistics.PacketsSentField++;
        Statistics.BytesSentField += opusPayload.Length;
        return true;
    }

    /// <summary>Sends a compound RTCP report (SR if we have sent audio, else RR, plus SDES CNAME).</summary>
    public bool SendRtcpReport()
    {
        RtcpReportBlock? block = null;
        lock (_receiveLock)
        {
            if (_receiveStats is not null)
            {
                block = _receiveStats.CreateReportBlock();
            }
        }
        lock (_sendLock)
        {
            var outbound = _outbound;
            var remote = RemoteAddress;
            if (outbound is null || remote is null || State != RtcSessionState.Connected)
            {
                return false;
            }
            var buffer = _rtcpBuffer.AsSpan();
            ReadOnlySpan<RtcpReportBlock> blocks = block is null ? [] : [block.Value];
            int length = Statistics.PacketsSentField > 0
                ? RtcpWriter.WriteSenderReport(buffer, LocalSsrc,
                    new RtcpSenderInfo(RtcpSenderInfo.ToNtp(DateTime.UtcNow), _lastRtpTimestamp, (uint)Statistics.PacketsSentField, (uint)Statistics.BytesSentField),
                    blocks)
                : RtcpWriter.WriteReceiverReport(buffer, LocalSsrc, blocks);
            length += RtcpWriter.WriteSourceDescription(buffer[length..], LocalSsrc, Cname);
            if (!outbound.ProtectRtcp(buffer, length, out int protectedLength))
            {
                return false;
            }
            _host.Send(buffer[..protectedLength], remote);
            return true;
        }
    }

    // ---- close ----

    /// <summary>Closes the session (sends DTLS close_notify if connected) and raises <see cref="Closed"/> once.</summary>
    public void Close(string reason = "closed locally")
    {
        int previous = Interlocked.Exchange(ref _state, (int)RtcSessionState.Closed);
        if (previous == (int)RtcSessionState.Closed)
        {
            return;
        }
        _closeReason = reason;
        try
        {
            // Close outside the locks: BouncyCastle sends close_notify through our transport.
            _dtls?.Close();
        }
        catch (Exception)
        {
        }
        _dtlsQueue?.Close();
        lock (_receiveLock)
        {
            lock (_sendLock)
            {
                _inbound?.Dispose();
                _outbound?.Dispose();
                _inbound = null;
                _outbound = null;
            }
        }
        _host.OnSessionClosed(this);
        SafeInvoke(() => Closed?.Invoke(this, reason));
        OnClosed();
    }

    /// <summary>Lets a subclass release what it owns after closing.</summary>
    private protected virtual void OnClosed()
    {
    }

    private static void SafeInvoke(Action action)
    {
        try
        {
            action();
        }
        catch (Exception)
        {
            // Event handlers belong to the caller; their failures must not break the transport.
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        Close("disposed");
        GC.SuppressFinalize(this);
    }
}

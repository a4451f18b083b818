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
public partial class RtcSession : IDisposable
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

using System.Diagnostics;
using System.Threading.Channels;
using OpenChat.Rtc.Transport;
using OpenChat.SimulatedClients.Measurement;
using OpenChat.SimulatedClients.Members;

namespace OpenChat.SimulatedClients;

/// <summary>
/// A simulated voice participant, as a browser would be: a guest session, the SignalR hub, one WebRTC session to the
/// room's mixer sending a <see cref="VoiceSignal"/> in 20 ms Opus frames, and a listener that decodes and analyses
/// every frame the mixer sends back (level, candidate tones, dominant frequency, gaps, loss), or with
/// <see cref="SimulatedMemberOptions.Analysis"/> <see cref="ListenerAnalysis.Count"/> only authenticates, numbers and
/// times the packets and judges them by their RFC 6464 level (gaps, loss, underruns; no tones).
/// </summary>
/// <remarks>
/// <para>It follows the protocol's recovery rules by itself: on <c>VoiceReconnect</c> it makes a new session and keeps
/// listening to the old one until the new one carries audio (make-before-break); when its signalling connection
/// closes it moves to the next gateway and calls <c>ResumeVoice</c> while the media keeps flowing.</para>
/// <para>Audio is "expected" (and its absence a gap) while another member of the same channel, paced by the same
/// <see cref="FrameClock"/> and listed by the server as a voice member, has been talking unmuted for
/// <see cref="SimulatedMemberOptions.ExpectationFrames"/> frames, and this member has been connected that long.</para>
/// </remarks>
public sealed class SimulatedMember : IAsyncDisposable
{
    private static readonly Lazy<HttpClient> SharedHttp = new(() => new HttpClient { Timeout = TimeSpan.FromSeconds(15) });
    private static readonly Lazy<RtcClient> SharedRtc = new(() => new RtcClient(new RtcClientOptions()));
    private static readonly Lazy<RtcClient> SharedTcpRtc = new(() => new RtcClient(new RtcClientOptions { UseTcp = true }));

    // One lock for the member's parts: its signalling, its media and what it measures change together.
    private readonly object _gate = new();
    private readonly FrameClock _clock;
    private readonly PeerDirectory _directory;
    private readonly int _offset;
    private readonly CancellationTokenSource _life = new();
    private readonly MemberWaits _waits;
    private readonly MemberMeasurement _measurement;
    private readonly SignallingLink _signalling;
    private readonly MediaLink _media;
    private readonly Renegotiation _renegotiation;
    private IDisposable? _subscription;
    private int _started;
    private volatile bool _disposed;

    public SimulatedMember(SimulatedMemberOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        Options = options;
        _clock = options.Clock ?? FrameClock.Shared;
        _directory = PeerDirectory.For(_clock);
        _offset = options.SignalOffsetFrames ?? StableHash(options.DisplayName) % options.Signal.PeriodFrames;
        // New media sessions are asked for by the signalling (VoiceReconnect, ResumeVoice refused) and by the media
        // (a session closed by itself); the renegotiation answers them.
        var renewals = Channel.CreateUnbounded<string>();
        _waits = new MemberWaits(options, _gate, () => Stats);
        _measurement = new MemberMeasurement(options, _gate, _waits);
        _ownHttp = options.Http is null ? SourceHttp(options) : null;
        _signalling = new SignallingLink(options, _gate, options.Http ?? _ownHttp ?? SharedHttp.Value, _measurement, renewals.Writer, OnVoiceEnded,
            _life.Token);
        _media = new MediaLink(options, _gate, options.RtcClient ?? SourceRtc(options) ?? (options.UseTcp ? SharedTcpRtc : SharedRtc).Value, _clock, _measurement, _signalling, renewals.Writer,
            _offset, new Random(StableHash(options.DisplayName)));
        _renegotiation = new Renegotiation(options, _signalling, _media, _measurement, renewals.Reader, _life.Token);
    }

    public SimulatedMemberOptions Options { get; }

    /// <summary>The member's media sessions (for tests that hand its sessions packets directly).</summary>
    internal MediaLink Media => _media;

    /// <summary>What the member measures (for tests that end its slots directly).</summary>
    internal MemberMeasurement Measurement => _measurement;

    /// <summary>The HTTP client bound to this member's source address, which it owns (null when it shares one).</summary>
    private readonly HttpClient? _ownHttp;

    private static HttpClient? SourceHttp(SimulatedMemberOptions options) =>
        options.SourceAddress is { } source ? Network.SourceAddress.HttpClient(source) : null;

    private static RtcClient? SourceRtc(SimulatedMemberOptions options) =>
        options.SourceAddress is { } source ? Network.SourceAddress.RtcClient(source, useTcp: options.UseTcp) : null;

    public string DisplayName => Options.DisplayName;

    public string ChannelId => Options.ChannelId;

    public VoiceSignal Signal => Options.Signal;

    /// <summary>The user id the server gave this member's session; null before <see cref="StartAsync"/> reached the server.</summary>
    public string? UserId => _signalling.UserId;

    /// <summary>The gateway the signalling connection uses (or last used).</summary>
    public string CurrentGateway => _signalling.CurrentGateway;

    public bool Muted => _signalling.Muted;

    public bool Deafened => _signalling.Deafened;

    /// <summary>Whether the member is in its voice channel (joined, not left, not ended by the server).</summary>
    public bool InVoice => _signalling.InVoice;

    /// <summary>The voice channel's members as the server last described them to this member.</summary>
    public IReadOnlyList<VoiceRosterEntry> Roster => _signalling.Roster;

    /// <summary>
    /// Creates the session, connects the hub, opens the channel, joins voice with a fresh WebRTC offer and connects
    /// the media. Completes when audio can flow (sending starts at the next frame); throws if any step fails.
    /// </summary>
    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        if (Interlocked.Exchange(ref _started, 1) != 0) throw new InvalidOperationException("Already started.");
        ObjectDisposedException.ThrowIf(_disposed, this);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _life.Token);
        var token = linked.Token;

        _measurement.StartWindow(_clock.CurrentFrame + 1);
        _directory.Add(this);
        _subscription = _clock.Subscribe(OnFrame);

        long start = Stopwatch.GetTimestamp();
        await _signalling.ConnectAsync(token).ConfigureAwait(false);
        var signalling = Stopwatch.GetElapsedTime(start);

        var leg = _media.OpenFirst();
        long joinStart = Stopwatch.GetTimestamp();
        var answer = await _signalling.JoinVoiceAsync(leg.Session.Offer, token).ConfigureAwait(false);
        var joinCall = Stopwatch.GetElapsedTime(joinStart);
        _signalling.InVoice = true;
        if (answer is null) throw new InvalidOperationException("JoinVoice answered without an SDP answer.");

        long connectStart = Stopwatch.GetTimestamp();
        await leg.Session.ConnectAsync(answer, token).ConfigureAwait(false);
        var connect = Stopwatch.GetElapsedTime(connectStart);
        lock (_gate)
        {
            _media.FirstConnected(leg, sending: !_signalling.Muted && !_signalling.Deafened);
            _measurement.Joined(signalling, joinCall, connect);
        }
        _renegotiation.Start();
    }

    /// <summary>Starts a fresh measurement window: gaps, heard frequencies, frame and packet counts start from zero.</summary>
    public void ResetWindow()
    {
        lock (_gate) _measurement.ResetWindow(_clock.CurrentFrame + 1, _media.SentTotal());
    }

    /// <summary>A snapshot of what this member measured.</summary>
    public MemberStats Stats
    {
        get
        {
            lock (_gate) return _measurement.Snapshot(UserId, CurrentGateway, InVoice, _media.SentTotal());
        }
    }

    /// <summary>
    /// Completes once every one of <paramref name="frequencies"/> has been heard in
    /// <see cref="SimulatedMemberOptions.MinHeardFrames"/> frames received after this call; frequencies that are not
    /// candidates yet become candidates. Throws <see cref="TimeoutException"/> (saying what was heard) otherwise.
    /// </summary>
    public async Task WaitUntilHearingAsync(IEnumerable<double> frequencies, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        var wanted = frequencies.Distinct().ToArray();
        if (wanted.Length == 0) return;
        if (Options.Analysis != ListenerAnalysis.Full)
            throw new InvalidOperationException($"{DisplayName} only counts packets ({Options.Analysis}) and cannot tell frequencies apart.");
        ObjectDisposedException.ThrowIf(_disposed, this);
        var indices = AddCandidateFrequencies(wanted);
        await _waits.WaitUntilHearingAsync(wanted, indices, timeout, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Completes once <paramref name="condition"/> holds for <see cref="Stats"/>; it is checked now, every 100 ms of
    /// the member's clock and after each reconnect. Throws <see cref="TimeoutException"/> otherwise.
    /// </summary>
    public async Task WaitUntilAsync(Func<MemberStats, bool> condition, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(condition);
        ObjectDisposedException.ThrowIf(_disposed, this);
        await _waits.WaitUntilAsync(condition, timeout, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Adds frequencies to those measured in every frame; returns the index of each among the candidates.</summary>
    public int[] AddCandidateFrequencies(IEnumerable<double> frequencies) => _measurement.AddCandidateFrequencies(frequencies);

    /// <summary>Mutes or deafens (<c>SetVoiceState</c>). The microphone keeps sending: muting is the server's to enforce.</summary>
    public async Task SetVoiceStateAsync(bool muted, bool deafened, CancellationToken cancellationToken = default)
    {
        await _signalling.InvokeAsync("SetVoiceState", cancellationToken, muted, deafened).ConfigureAwait(false);
        lock (_gate)
        {
            _signalling.SetVoiceState(muted, deafened);
            _media.SetSending(!muted && !deafened);
        }
    }

    /// <summary>Sets how loud another member is in this member's mix (<c>SetMemberVolume</c>, 0 to 2).</summary>
    public Task SetMemberVolumeAsync(string userId, double volume, CancellationToken cancellationToken = default) =>
        _signalling.InvokeAsync("SetMemberVolume", cancellationToken, userId, volume);

    /// <summary>Leaves the voice channel (<c>LeaveVoice</c>) and closes the media session.</summary>
    public async Task LeaveVoiceAsync(CancellationToken cancellationToken = default)
    {
        await _signalling.InvokeAsync("LeaveVoice", cancellationToken).ConfigureAwait(false);
        EndVoiceLocally("left");
    }

    public async ValueTask DisposeAsync()
    {
        if (_disposed) return;
        _disposed = true;
        _signalling.Stop();
        _media.Stop();
        _subscription?.Dispose();
        _directory.Remove(this);
        await _signalling.CloseAsync(Options.LeaveOnDispose, () =>
        {
            _life.Cancel();
            EndVoiceLocally("disposed");
        }).ConfigureAwait(false);
        _waits.Abandon();
        foreach (var task in new[] { _renegotiation.Worker, _signalling.Failover })
        {
            if (task is null) continue;
            try
            {
                await task.ConfigureAwait(false);
            }
            catch (Exception)
            {
            }
        }
        _life.Dispose();
        _ownHttp?.Dispose();
    }

    public override string ToString() => $"{DisplayName} ({Signal}) in {ChannelId}";

    // ---- clock thread ----

    private void OnFrame(long frame)
    {
        if (_disposed) return;
        _media.SendFrame(frame);

        // The slot of the previous frame is complete.
        long slot = frame - 1;
        var flags = SlotFlags.None;
        if (_measurement.TakeHeard()) flags |= SlotFlags.Heard;
        if (IsAudioExpected(slot)) flags |= SlotFlags.Expected;
        _measurement.EndSlot(slot, flags);
    }

    private bool IsAudioExpected(long slot)
    {
        if (!_signalling.InVoice || _signalling.Deafened) return false;
        int w = Options.ExpectationFrames;
        long since = _media.MediaSinceFrame;
        if (since < 0 || slot - w < since) return false;
        foreach (var peer in _directory.InChannel(ChannelId))
        {
            if (peer == this) continue;
            long peerSince = peer._media.SendingSinceFrame;
            if (peerSince < 0 || slot - w < peerSince) continue;
            var peerUser = peer.UserId;
            if (peerUser is null || !_signalling.IsListed(peerUser)) continue;
            if (peer.Signal.TalkRunAt(slot + peer._offset) > w) return true;
        }
        return false;
    }

    // ---- voice ending ----

    private void OnVoiceEnded(string reason)
    {
        _measurement.Record(new VoiceEnd(DateTimeOffset.UtcNow, reason));
        EndVoiceLocally("voice ended: " + reason);
        _waits.QueueConditionCheck();
    }

    private void EndVoiceLocally(string reason)
    {
        MediaLeg[] legs;
        lock (_gate)
        {
            _signalling.InVoice = false;
            legs = _media.DetachAll();
        }
        foreach (var leg in legs) leg.Close(reason);
    }

    private static int StableHash(string text)
    {
        // FNV-1a: the same name gives the same offset in every process (string.GetHashCode does not).
        uint hash = 2166136261;
        foreach (char c in text) hash = (hash ^ c) * 16777619;
        return (int)(hash & 0x7fffffff);
    }
}

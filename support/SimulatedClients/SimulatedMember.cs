using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Threading.Channels;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;
using OpenChat.SimulatedClients.Audio;
using OpenChat.SimulatedClients.Measurement;
using OpenChat.SimulatedClients.Members;
using OpenChat.Rtc.Transport;

namespace OpenChat.SimulatedClients;

/// <summary>
/// A simulated voice participant, as a browser would be: a guest session, the SignalR hub, one WebRTC session to the
/// room's mixer sending a <see cref="VoiceSignal"/> in 20 ms Opus frames, and a listener that decodes and analyses
/// every frame the mixer sends back (level, candidate tones, dominant frequency, gaps, loss).
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
    private const int DominantBucketHz = 5;
    private const double ExplainedWithinHz = 20;
    private const int ConditionCheckFrames = 5;

    private static readonly Lazy<HttpClient> SharedHttp = new(() => new HttpClient { Timeout = TimeSpan.FromSeconds(15) });
    private static readonly Lazy<RtcClient> SharedRtc = new(() => new RtcClient(new RtcClientOptions()));

    private readonly object _lock = new();
    private readonly FrameClock _clock;
    private readonly PeerDirectory _directory;
    private readonly EncodedSignal _encoded;
    private readonly int _offset;
    private readonly int _ownCandidate = -1;
    private readonly HttpClient _http;
    private readonly RtcClient _rtc;
    private readonly CancellationTokenSource _life = new();
    private readonly Channel<string> _reconnectRequests = Channel.CreateUnbounded<string>();
    private readonly ConcurrentDictionary<string, VoiceRosterEntry> _roster = new(StringComparer.Ordinal);
    private readonly Random _uplinkRandom;

    // Signalling.
    private volatile HubConnection? _hub;
    private TaskCompletionSource _signallingUp = NewSignal();
    private int _gatewayIndex;
    private string? _token;
    private volatile string? _userId;
    private int _failingOver;
    private Task? _failover;
    private Task? _reconnectWorker;

    // Media. _legs are the connected sessions that send; _allLegs every session not yet closed by us.
    private MediaLeg[] _legs = [];
    private readonly HashSet<MediaLeg> _allLegs = [];
    private MediaLeg? _active;
    private int _generation = -1;
    private volatile bool _inVoice;
    private volatile bool _muted;
    private volatile bool _deafened;
    private long _mediaSinceFrame = -1;
    private long _sendingSinceFrame = -1;
    private IDisposable? _subscription;
    private int _started;
    private volatile bool _disposed;

    // Measurement window (under _lock, except _heardThisSlot).
    private double[] _candidates;
    private int[] _frequencyFrames;
    private double[] _frequencyDbSum;
    private double[] _frequencyPeakDb;
    private readonly List<SlotFlags> _slots = [];
    private readonly Dictionary<int, int> _dominant = [];
    private long _windowStartFrame;
    private long _windowStartTimestamp;
    private int _heardThisSlot;
    private long _decoded;
    private long _concealed;
    private long _audible;
    private double _audibleDbSum;
    private long _unexplained;
    private long _packetsReceived;
    private long _packetsLost;
    private long _packetsLate;
    private long _packetsDuplicated;
    private long _playoutUnderruns;
    private long _sentByClosedLegs;
    private long _sentAtWindowStart;

    // Whole life (under _lock).
    private long _joinStartTimestamp;
    private long _firstPacketTimestamp;
    private long _firstAudibleTimestamp;
    private long _lastAudibleTimestamp;
    private (TimeSpan Signalling, TimeSpan JoinVoiceCall, TimeSpan MediaConnect)? _joinPhases;
    private readonly List<MediaReconnect> _reconnects = [];
    private readonly List<SignallingReconnect> _signallingReconnects = [];
    private VoiceEnd? _ended;
    private readonly List<HearingWaiter> _hearingWaiters = [];
    private readonly List<ConditionWaiter> _conditionWaiters = [];
    private int _checkingConditions;

    public SimulatedMember(SimulatedMemberOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        Options = options;
        _clock = options.Clock ?? FrameClock.Shared;
        _directory = PeerDirectory.For(_clock);
        _encoded = EncodedSignal.For(options.Signal);
        _offset = options.SignalOffsetFrames ?? StableHash(options.DisplayName) % options.Signal.PeriodFrames;
        _http = options.Http ?? SharedHttp.Value;
        _rtc = options.RtcClient ?? SharedRtc.Value;
        _muted = options.Muted;
        _deafened = options.Deafened;
        _uplinkRandom = new Random(StableHash(options.DisplayName));

        var candidates = new List<double>();
        foreach (var f in options.CandidateFrequencies)
        {
            if (!candidates.Any(c => Math.Abs(c - f) < 0.5)) candidates.Add(f);
        }
        if (options.Signal.FrequencyHz is { } own)
        {
            _ownCandidate = candidates.FindIndex(c => Math.Abs(c - own) < 0.5);
            if (_ownCandidate < 0)
            {
                candidates.Add(own);
                _ownCandidate = candidates.Count - 1;
            }
        }
        _candidates = candidates.ToArray();
        _frequencyFrames = new int[_candidates.Length];
        _frequencyDbSum = new double[_candidates.Length];
        _frequencyPeakDb = NewPeaks(_candidates.Length);
        _windowStartTimestamp = Stopwatch.GetTimestamp();
    }

    public SimulatedMemberOptions Options { get; }

    public string DisplayName => Options.DisplayName;

    public string ChannelId => Options.ChannelId;

    public VoiceSignal Signal => Options.Signal;

    /// <summary>The user id the server gave this member's session; null before <see cref="StartAsync"/> reached the server.</summary>
    public string? UserId => _userId;

    /// <summary>The gateway the signalling connection uses (or last used).</summary>
    public string CurrentGateway => Options.Gateways[Volatile.Read(ref _gatewayIndex)];

    public bool Muted => _muted;

    public bool Deafened => _deafened;

    /// <summary>Whether the member is in its voice channel (joined, not left, not ended by the server).</summary>
    public bool InVoice => _inVoice;

    /// <summary>The voice channel's members as the server last described them to this member.</summary>
    public IReadOnlyList<VoiceRosterEntry> Roster => _roster.Values.OrderBy(e => e.DisplayName, StringComparer.Ordinal).ToArray();

    internal double[] Candidates => Volatile.Read(ref _candidates);

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

        lock (_lock)
        {
            _windowStartFrame = _clock.CurrentFrame + 1;
            _windowStartTimestamp = Stopwatch.GetTimestamp();
        }
        _directory.Add(this);
        _subscription = _clock.Subscribe(OnFrame);

        long start = Stopwatch.GetTimestamp();
        var hub = await ConnectHubAsync(Options.Gateways[0], token).ConfigureAwait(false);
        _hub = hub;
        _signallingUp.TrySetResult();
        await hub.InvokeAsync<JsonElement>("OpenChannel", ChannelId, token).ConfigureAwait(false);
        var signalling = Stopwatch.GetElapsedTime(start);

        var leg = NewLeg();
        lock (_lock)
        {
            _active = leg;
            _joinStartTimestamp = Stopwatch.GetTimestamp();
        }
        long joinStart = Stopwatch.GetTimestamp();
        var joined = await InvokeAsync<VoiceJoinedWire>("JoinVoice", token, ChannelId, leg.Session.Offer, _muted, _deafened).ConfigureAwait(false);
        var joinCall = Stopwatch.GetElapsedTime(joinStart);
        ReplaceRoster(joined.Members);
        _inVoice = true;
        if (joined.SdpAnswer is null) throw new InvalidOperationException("JoinVoice answered without an SDP answer.");

        long connectStart = Stopwatch.GetTimestamp();
        await leg.Session.ConnectAsync(joined.SdpAnswer, token).ConfigureAwait(false);
        var connect = Stopwatch.GetElapsedTime(connectStart);
        lock (_lock)
        {
            _legs = [leg];
            _joinPhases = (signalling, joinCall, connect);
            long frame = _clock.CurrentFrame;
            Interlocked.Exchange(ref _mediaSinceFrame, frame);
            Interlocked.Exchange(ref _sendingSinceFrame, _muted || _deafened ? -1 : frame);
        }
        _reconnectWorker = Task.Run(ReconnectWorkerAsync);
    }

    /// <summary>Starts a fresh measurement window: gaps, heard frequencies, frame and packet counts start from zero.</summary>
    public void ResetWindow()
    {
        lock (_lock)
        {
            _windowStartFrame = _clock.CurrentFrame + 1;
            _windowStartTimestamp = Stopwatch.GetTimestamp();
            _slots.Clear();
            _dominant.Clear();
            Array.Clear(_frequencyFrames);
            Array.Clear(_frequencyDbSum);
            _frequencyPeakDb = NewPeaks(_candidates.Length);
            _decoded = _concealed = _audible = _unexplained = 0;
            _audibleDbSum = 0;
            _packetsReceived = _packetsLost = _packetsLate = _packetsDuplicated = _playoutUnderruns = 0;
            _sentAtWindowStart = SentTotal();
        }
    }

    /// <summary>A snapshot of what this member measured.</summary>
    public MemberStats Stats
    {
        get
        {
            lock (_lock)
            {
                var slot = AudioFormat.FrameDuration;
                var slots = _slots.ToArray();
                var gaps = GapDetector.Find(slots, slot, Options.MinGap);
                int expected = 0, expectedHeard = 0;
                var runs = new List<(TimeSpan, TimeSpan)>();
                int runStart = -1;
                for (int i = 0; i <= slots.Length; i++)
                {
                    bool heard = i < slots.Length && (slots[i] & SlotFlags.Heard) != 0;
                    if (i < slots.Length && (slots[i] & SlotFlags.Expected) != 0)
                    {
                        expected++;
                        if (heard) expectedHeard++;
                    }
                    if (heard && runStart < 0) runStart = i;
                    if (!heard && runStart >= 0)
                    {
                        runs.Add((slot * runStart, slot * (i - runStart)));
                        runStart = -1;
                    }
                }
                var frequencies = new FrequencyStats[_candidates.Length];
                for (int i = 0; i < frequencies.Length; i++)
                {
                    int frames = _frequencyFrames[i];
                    frequencies[i] = new FrequencyStats(_candidates[i], frames, frames > 0 ? _frequencyDbSum[i] / frames : double.NaN,
                        _frequencyPeakDb[i], frames >= Options.MinHeardFrames);
                }
                return new MemberStats
                {
                    DisplayName = DisplayName,
                    UserId = _userId,
                    Gateway = CurrentGateway,
                    InVoice = _inVoice,
                    JoinTime = Elapsed(_joinStartTimestamp, _firstAudibleTimestamp),
                    Join = _joinPhases is { } p
                        ? new JoinTimes(p.Signalling, p.JoinVoiceCall, p.MediaConnect, Elapsed(_joinStartTimestamp, _firstPacketTimestamp),
                            Elapsed(_joinStartTimestamp, _firstAudibleTimestamp))
                        : null,
                    Window = Stopwatch.GetElapsedTime(_windowStartTimestamp),
                    FramesDecoded = _decoded,
                    FramesConcealed = _concealed,
                    AudibleFrames = _audible,
                    MeanAudibleDbfs = _audible > 0 ? _audibleDbSum / _audible : double.NaN,
                    ExpectedAudio = slot * expected,
                    ExpectedCoverage = expected == 0 ? 1 : (double)expectedHeard / expected,
                    HeardRuns = runs,
                    Gaps = gaps,
                    LongestGap = gaps.Count == 0 ? TimeSpan.Zero : gaps.Max(g => g.Duration),
                    Frequencies = frequencies,
                    HeardFrequencies = frequencies.Where(f => f.Heard).ToArray(),
                    HeardOwnTone = _ownCandidate >= 0 && frequencies[_ownCandidate].Heard,
                    DominantFrequencies = _dominant.OrderByDescending(kv => kv.Value).ThenBy(kv => kv.Key).Take(8)
                        .Select(kv => new DominantFrequencyCount(kv.Key, kv.Value)).ToArray(),
                    UnexplainedFrames = _unexplained,
                    PacketsReceived = _packetsReceived,
                    PacketsLost = _packetsLost,
                    PacketsLate = _packetsLate,
                    PacketsDuplicated = _packetsDuplicated,
                    PlayoutUnderruns = _playoutUnderruns,
                    PacketsSent = SentTotal() - _sentAtWindowStart,
                    Reconnects = _reconnects.ToArray(),
                    SignallingReconnects = _signallingReconnects.ToArray(),
                    Ended = _ended,
                };
            }
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
        ObjectDisposedException.ThrowIf(_disposed, this);
        var indices = AddCandidateFrequencies(wanted);
        var waiter = new HearingWaiter(indices, Options.MinHeardFrames);
        lock (_lock) _hearingWaiters.Add(waiter);
        try
        {
            await waiter.Completion.Task.WaitAsync(timeout, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            string heard;
            lock (_lock)
            {
                _hearingWaiters.Remove(waiter);
                heard = string.Join(", ", wanted.Select((f, i) => string.Create(CultureInfo.InvariantCulture,
                    $"{f:0} Hz in {waiter.Counts[i]} frames")));
            }
            throw new TimeoutException($"{DisplayName} did not hear every one of {string.Join(", ", wanted.Select(f => f.ToString("0", CultureInfo.InvariantCulture)))} Hz " +
                                       $"within {timeout.TotalSeconds:0.#} s ({heard}; {Summary()}).");
        }
        finally
        {
            lock (_lock) _hearingWaiters.Remove(waiter);
        }
    }

    /// <summary>
    /// Completes once <paramref name="condition"/> holds for <see cref="Stats"/>; it is checked now, every 100 ms of
    /// the member's clock and after each reconnect. Throws <see cref="TimeoutException"/> otherwise.
    /// </summary>
    public async Task WaitUntilAsync(Func<MemberStats, bool> condition, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(condition);
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (condition(Stats)) return;
        var waiter = new ConditionWaiter(condition);
        lock (_lock) _conditionWaiters.Add(waiter);
        try
        {
            await waiter.Completion.Task.WaitAsync(timeout, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"{DisplayName}: condition not met within {timeout.TotalSeconds:0.#} s ({Summary()}).");
        }
        finally
        {
            lock (_lock) _conditionWaiters.Remove(waiter);
        }
    }

    /// <summary>Adds frequencies to those measured in every frame; returns the index of each among the candidates.</summary>
    public int[] AddCandidateFrequencies(IEnumerable<double> frequencies)
    {
        lock (_lock)
        {
            var candidates = _candidates.ToList();
            var indices = new List<int>();
            foreach (var f in frequencies)
            {
                int index = candidates.FindIndex(c => Math.Abs(c - f) < 0.5);
                if (index < 0)
                {
                    candidates.Add(f);
                    index = candidates.Count - 1;
                }
                indices.Add(index);
            }
            if (candidates.Count != _candidates.Length)
            {
                int old = _candidates.Length;
                Array.Resize(ref _frequencyFrames, candidates.Count);
                Array.Resize(ref _frequencyDbSum, candidates.Count);
                Array.Resize(ref _frequencyPeakDb, candidates.Count);
                for (int i = old; i < candidates.Count; i++) _frequencyPeakDb[i] = Goertzel.FloorDb;
                // Receive loops pick up the new array by reference; the old one is a prefix of it, so indices stay valid.
                Volatile.Write(ref _candidates, candidates.ToArray());
            }
            return indices.ToArray();
        }
    }

    /// <summary>Mutes or deafens (<c>SetVoiceState</c>). The microphone keeps sending: muting is the server's to enforce.</summary>
    public async Task SetVoiceStateAsync(bool muted, bool deafened, CancellationToken cancellationToken = default)
    {
        await InvokeAsync("SetVoiceState", cancellationToken, muted, deafened).ConfigureAwait(false);
        lock (_lock)
        {
            _muted = muted;
            _deafened = deafened;
            bool sending = !muted && !deafened && Interlocked.Read(ref _mediaSinceFrame) >= 0;
            long current = Interlocked.Read(ref _sendingSinceFrame);
            if (!sending) Interlocked.Exchange(ref _sendingSinceFrame, -1);
            else if (current < 0) Interlocked.Exchange(ref _sendingSinceFrame, _clock.CurrentFrame);
        }
    }

    /// <summary>Sets how loud another member is in this member's mix (<c>SetMemberVolume</c>, 0 to 2).</summary>
    public Task SetMemberVolumeAsync(string userId, double volume, CancellationToken cancellationToken = default) =>
        InvokeAsync("SetMemberVolume", cancellationToken, userId, volume);

    /// <summary>Leaves the voice channel (<c>LeaveVoice</c>) and closes the media session.</summary>
    public async Task LeaveVoiceAsync(CancellationToken cancellationToken = default)
    {
        await InvokeAsync("LeaveVoice", cancellationToken).ConfigureAwait(false);
        EndVoiceLocally("left");
    }

    public async ValueTask DisposeAsync()
    {
        if (_disposed) return;
        _disposed = true;
        _subscription?.Dispose();
        _directory.Remove(this);
        var hub = _hub;
        if (_inVoice && Options.LeaveOnDispose && hub?.State == HubConnectionState.Connected)
        {
            try
            {
                await hub.InvokeAsync("LeaveVoice").WaitAsync(TimeSpan.FromSeconds(2)).ConfigureAwait(false);
            }
            catch (Exception)
            {
                // Best effort: the server also ends the membership when the media session stops answering.
            }
        }
        _life.Cancel();
        EndVoiceLocally("disposed");
        if (hub is not null)
        {
            try
            {
                await hub.DisposeAsync().ConfigureAwait(false);
            }
            catch (Exception)
            {
            }
        }
        lock (_lock)
        {
            foreach (var w in _hearingWaiters) w.Completion.TrySetException(new ObjectDisposedException(nameof(SimulatedMember)));
            foreach (var w in _conditionWaiters) w.Completion.TrySetException(new ObjectDisposedException(nameof(SimulatedMember)));
        }
        foreach (var task in new[] { _reconnectWorker, _failover })
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
    }

    public override string ToString() => $"{DisplayName} ({Signal}) in {ChannelId}";

    // ---- clock thread ----

    private void OnFrame(long frame)
    {
        if (_disposed) return;
        var legs = Volatile.Read(ref _legs);
        if (legs.Length > 0)
        {
            long signalFrame = frame + _offset;
            var packet = _encoded.Packet(signalFrame);
            byte level = _encoded.Level(signalFrame);
            bool lost = Options.UplinkLoss > 0 && _uplinkRandom.NextDouble() < Options.UplinkLoss;
            foreach (var leg in legs) leg.Send(packet, level, frame, lost);
        }

        // The slot of the previous frame is complete.
        long slot = frame - 1;
        var flags = SlotFlags.None;
        if (Interlocked.Exchange(ref _heardThisSlot, 0) != 0) flags |= SlotFlags.Heard;
        if (IsAudioExpected(slot)) flags |= SlotFlags.Expected;
        bool checkConditions;
        lock (_lock)
        {
            if (slot >= _windowStartFrame) _slots.Add(flags);
            checkConditions = _conditionWaiters.Count > 0 && frame % ConditionCheckFrames == 0;
        }
        if (checkConditions) QueueConditionCheck();
    }

    private bool IsAudioExpected(long slot)
    {
        if (!_inVoice || _deafened) return false;
        int w = Options.ExpectationFrames;
        long since = Interlocked.Read(ref _mediaSinceFrame);
        if (since < 0 || slot - w < since) return false;
        foreach (var peer in _directory.InChannel(ChannelId))
        {
            if (peer == this) continue;
            long peerSince = Interlocked.Read(ref peer._sendingSinceFrame);
            if (peerSince < 0 || slot - w < peerSince) continue;
            var peerUser = peer._userId;
            if (peerUser is null || !_roster.ContainsKey(peerUser)) continue;
            if (peer.Signal.TalkRunAt(slot + peer._offset) > w) return true;
        }
        return false;
    }

    // ---- receive loops ----

    internal void OnPacket(MediaLeg leg, SequenceResult result)
    {
        lock (_lock)
        {
            if (_firstPacketTimestamp == 0 && leg == _active) _firstPacketTimestamp = Stopwatch.GetTimestamp();
            if (result.Kind == SequenceKind.Duplicate)
            {
                _packetsDuplicated++;
                return;
            }
            _packetsReceived++;
            _packetsLost += result.LostChange;
            if (result.Kind == SequenceKind.Late) _packetsLate++;
        }
    }

    internal void OnPlayoutUnderrun(MediaLeg leg)
    {
        lock (_lock)
        {
            if (leg == _active) _playoutUnderruns++;
        }
    }

    internal void OnConcealed(MediaLeg leg, int frames)
    {
        lock (_lock)
        {
            if (leg == _active) _concealed += frames;
        }
    }

    internal void OnDecoded(MediaLeg leg, FrameAnalysis analysis, double[] levels, bool[] heard)
    {
        long now = Stopwatch.GetTimestamp();
        lock (_lock)
        {
            if (leg != _active)
            {
                // A newer session replaces the active one once it carries audio; until then it is only counted.
                if (!analysis.Audible || (_active is not null && leg.Generation <= _active.Generation)) return;
                SwitchTo(leg, now, delivered: true);
            }
            _decoded++;
            if (!analysis.Audible) return;
            _audible++;
            _audibleDbSum += analysis.RmsDbfs;
            Volatile.Write(ref _heardThisSlot, 1);
            if (_firstAudibleTimestamp == 0 && _joinStartTimestamp != 0) _firstAudibleTimestamp = now;
            _lastAudibleTimestamp = now;

            int count = Math.Min(levels.Length, _frequencyFrames.Length);
            for (int i = 0; i < count; i++)
            {
                double level = levels[i];
                if (level > _frequencyPeakDb[i]) _frequencyPeakDb[i] = level;
                if (!heard[i]) continue;
                _frequencyFrames[i]++;
                _frequencyDbSum[i] += level;
            }
            if (!double.IsNaN(analysis.DominantHz))
            {
                int bucket = (int)Math.Round(analysis.DominantHz / DominantBucketHz) * DominantBucketHz;
                _dominant[bucket] = _dominant.GetValueOrDefault(bucket) + 1;
                bool explained = false;
                foreach (var c in _candidates)
                {
                    if (Math.Abs(c - analysis.DominantHz) <= ExplainedWithinHz) explained = true;
                }
                if (!explained) _unexplained++;
            }
            for (int w = _hearingWaiters.Count - 1; w >= 0; w--)
            {
                if (_hearingWaiters[w].Observe(heard)) _hearingWaiters.RemoveAt(w);
            }
        }
    }

    internal void OnLegClosed(MediaLeg leg, string reason)
    {
        bool renew;
        lock (_lock)
        {
            _allLegs.Remove(leg);
            bool sending = _legs.Contains(leg);
            if (sending)
            {
                _legs = _legs.Where(l => l != leg).ToArray();
                _sentByClosedLegs += leg.Session.Statistics.PacketsSent;
            }
            // Only the newest connected session's end needs a new one; older ones were about to be replaced anyway.
            renew = sending && leg.Generation == _generation && _inVoice && !_disposed;
        }
        if (renew) _reconnectRequests.Writer.TryWrite("media session closed: " + reason);
    }

    /// <summary>Makes <paramref name="leg"/> the session listened to and closes the older ones. Under _lock.</summary>
    private void SwitchTo(MediaLeg leg, long now, bool delivered)
    {
        var older = _allLegs.Where(l => l.Generation < leg.Generation).ToArray();
        foreach (var old in older)
        {
            _allLegs.Remove(old);
            if (_legs.Contains(old)) _sentByClosedLegs += old.Session.Statistics.PacketsSent;
        }
        _legs = _legs.Where(l => l.Generation >= leg.Generation).ToArray();
        _active = leg;
        if (leg.Pending is { } pending && delivered)
        {
            pending.FirstAudioTimestamp = now;
            pending.AudioGap = _lastAudibleTimestamp == 0 ? null : Stopwatch.GetElapsedTime(_lastAudibleTimestamp, now);
        }
        if (delivered) leg.Delivered.TrySetResult();
        if (older.Length > 0)
        {
            ThreadPool.QueueUserWorkItem(_ =>
            {
                foreach (var old in older) old.Close("replaced by a newer session");
            });
        }
    }

    // ---- media renegotiation ----

    private MediaLeg NewLeg()
    {
        lock (_lock)
        {
            var leg = new MediaLeg(this, _rtc, ++_generation);
            _allLegs.Add(leg);
            return leg;
        }
    }

    private async Task ReconnectWorkerAsync()
    {
        var token = _life.Token;
        try
        {
            while (await _reconnectRequests.Reader.WaitToReadAsync(token).ConfigureAwait(false))
            {
                // Requests that queued up while one was handled are all answered by one new session.
                string reason = "";
                while (_reconnectRequests.Reader.TryRead(out var next)) reason = next;
                if (!_inVoice) continue;
                await RenegotiateAsync(reason, token).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private async Task RenegotiateAsync(string reason, CancellationToken token)
    {
        var pending = new PendingReconnect(reason, DateTimeOffset.UtcNow, Stopwatch.GetTimestamp());
        var backoff = TimeSpan.FromMilliseconds(200);
        MediaLeg? connected = null;
        while (connected is null)
        {
            pending.Attempts++;
            var leg = NewLeg();
            leg.Pending = pending;
            try
            {
                var joined = await InvokeAsync<VoiceJoinedWire>("JoinVoice", token, ChannelId, leg.Session.Offer, _muted, _deafened).ConfigureAwait(false);
                ReplaceRoster(joined.Members);
                if (joined.SdpAnswer is null) throw new InvalidOperationException("JoinVoice answered without an SDP answer.");
                await leg.Session.ConnectAsync(joined.SdpAnswer, token).ConfigureAwait(false);
                connected = leg;
            }
            catch (Exception e) when (!token.IsCancellationRequested)
            {
                leg.Close("renegotiation attempt failed");
                lock (_lock) _allLegs.Remove(leg);
                pending.Error = Describe(e);
                if (Stopwatch.GetElapsedTime(pending.StartTimestamp) > Options.ReconnectTimeout)
                {
                    Record(pending);
                    return;
                }
                await Task.Delay(backoff, token).ConfigureAwait(false);
                backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, TimeSpan.FromSeconds(2).Ticks));
            }
        }
        pending.Error = null;
        pending.ConnectedTimestamp = Stopwatch.GetTimestamp();
        lock (_lock)
        {
            if (!_inVoice)
            {
                connected.Close("voice ended during renegotiation");
                _allLegs.Remove(connected);
                pending.Error = "voice ended during renegotiation";
            }
            else
            {
                _legs = [.. _legs, connected];
            }
        }
        if (pending.Error is not null)
        {
            Record(pending);
            return;
        }
        // Make-before-break: the old session keeps playing until the new one carries audio, or until the grace runs out
        // (nobody may be talking). This runs on its own so that a further VoiceReconnect is not held up by it.
        _ = FinishRenegotiationAsync(connected, pending);
    }

    private async Task FinishRenegotiationAsync(MediaLeg leg, PendingReconnect pending)
    {
        try
        {
            await leg.Delivered.Task.WaitAsync(Options.OldSessionGrace, _life.Token).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
        }
        catch (OperationCanceledException)
        {
            return;
        }
        lock (_lock)
        {
            if (_active is null || _active.Generation < leg.Generation)
            {
                if (_allLegs.Contains(leg)) SwitchTo(leg, Stopwatch.GetTimestamp(), delivered: false);
                if (pending.FirstAudioTimestamp == 0) pending.Error = "the new session carried no audible audio within the grace period";
            }
            else if (_active != leg && pending.FirstAudioTimestamp == 0)
            {
                pending.Error = "superseded by a later session";
            }
        }
        Record(pending);
    }

    private void Record(PendingReconnect pending)
    {
        lock (_lock)
        {
            _reconnects.Add(new MediaReconnect(pending.Reason, pending.At, pending.Attempts,
                Elapsed(pending.StartTimestamp, pending.ConnectedTimestamp), Elapsed(pending.StartTimestamp, pending.FirstAudioTimestamp),
                pending.AudioGap, pending.Error));
        }
        QueueConditionCheck();
    }

    private void EndVoiceLocally(string reason)
    {
        MediaLeg[] legs;
        lock (_lock)
        {
            _inVoice = false;
            Interlocked.Exchange(ref _mediaSinceFrame, -1);
            Interlocked.Exchange(ref _sendingSinceFrame, -1);
            legs = _allLegs.ToArray();
            foreach (var leg in _legs) _sentByClosedLegs += leg.Session.Statistics.PacketsSent;
            _allLegs.Clear();
            _legs = [];
        }
        foreach (var leg in legs) leg.Close(reason);
    }

    private void OnVoiceEnded(string reason)
    {
        lock (_lock) _ended = new VoiceEnd(DateTimeOffset.UtcNow, reason);
        EndVoiceLocally("voice ended: " + reason);
        QueueConditionCheck();
    }

    // ---- signalling ----

    private async Task<HubConnection> ConnectHubAsync(string baseUrl, CancellationToken token)
    {
        if (_token is null) await CreateSessionAsync(baseUrl, null, token).ConfigureAwait(false);
        for (int attempt = 0; ; attempt++)
        {
            var hub = BuildHub(baseUrl);
            try
            {
                await hub.StartAsync(token).ConfigureAwait(false);
                return hub;
            }
            catch (HttpRequestException e) when (e.StatusCode == HttpStatusCode.Unauthorized && attempt == 0)
            {
                // The token is not accepted here (another signing key, or expired): ask this gateway for a session,
                // presenting the old token so that the user keeps its id where it can.
                await hub.DisposeAsync().ConfigureAwait(false);
                await CreateSessionAsync(baseUrl, _token, token).ConfigureAwait(false);
            }
            catch (Exception)
            {
                await hub.DisposeAsync().ConfigureAwait(false);
                throw;
            }
        }
    }

    private async Task CreateSessionAsync(string baseUrl, string? previousToken, CancellationToken token)
    {
        var started = Stopwatch.GetTimestamp();
        while (true)
        {
            using var response = await _http.PostAsJsonAsync(baseUrl.TrimEnd('/') + "/api/session",
                new { displayName = DisplayName, token = previousToken }, token).ConfigureAwait(false);
            if (response.StatusCode == HttpStatusCode.TooManyRequests && Stopwatch.GetElapsedTime(started) < TimeSpan.FromSeconds(60))
            {
                var wait = response.Headers.RetryAfter?.Delta ?? TimeSpan.FromSeconds(1);
                await Task.Delay(wait < TimeSpan.FromMilliseconds(100) ? TimeSpan.FromMilliseconds(100) : wait, token).ConfigureAwait(false);
                continue;
            }
            if (response.StatusCode == HttpStatusCode.Unauthorized && previousToken is not null)
            {
                previousToken = null; // that token is worthless here; start a new identity
                continue;
            }
            if (!response.IsSuccessStatusCode)
            {
                var body = await response.Content.ReadAsStringAsync(token).ConfigureAwait(false);
                throw new HttpRequestException($"POST {baseUrl}/api/session answered {(int)response.StatusCode}: {body}", null, response.StatusCode);
            }
            var session = await response.Content.ReadFromJsonAsync<SessionWire>(token).ConfigureAwait(false)
                          ?? throw new InvalidOperationException("empty session response");
            _token = session.Token;
            _userId = session.UserId;
            return;
        }
    }

    private HubConnection BuildHub(string baseUrl)
    {
        var hub = new HubConnectionBuilder()
            .WithUrl(baseUrl.TrimEnd('/') + "/hub", o => o.AccessTokenProvider = () => Task.FromResult(_token))
            .Build();
        hub.On<string, string>("VoiceReconnect", (channel, reason) =>
        {
            if (channel == ChannelId && _inVoice) _reconnectRequests.Writer.TryWrite("VoiceReconnect: " + reason);
        });
        hub.On<string, string>("VoiceEnded", (channel, reason) =>
        {
            if (channel == ChannelId) OnVoiceEnded(reason);
        });
        hub.On<string, VoiceMemberWire>("VoiceMemberJoined", (channel, member) =>
        {
            if (channel == ChannelId) _roster[member.UserId] = ToEntry(member);
        });
        hub.On<string, VoiceMemberWire>("VoiceMemberUpdated", (channel, member) =>
        {
            if (channel == ChannelId) _roster[member.UserId] = ToEntry(member);
        });
        hub.On<string, string>("VoiceMemberLeft", (channel, userId) =>
        {
            if (channel == ChannelId) _roster.TryRemove(userId, out _);
        });
        hub.On<string, string, bool>("VoiceSpeaking", (channel, userId, speaking) =>
        {
            if (channel == ChannelId && _roster.TryGetValue(userId, out var entry)) _roster[userId] = entry with { Speaking = speaking };
        });
        hub.Closed += error => OnHubClosed(hub);
        return hub;
    }

    private Task OnHubClosed(HubConnection hub)
    {
        if (_disposed || hub != _hub) return Task.CompletedTask;
        lock (_lock)
        {
            if (_signallingUp.Task.IsCompleted) _signallingUp = NewSignal();
        }
        if (Interlocked.CompareExchange(ref _failingOver, 1, 0) == 0) _failover = Task.Run(() => FailOverAsync(hub));
        return Task.CompletedTask;
    }

    private async Task FailOverAsync(HubConnection lost)
    {
        var token = _life.Token;
        var at = DateTimeOffset.UtcNow;
        long started = Stopwatch.GetTimestamp();
        string from = CurrentGateway;
        string? previousUser = _userId;
        var backoff = TimeSpan.FromMilliseconds(200);
        string? lastError = null;
        try
        {
            await lost.DisposeAsync().ConfigureAwait(false);
            for (int attempt = 1; !token.IsCancellationRequested; attempt++)
            {
                int index = (Volatile.Read(ref _gatewayIndex) + attempt) % Options.Gateways.Count;
                string url = Options.Gateways[index];
                HubConnection? hub = null;
                try
                {
                    hub = await ConnectHubAsync(url, token).ConfigureAwait(false);
                    await hub.InvokeAsync<JsonElement>("OpenChannel", ChannelId, token).ConfigureAwait(false);
                    bool intact = false;
                    string? error = null;
                    bool rejoin = false;
                    if (_inVoice)
                    {
                        try
                        {
                            var resumed = await hub.InvokeAsync<VoiceJoinedWire>("ResumeVoice", ChannelId, token).ConfigureAwait(false);
                            ReplaceRoster(resumed.Members);
                            intact = resumed.Members?.Any(m => m.UserId == _userId && m.Muted == _muted && m.Deafened == _deafened) == true;
                            if (!intact) error = "ResumeVoice did not list this member with its muted and deafened state";
                        }
                        catch (HubException e)
                        {
                            error = Describe(e);
                            rejoin = error.Contains("not_in_voice", StringComparison.Ordinal);
                        }
                    }
                    Volatile.Write(ref _gatewayIndex, index);
                    _hub = hub;
                    lock (_lock)
                    {
                        _signallingReconnects.Add(new SignallingReconnect(at, from, url, Stopwatch.GetElapsedTime(started),
                            previousUser == _userId, intact, error));
                        _signallingUp.TrySetResult();
                    }
                    // The membership is gone (the media session also ended, or the server forgot it): join afresh.
                    if (rejoin) _reconnectRequests.Writer.TryWrite("ResumeVoice refused: " + error);
                    QueueConditionCheck();
                    return;
                }
                catch (Exception e) when (!token.IsCancellationRequested)
                {
                    lastError = $"{url}: {Describe(e)}";
                    if (hub is not null) await hub.DisposeAsync().ConfigureAwait(false);
                    if (Stopwatch.GetElapsedTime(started) > Options.SignallingRetryTimeout)
                    {
                        lock (_lock) _signallingReconnects.Add(new SignallingReconnect(at, from, null, null, false, false, lastError));
                        QueueConditionCheck();
                        return;
                    }
                    await Task.Delay(backoff, token).ConfigureAwait(false);
                    backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, TimeSpan.FromSeconds(2).Ticks));
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
        finally
        {
            Interlocked.Exchange(ref _failingOver, 0);
            // The new connection may have closed before the flag was down; then nobody else would notice.
            var current = _hub;
            if (!_disposed && current is not null && current != lost && current.State == HubConnectionState.Disconnected) _ = OnHubClosed(current);
        }
    }

    private async Task<HubConnection> ConnectedHubAsync(CancellationToken token)
    {
        while (true)
        {
            Task up;
            lock (_lock) up = _signallingUp.Task;
            await up.WaitAsync(token).ConfigureAwait(false);
            var hub = _hub;
            if (hub is not null && hub.State == HubConnectionState.Connected) return hub;
            // Closed a moment ago; the failover will raise a fresh signal.
            await Task.Delay(50, token).ConfigureAwait(false);
        }
    }

    private async Task<T> InvokeAsync<T>(string method, CancellationToken token, params object?[] args)
    {
        for (int attempt = 1; ; attempt++)
        {
            var hub = await ConnectedHubAsync(token).ConfigureAwait(false);
            try
            {
                return await hub.InvokeCoreAsync<T>(method, args, token).ConfigureAwait(false);
            }
            catch (HubException e) when (attempt < 3 && e.Message.Contains("unavailable:", StringComparison.Ordinal))
            {
                // "safe to retry" (docs/protocol.md)
                await Task.Delay(TimeSpan.FromMilliseconds(500 * attempt), token).ConfigureAwait(false);
            }
        }
    }

    private async Task InvokeAsync(string method, CancellationToken token, params object?[] args) =>
        await InvokeAsync<object?>(method, token, args).ConfigureAwait(false);

    private void ReplaceRoster(VoiceMemberWire[]? members)
    {
        var entries = (members ?? []).Select(ToEntry).ToArray();
        foreach (var key in _roster.Keys)
        {
            if (!entries.Any(e => e.UserId == key)) _roster.TryRemove(key, out _);
        }
        foreach (var entry in entries) _roster[entry.UserId] = entry;
    }

    // ---- helpers ----

    private void QueueConditionCheck()
    {
        if (Interlocked.Exchange(ref _checkingConditions, 1) != 0) return;
        ThreadPool.QueueUserWorkItem(_ =>
        {
            try
            {
                ConditionWaiter[] waiters;
                lock (_lock) waiters = _conditionWaiters.ToArray();
                if (waiters.Length == 0) return;
                var stats = Stats;
                foreach (var waiter in waiters)
                {
                    try
                    {
                        if (waiter.Condition(stats)) waiter.Completion.TrySetResult();
                    }
                    catch (Exception e)
                    {
                        waiter.Completion.TrySetException(e);
                    }
                }
            }
            finally
            {
                Volatile.Write(ref _checkingConditions, 0);
            }
        });
    }

    private long SentTotal()
    {
        long total = _sentByClosedLegs;
        foreach (var leg in _legs) total += leg.Session.Statistics.PacketsSent;
        return total;
    }

    private string Summary()
    {
        var s = Stats;
        return string.Create(CultureInfo.InvariantCulture,
            $"in voice {s.InVoice}, {s.PacketsReceived} packets, {s.AudibleFrames} audible frames, heard " +
            $"[{string.Join(", ", s.HeardFrequencies.Select(f => $"{f.FrequencyHz:0} Hz"))}], dominant " +
            $"[{string.Join(", ", s.DominantFrequencies.Take(3).Select(d => $"{d.FrequencyHz:0} Hz x{d.Frames}"))}], " +
            $"{s.Reconnects.Count} media reconnects, {s.SignallingReconnects.Count} signalling reconnects");
    }

    private static TimeSpan? Elapsed(long start, long end) => start == 0 || end == 0 ? null : Stopwatch.GetElapsedTime(start, end);

    private static VoiceRosterEntry ToEntry(VoiceMemberWire m) => new(m.UserId, m.DisplayName, m.Muted, m.Deafened, m.Speaking);

    private static string Describe(Exception e) => e switch
    {
        HubException hub => hub.Message,
        AggregateException { InnerException: { } inner } => Describe(inner),
        _ => $"{e.GetType().Name}: {e.Message}",
    };

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    private static double[] NewPeaks(int length)
    {
        var peaks = new double[length];
        Array.Fill(peaks, Goertzel.FloorDb);
        return peaks;
    }

    private static int StableHash(string text)
    {
        // FNV-1a: the same name gives the same offset in every process (string.GetHashCode does not).
        uint hash = 2166136261;
        foreach (char c in text) hash = (hash ^ c) * 16777619;
        return (int)(hash & 0x7fffffff);
    }

    internal sealed class PendingReconnect(string reason, DateTimeOffset at, long startTimestamp)
    {
        public string Reason { get; } = reason;
        public DateTimeOffset At { get; } = at;
        public long StartTimestamp { get; } = startTimestamp;
        public int Attempts { get; set; }
        public long ConnectedTimestamp { get; set; }
        public long FirstAudioTimestamp { get; set; }
        public TimeSpan? AudioGap { get; set; }
        public string? Error { get; set; }
    }

    private sealed class HearingWaiter(int[] candidates, int frames)
    {
        public int[] Counts { get; } = new int[candidates.Length];
        public TaskCompletionSource Completion { get; } = NewSignal();

        /// <summary>Counts one audible frame; true (and completed) once every frequency was heard often enough.</summary>
        public bool Observe(bool[] heard)
        {
            bool done = true;
            for (int i = 0; i < candidates.Length; i++)
            {
                int c = candidates[i];
                if (c < heard.Length && heard[c]) Counts[i]++;
                if (Counts[i] < frames) done = false;
            }
            if (done) Completion.TrySetResult();
            return done;
        }
    }

    private sealed class ConditionWaiter(Func<MemberStats, bool> condition)
    {
        public Func<MemberStats, bool> Condition { get; } = condition;
        public TaskCompletionSource Completion { get; } = NewSignal();
    }
}

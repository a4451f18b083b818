using System.Diagnostics;
using OpenChat.SimulatedClients.Audio;
using OpenChat.SimulatedClients.Measurement;

namespace OpenChat.SimulatedClients.Members;

/// <summary>
/// What a <see cref="SimulatedMember"/> measures: the window's 20 ms slots (heard, expected), the tones and level of
/// what it hears, packet counts and loss, the join's timing, and the reconnect records. Guarded by the member's lock
/// (<c>gate</c>), which its links share; each change a waiting condition may care about queues a check.
/// </summary>
internal sealed class MemberMeasurement
{
    private const int ConditionCheckFrames = 5;

    private readonly object _gate;
    private readonly SimulatedMemberOptions _options;
    private readonly MemberWaits _waits;
    private readonly ToneTally _tones;

    // Measurement window (under the gate, except _heardThisSlot).
    private readonly List<SlotFlags> _slots = [];
    private long _windowStartFrame;
    private long _windowStartTimestamp;
    private int _heardThisSlot;
    private long _decoded;
    private long _concealed;
    private long _audible;
    private long _audibleLevelled;
    private double _audibleDbSum;
    private long _packetsReceived;
    private long _packetsLost;
    private long _packetsLate;
    private long _packetsDuplicated;
    private long _playoutUnderruns;
    private long _sentAtWindowStart;

    // Whole life (under the gate).
    private long _joinStartTimestamp;
    private long _firstPacketTimestamp;
    private long _firstAudibleTimestamp;
    private long _lastAudibleTimestamp;
    private (TimeSpan Signalling, TimeSpan JoinVoiceCall, TimeSpan MediaConnect)? _joinPhases;
    private readonly List<MediaReconnect> _reconnects = [];
    private readonly List<SignallingReconnect> _signallingReconnects = [];
    private VoiceEnd? _ended;

    public MemberMeasurement(SimulatedMemberOptions options, object gate, MemberWaits waits)
    {
        _options = options;
        _gate = gate;
        _waits = waits;
        _tones = new ToneTally(options.CandidateFrequencies, options.Signal.FrequencyHz);
        _windowStartTimestamp = Stopwatch.GetTimestamp();
    }

    public double[] Candidates => _tones.Candidates;

    /// <summary>When the last audible frame arrived (0: never). The caller holds the gate.</summary>
    public long LastAudibleTimestamp => _lastAudibleTimestamp;

    /// <summary>The window starts at <paramref name="firstFrame"/>.</summary>
    public void StartWindow(long firstFrame)
    {
        lock (_gate)
        {
            _windowStartFrame = firstFrame;
            _windowStartTimestamp = Stopwatch.GetTimestamp();
        }
    }

    /// <summary>A fresh window from <paramref name="firstFrame"/>: counts start from zero, packets sent from <paramref name="sentTotal"/>.</summary>
    public void ResetWindow(long firstFrame, long sentTotal)
    {
        lock (_gate)
        {
            StartWindow(firstFrame);
            _slots.Clear();
            _tones.Clear();
            _decoded = _concealed = _audible = _audibleLevelled = 0;
            _audibleDbSum = 0;
            _packetsReceived = _packetsLost = _packetsLate = _packetsDuplicated = _playoutUnderruns = 0;
            _sentAtWindowStart = sentTotal;
        }
    }

    /// <summary>Adds frequencies to those measured in every frame; returns the index of each among the candidates.</summary>
    public int[] AddCandidateFrequencies(IEnumerable<double> frequencies)
    {
        lock (_gate) return _tones.AddCandidates(frequencies);
    }

    /// <summary>The join's clock (to the first packet, to the first audible frame) starts now.</summary>
    public void JoinStarted()
    {
        lock (_gate) _joinStartTimestamp = Stopwatch.GetTimestamp();
    }

    public void Joined(TimeSpan signalling, TimeSpan joinVoiceCall, TimeSpan mediaConnect)
    {
        lock (_gate) _joinPhases = (signalling, joinVoiceCall, mediaConnect);
    }

    /// <summary>A packet arrived on a session; <paramref name="active"/> when it is the one listened to.</summary>
    public void OnPacket(bool active, SequenceResult result)
    {
        lock (_gate)
        {
            if (_firstPacketTimestamp == 0 && active) _firstPacketTimestamp = Stopwatch.GetTimestamp();
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

    public void OnPlayoutUnderrun()
    {
        lock (_gate) _playoutUnderruns++;
    }

    public void OnConcealed(int frames)
    {
        lock (_gate) _concealed += frames;
    }

    /// <summary>
    /// A frame of the session listened to was decoded and analysed at <paramref name="now"/>, or only counted
    /// (<paramref name="levels"/> and <paramref name="heard"/> null; its level is the packet's, NaN when it carried none).
    /// </summary>
    public void OnDecoded(FrameAnalysis analysis, double[]? levels, bool[]? heard, long now)
    {
        lock (_gate)
        {
            if (levels is not null) _decoded++;
            if (!analysis.Audible) return;
            _audible++;
            if (!double.IsNaN(analysis.RmsDbfs))
            {
                _audibleDbSum += analysis.RmsDbfs;
                _audibleLevelled++;
            }
            Volatile.Write(ref _heardThisSlot, 1);
            if (_firstAudibleTimestamp == 0 && _joinStartTimestamp != 0) _firstAudibleTimestamp = now;
            _lastAudibleTimestamp = now;
            if (levels is null || heard is null) return;
            _tones.Add(analysis, levels, heard);
            _waits.Observe(heard);
        }
    }

    /// <summary>Whether an audible frame arrived since the last call, that is in the slot that just ended.</summary>
    public bool TakeHeard() => Interlocked.Exchange(ref _heardThisSlot, 0) != 0;

    /// <summary>Slot <paramref name="slot"/> ended as <paramref name="flags"/> say; waiting conditions are checked every few slots.</summary>
    public void EndSlot(long slot, SlotFlags flags)
    {
        bool checkConditions;
        lock (_gate)
        {
            if (slot >= _windowStartFrame) _slots.Add(flags);
            checkConditions = _waits.AnyCondition && (slot + 1) % ConditionCheckFrames == 0;
        }
        if (checkConditions) _waits.QueueConditionCheck();
    }

    /// <summary>Records a renegotiation that ended (connected, or given up).</summary>
    public void Record(PendingReconnect pending)
    {
        lock (_gate)
        {
            _reconnects.Add(new MediaReconnect(pending.Reason, pending.At, pending.Attempts,
                Elapsed(pending.StartTimestamp, pending.ConnectedTimestamp), Elapsed(pending.StartTimestamp, pending.FirstAudioTimestamp),
                pending.AudioGap, pending.Error));
        }
        _waits.QueueConditionCheck();
    }

    public void Record(SignallingReconnect reconnect)
    {
        lock (_gate) _signallingReconnects.Add(reconnect);
        _waits.QueueConditionCheck();
    }

    /// <summary>Records that the server ended the membership; the caller checks the conditions once the media is down too.</summary>
    public void Record(VoiceEnd ended)
    {
        lock (_gate) _ended = ended;
    }

    /// <summary>What was measured, with what the links own: the user, gateway, membership and packets sent.</summary>
    public MemberStats Snapshot(string? userId, string gateway, bool inVoice, long sentTotal)
    {
        lock (_gate)
        {
            var slot = AudioFormat.FrameDuration;
            var slots = _slots.ToArray();
            var gaps = GapDetector.Find(slots, slot, _options.MinGap);
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
            var frequencies = _tones.Frequencies(_options.MinHeardFrames);
            return new MemberStats
            {
                DisplayName = _options.DisplayName,
                UserId = userId,
                Gateway = gateway,
                InVoice = inVoice,
                JoinTime = Elapsed(_joinStartTimestamp, _firstAudibleTimestamp),
                Join = _joinPhases is { } p
                    ? new JoinTimes(p.Signalling, p.JoinVoiceCall, p.MediaConnect, Elapsed(_joinStartTimestamp, _firstPacketTimestamp),
                        Elapsed(_joinStartTimestamp, _firstAudibleTimestamp))
                    : null,
                Window = Stopwatch.GetElapsedTime(_windowStartTimestamp),
                FramesDecoded = _decoded,
                FramesConcealed = _concealed,
                AudibleFrames = _audible,
                MeanAudibleDbfs = _audibleLevelled > 0 ? _audibleDbSum / _audibleLevelled : double.NaN,
                Analysis = _options.Analysis,
                ExpectedAudio = slot * expected,
                ExpectedCoverage = expected == 0 ? 1 : (double)expectedHeard / expected,
                HeardRuns = runs,
                Gaps = gaps,
                LongestGap = gaps.Count == 0 ? TimeSpan.Zero : gaps.Max(g => g.Duration),
                Frequencies = frequencies,
                HeardFrequencies = frequencies.Where(f => f.Heard).ToArray(),
                HeardOwnTone = _tones.OwnHeard(frequencies),
                DominantFrequencies = _tones.Dominant(8),
                UnexplainedFrames = _tones.Unexplained,
                PacketsReceived = _packetsReceived,
                PacketsLost = _packetsLost,
                PacketsLate = _packetsLate,
                PacketsDuplicated = _packetsDuplicated,
                PlayoutUnderruns = _playoutUnderruns,
                PacketsSent = sentTotal - _sentAtWindowStart,
                Reconnects = _reconnects.ToArray(),
                SignallingReconnects = _signallingReconnects.ToArray(),
                Ended = _ended,
            };
        }
    }

    private static TimeSpan? Elapsed(long start, long end) => start == 0 || end == 0 ? null : Stopwatch.GetElapsedTime(start, end);
}

using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.InteropServices;

namespace OpenChat.MediaNode.Engine;

/// <summary>
/// One voice room's mixer. Each tick it plays one frame from every member's jitter buffer, mixes the
/// loudest few talkers, and sends every member one frame: a member that hears exactly one talker gets that
/// talker's own packet (<see cref="EngineOptions.ForwardSingleTalker"/>); otherwise talkers get the mix minus
/// their own voice, members with personal volumes get their own mix, everyone else shares one encoded mix (a
/// member whose voice the shared encoder may still carry, or whose forwarded talker's packets just stopped
/// carrying all it hears, gets that mix from its own encoder for a few frames).
/// </summary>
/// <remarks>
/// <see cref="OnPacket"/> is called from the network receive thread and only touches the member's jitter
/// buffer. Everything else (the tick and membership changes) holds this room's lock, never another room's.
/// The tick does not allocate once every bus it needs exists. The tick (<see cref="MixOnce"/>) and the helpers it
/// calls stay in this one file, over 500 lines, so the per-frame path can be read and checked for allocations and
/// locks top to bottom.
/// </remarks>
public sealed class MixerRoom
{
    private const int FramesPerSecond = 1000 / AudioFormat.FrameMilliseconds;

    /// <summary>
    /// Frames of its past input an Opus encoder's next packets still carry: its 6.5 ms look-ahead puts the end of
    /// the previous frame into the next packet, and its prediction (SILK long-term prediction, CELT pre-filter)
    /// reaches up to about 20 ms further back. A member whose voice went into the shared mix therefore hears that
    /// mix from its own encoder until the shared encoder has encoded this many frames without it; on the shared
    /// encoder any earlier, its first frames would carry its own voice back: switched over on the first frame
    /// without it, a member hears its voice at -25 to -4 dB relative to the voice itself, one frame later at up
    /// to -33 dB.
    /// </summary>
    internal const int SharedEncoderMemoryFrames = 3;

    private readonly Lock _sync = new();
    private readonly EngineOptions _options;
    private readonly EngineCounters _counters;
    private readonly Random _random;
    private readonly ConcurrentDictionary<MemberId, RoomMember> _byId = new();
    private readonly List<RoomMember> _members = [];
    private readonly Stack<MixBus> _pool = new();
    private readonly MixBus _sharedBus;
    private readonly float[] _sum = new float[AudioFormat.FrameSamples];
    private readonly float[] _mix = new float[AudioFormat.FrameSamples];
    private readonly short[] _scratch = new short[AudioFormat.FrameSamples];
    private readonly RoomMember?[] _talkers;
    private readonly long[] _recentEvents;
    private int _talkerCount;
    private int _eventCursor;
    private long _tickNumber;
    private long _sharedFrames;
    private bool _sharedEncodedLastTick;
    private int _busesInUse;
    private ISpeakingListener? _speakingListener;

    internal MixerRoom(RoomId id, EngineOptions options, EngineCounters counters, int seed, ISpeakingListener? speakingListener)
    {
        Id = id;
        _options = options;
        _counters = counters;
        _random = new Random(seed);
        _speakingListener = speakingListener;
        _talkers = new RoomMember?[options.MaxTalkers];
        _recentEvents = new long[options.MaxSpeakingEventsPerSecond];
        Array.Fill(_recentEvents, long.MinValue / 2);
        _sharedBus = new MixBus(options);
    }

    public RoomId Id { get; }

    public int MemberCount => _byId.Count;

    /// <summary>What the last tick did (encodes, decodes, talkers...).</summary>
    public RoomTickStats LastTick { get; private set; }

    /// <summary>Encoders bound to a mix right now: the shared one (when it ran last tick) plus minus and personal mixes and the own encoders of members that left the talkers within the last few ticks.</summary>
    public int EncodersInUse => Volatile.Read(ref _busesInUse);

    /// <summary>Members mixed in the last tick, loudest first.</summary>
    public MemberId[] CurrentTalkers()
    {
        lock (_sync)
        {
            var ids = new MemberId[_talkerCount];
            for (int i = 0; i < _talkerCount; i++) ids[i] = _talkers[i]!.Id;
            return ids;
        }
    }

    public RoomMember[] Members()
    {
        lock (_sync) return [.. _members];
    }

    public bool TryGetMember(MemberId id, [NotNullWhen(true)] out RoomMember? member) => _byId.TryGetValue(id, out member);

    /// <summary>Adds a member; its outbound stream starts at a random sequence number and timestamp.</summary>
    public RoomMember AddMember(MemberId id, IAudioSink? sink = null)
    {
        lock (_sync)
        {
            if (_byId.ContainsKey(id)) throw new InvalidOperationException($"{id} is already in room {Id}");
            var member = new RoomMember(id, _options, sink, (ushort)_random.Next(0x10000), (uint)_random.NextInt64(0x1_0000_0000L));
            _members.Add(member);
            _byId[id] = member;
            return member;
        }
    }

    public bool RemoveMember(MemberId id)
    {
        lock (_sync)
        {
            if (!_byId.TryRemove(id, out var member)) return false;
            _members.Remove(member);
            ReleaseBus(member);
            foreach (var other in _members)
            {
                if (other.ForwardedFrom == member) other.ForwardedFrom = null;
            }
            for (int i = 0; i < _talkerCount; i++)
            {
                if (_talkers[i] != member) continue;
                for (int j = i; j < _talkerCount - 1; j++) _talkers[j] = _talkers[j + 1];
                _talkers[--_talkerCount] = null;
                break;
            }
            return true;
        }
    }

    /// <summary>A muted member's packets are dropped on arrival and it is in no mix; it still hears the room.</summary>
    public void SetMuted(MemberId id, bool muted)
    {
        lock (_sync)
        {
            var member = Get(id);
            member.IsMuted = muted;
            if (muted) member.Jitter.Clear();
        }
    }

    /// <summary>A deafened member receives nothing; whether it is heard is <see cref="SetMuted"/>'s business.</summary>
    public void SetDeafened(MemberId id, bool deafened)
    {
        lock (_sync) Get(id).IsDeafened = deafened;
    }

    /// <summary>Sets how loud <paramref name="listener"/> hears <paramref name="source"/> (0 to 2, 1 = unchanged).</summary>
    public void SetPersonalVolume(MemberId listener, MemberId source, float gain)
    {
        if (float.IsNaN(gain)) throw new ArgumentOutOfRangeException(nameof(gain));
        gain = Math.Clamp(gain, 0f, 2f);
        lock (_sync)
        {
            var member = Get(listener);
            if (gain == 1f)
            {
                member.Volumes?.Remove(source);
            }
            else
            {
                member.Volumes ??= [];
                member.Volumes[source] = gain;
            }
        }
    }

    public void SetSpeakingListener(ISpeakingListener? listener)
    {
        lock (_sync) _speakingListener = listener;
    }

    /// <summary>
    /// Hands an arriving packet to the member's jitter buffer. Called from the network receive thread;
    /// does not allocate and does not wait for the mixing tick.
    /// </summary>
    public JitterInsertResult OnPacket(
        MemberId member, ushort sequenceNumber, uint rtpTimestamp, ReadOnlySpan<byte> opus, byte? audioLevelDbov, long arrivalTicks)
    {
        if (!_byId.TryGetValue(member, out var m))
        {
            _counters.CountPacket(JitterInsertResult.UnknownMember);
            return JitterInsertResult.UnknownMember;
        }

        _counters.CountInbound(m.AdvanceSequence(sequenceNumber));
        var result = m.IsMuted ? JitterInsertResult.Muted : m.Jitter.Insert(rtpTimestamp, opus, audioLevelDbov, arrivalTicks);
        _counters.CountPacket(result);
        return result;
    }

    /// <summary>Runs one 20 ms tick at <paramref name="nowTicks"/> (<see cref="System.Diagnostics.Stopwatch"/> ticks).</summary>
    public RoomTickStats MixOnce(long nowTicks)
    {
        lock (_sync)
        {
            _tickNumber++;
            var members = CollectionsMarshal.AsSpan(_members);
            int decodes = 0, skipped = 0, concealed = 0, fec = 0, encodes = 0, sent = 0;

            // 1. One frame per member; rank those that may be mixed. Packets with an RFC 6464 level are
            //    ranked without decoding, so silent listeners cost no decoder time.
            _talkerCount = 0;
            foreach (var m in members)
            {
                m.Decoded = false;
                m.HasAudio = false;
                bool wasTalker = m.IsTalker;
                m.IsTalker = false;

                if (m.IsMuted)
                {
                    m.Frame = JitterFrame.None;
                    m.Speaking.Reset();
                    m.FramesSinceLoud = int.MaxValue / 2;
                    m.Loudness = 0;
                    m.LastLevelDbov = AudioLevel.Silence;
                    continue;
                }

                var frame = m.Jitter.Pull(nowTicks, m.Payload);
                m.Frame = frame;
                bool loud = false;
                switch (frame.Kind)
                {
                    case JitterFrameKind.Packet:
                    case JitterFrameKind.Fec:
                        m.HasAudio = true;
                        if (frame.LevelDbov is { } level)
                        {
                            m.Level = level;
                        }
                        else
                        {
                            Decode(m, ref decodes, ref fec, ref concealed);
                            m.Level = AudioLevel.FromPcm(m.Pcm);
                        }
                        loud = m.Level <= _options.TalkerThresholdDbov;
                        break;
                    case JitterFrameKind.Missing:
                        // Only worth concealing for someone being heard, and only for a while.
                        m.HasAudio = wasTalker && frame.MissingRun <= _options.MaxConcealedFrames;
                        break;
                }

                if (m.HasAudio)
                {
                    float loudness = AudioLevel.Silence - m.Level;
                    m.Loudness = loudness > m.Loudness ? loudness : m.Loudness + (loudness - m.Loudness) * 0.1f;
                }
                else
                {
                    m.Loudness *= 0.9f;
                }

                if (loud) m.FramesSinceLoud = 0;
                else if (m.FramesSinceLoud < int.MaxValue / 2) m.FramesSinceLoud++;

                m.LastLevelDbov = m.HasAudio ? m.Level : AudioLevel.Silence;
                m.Speaking.Update(m.HasAudio ? m.Level : null);

                if (m.HasAudio && m.FramesSinceLoud <= _options.TalkerHangoverFrames)
                {
                    m.Score = m.Loudness + (wasTalker ? _options.TalkerIncumbentBonusDb : 0);
                    Consider(m);
                }
            }

            // 2. Decode the talkers not decoded yet; sum them on a float bus.
            Array.Clear(_sum);
            for (int i = 0; i < _talkerCount; i++)
            {
                var t = _talkers[i]!;
                t.IsTalker = true;
                if (!t.Decoded) Decode(t, ref decodes, ref fec, ref concealed);
                short[] pcm = t.Pcm;
                for (int s = 0; s < _sum.Length; s++) _sum[s] += pcm[s];
            }

            // 3. What each listener hears: the one talker it hears at unit volume is sent on as that talker's own packet;
            //    anything else is a mix, each distinct mix encoded once. Timestamps advance for everyone, sent or not.
            RoomMember? spliceFrom = null;
            bool sharedWanted = false;
            foreach (var m in members)
            {
                m.SoleSource = null;
                m.Audible = 0;
                if (m.Sink is null || m.IsDeafened) continue;
                CountAudible(m);
                if (m.SoleSource is null && !m.IsTalker && !m.HasPersonalMix && (m.Audible > 0 || m.LastOutput != OutputKind.Forwarded))
                {
                    sharedWanted = true;
                    if (m.LastOutput == OutputKind.Forwarded) spliceFrom ??= m.ForwardedFrom;
                }
            }

            bool sharedDone = false, sharedHasPacket = false, sharedEncoded = false;
            RoomMember? sharedSplicedFrom = null;
            int busesInUse = 0, forwards = 0;
            foreach (var m in members)
            {
                // Decoding is over for this tick: a frame with audio that was not decoded was ranked by its level alone.
                if (m.HasAudio && !m.Decoded && m.Frame.Kind != JitterFrameKind.Missing) skipped++;

                var sink = m.Sink;
                if (sink is null || m.IsDeafened)
                {
                    ReleaseBus(m);
                    Finish(m, OutputKind.None, null, shared: false);
                    continue;
                }

                // Switched from the shared encoder straight to a talker's packets, a decoder would carry that encoder's
                // state, and with it whatever is left there of a talker's own voice, into the packets' inter-frame
                // prediction. A listener leaving a shared mix that others still hear therefore first takes its own encoder for
                // a frame, as it would without forwarding (when everyone leaves it at once, nobody was a talker of it lately).
                if (m.SoleSource is { } source && !(m.LastOutput == OutputKind.Mixed && m.LastFromShared && sharedWanted))
                {
                    ReleaseBus(m);
                    if (source.Frame.Kind == JitterFrameKind.Packet)
                    {
                        m.Outbound.Send(sink, source.Payload.AsSpan(0, source.Frame.Length), source.Level);
                        sent++;
                        forwards++;
                    }
                    else
                    {
                        // Concealed or recovered from FEC here, the frame is no packet of the talker's: the listener's
                        // decoder conceals it, from the same state and with the same FEC in the next packet.
                        m.Outbound.Skip();
                    }
                    Finish(m, OutputKind.Forwarded, source, shared: false);
                    continue;
                }

                bool sharedSource = !m.IsTalker && !m.HasPersonalMix;
                var from = m.LastOutput == OutputKind.Forwarded ? m.ForwardedFrom : null;
                if (m.Audible == 0 && _options.ForwardSingleTalker
                    && (m.LastOutput == OutputKind.Forwarded || (!sharedSource && m.Bus is null && m.LastOutput == OutputKind.None)))
                {
                    // Nobody to hear and no mix to fade out: send nothing rather than start an encoder for silence (a lone
                    // talker, or a listener whose forwarded talker stopped: its decoder fades out as after a lost packet).
                    ReleaseBus(m);
                    Finish(m, OutputKind.None, null, shared: false);
                    continue;
                }

                if (sharedSource && !sharedDone)
                {
                    // Encoded once, on the first member it may serve, even if that member has to wait for it (below),
                    // so that the encoder forgets former talkers and they can return to it.
                    sharedDone = true;
                    if (!_sharedEncodedLastTick && spliceFrom is not null)
                    {
                        // Idle while its listeners were sent a talker's packets: it takes over from that talker's audio.
                        encodes += Splice(_sharedBus, spliceFrom, ref decodes, ref fec, ref concealed);
                        spliceFrom.LastSharedFrameWithVoice = _sharedFrames + 1;
                        sharedSplicedFrom = spliceFrom;
                    }
                    sharedHasPacket = _sharedBus.Produce(_sum, _talkerCount > 0, _scratch, out sharedEncoded);
                    if (sharedEncoded) CountSharedFrame(ref encodes, ref busesInUse);
                }

                if (sharedSource && _sharedFrames - Math.Max(m.LastSharedFrameWithVoice, m.SharedFrameAtSplice) > SharedEncoderMemoryFrames
                    && (from is null || from == sharedSplicedFrom))
                {
                    ReleaseBus(m);
                    if (sharedHasPacket) Send(m, _sharedBus, ref sent);
                    Finish(m, sharedHasPacket && _talkerCount > 0 ? OutputKind.Mixed : OutputKind.None, null, shared: true);
                }
                else
                {
                    // A talker's mix minus its own voice, a personal mix, or, for a member whose voice left the shared
                    // mix (or whose forwarded talker's packets stopped) too recently for the shared encoder to match what
                    // it heard, the shared mix from its own encoder.
                    var bus = m.Bus ??= AcquireBus();
                    busesInUse++;
                    if (from is not null)
                    {
                        encodes += Splice(bus, from, ref decodes, ref fec, ref concealed);
                        m.SharedFrameAtSplice = _sharedFrames;
                    }
                    bool hasSources = m.HasPersonalMix ? BuildPersonalMix(m) : m.IsTalker ? BuildMinusMix(m) : CopySharedMix();
                    bool send = bus.Produce(_mix, hasSources, _scratch, out bool encoded);
                    if (encoded) encodes++;
                    if (send) Send(m, bus, ref sent);
                    Finish(m, send && hasSources ? OutputKind.Mixed : OutputKind.None, null, shared: false);
                }
            }
            // An encoder nobody took this tick forgets what it held, so that it never resumes on stale audio.
            if (_sharedEncodedLastTick && !sharedEncoded) _sharedBus.Suspend();
            _sharedEncodedLastTick = sharedEncoded;
            Volatile.Write(ref _busesInUse, busesInUse);

            // 4. Speaking changes, at most MaxSpeakingEventsPerSecond in any second; a change that has to
            //    wait is sent later, or not at all if it reverted meanwhile.
            int events = 0;
            foreach (var m in members)
            {
                bool speaking = m.Speaking.IsSpeaking;
                if (speaking == m.IsSpeaking) continue;
                if (_recentEvents[_eventCursor] > _tickNumber - FramesPerSecond) break;
                _recentEvents[_eventCursor] = _tickNumber;
                _eventCursor = (_eventCursor + 1) % _recentEvents.Length;
                m.IsSpeaking = speaking;
                events++;
                _speakingListener?.OnSpeakingChanged(Id, m.Id, speaking);
            }

            var stats = new RoomTickStats(encodes, decodes, skipped, concealed, fec, sent, _talkerCount, events, forwards);
            LastTick = stats;
            return stats;
        }
    }

    private void Decode(RoomMember m, ref int decodes, ref int fec, ref int concealed)
    {
        // Only a splice onto forwarded packets reads a member's history.
        if (_options.ForwardSingleTalker && _options.AlignSwitches) m.KeepHistory(_tickNumber);
        switch (m.Frame.Kind)
        {
            case JitterFrameKind.Packet:
                if (!m.Decoder.Decode(m.Payload.AsSpan(0, m.Frame.Length), m.Pcm)) concealed++;
                decodes++;
                break;
            case JitterFrameKind.Fec:
                if (!m.Decoder.DecodeFec(m.Payload.AsSpan(0, m.Frame.Length), m.Pcm)) concealed++;
                else fec++;
                decodes++;
                break;
            default:
                m.Decoder.Conceal(m.Pcm);
                concealed++;
                break;
        }
        m.Decoded = true;
    }

    // Keeps _talkers sorted by score, loudest first; ties keep join order so selection is deterministic.
    private void Consider(RoomMember m)
    {
        int capacity = _talkers.Length;
        int position;
        if (_talkerCount < capacity)
        {
            position = _talkerCount++;
        }
        else if (m.Score > _talkers[capacity - 1]!.Score)
        {
            position = capacity - 1;
        }
        else
        {
            return;
        }

        while (position > 0 && _talkers[position - 1]!.Score < m.Score)
        {
            _talkers[position] = _talkers[position - 1];
            position--;
        }
        _talkers[position] = m;
    }

    // Counts the talkers `listener` hears (others, at a gain above zero) into Audible, and sets SoleSource to the one it
    // hears if it hears exactly one at unit gain and single talkers are forwarded.
    private void CountAudible(RoomMember listener)
    {
        RoomMember? sole = null;
        bool unity = true;
        var volumes = listener.Volumes;
        for (int i = 0; i < _talkerCount; i++)
        {
            var t = _talkers[i]!;
            if (t == listener) continue;
            float gain = volumes is not null && volumes.TryGetValue(t.Id, out float g) ? g : 1f;
            if (gain <= 0f) continue;
            listener.Audible++;
            sole = t;
            unity = gain == 1f;
        }
        listener.SoleSource = listener.Audible == 1 && unity && _options.ForwardSingleTalker ? sole : null;
    }

    // Resets `bus` and runs its encoder over `source`'s recent audio (decoding its frame of this tick if not done yet),
    // so that it continues what a listener sent `source`'s packets heard; returns the frames encoded.
    private int Splice(MixBus bus, RoomMember source, ref int decodes, ref int fec, ref int concealed)
    {
        if (!_options.AlignSwitches)
        {
            bus.Reset();
            return 0;
        }
        if (!source.Decoded) Decode(source, ref decodes, ref fec, ref concealed);
        return bus.Splice(source.RecentHistory, source.Pcm, _scratch);
    }

    private void CountSharedFrame(ref int encodes, ref int busesInUse)
    {
        encodes++;
        busesInUse++;
        _sharedFrames++;
        for (int i = 0; i < _talkerCount; i++) _talkers[i]!.LastSharedFrameWithVoice = _sharedFrames;
    }

    private static void Send(RoomMember m, MixBus bus, ref int sent)
    {
        m.Outbound.Send(m.Sink!, bus.Encoder.Packet, bus.Level);
        sent++;
    }

    private static void Finish(RoomMember m, OutputKind output, RoomMember? forwardedFrom, bool shared)
    {
        m.LastOutput = output;
        m.ForwardedFrom = forwardedFrom;
        m.LastFromShared = shared;
        m.Outbound.EndTick();
    }

    private bool BuildMinusMix(RoomMember self)
    {
        short[] own = self.Pcm;
        for (int s = 0; s < _mix.Length; s++) _mix[s] = _sum[s] - own[s];
        return _talkerCount > 1;
    }

    private bool CopySharedMix()
    {
        _sum.CopyTo(_mix, 0);
        return _talkerCount > 0;
    }

    private bool BuildPersonalMix(RoomMember listener)
    {
        Array.Clear(_mix);
        var volumes = listener.Volumes!;
        bool any = false;
        for (int i = 0; i < _talkerCount; i++)
        {
            var t = _talkers[i]!;
            if (t == listener) continue;
            float gain = volumes.TryGetValue(t.Id, out float g) ? g : 1f;
            if (gain <= 0f) continue;
            any = true;
            short[] pcm = t.Pcm;
            for (int s = 0; s < _mix.Length; s++) _mix[s] += gain * pcm[s];
        }
        return any;
    }

    private MixBus AcquireBus() =>
        _pool.Count > 0 ? _pool.Pop() : new MixBus(_options);

    private void ReleaseBus(RoomMember m)
    {
        if (m.Bus is not { } bus) return;
        bus.Reset();
        _pool.Push(bus);
        m.Bus = null;
    }

    private RoomMember Get(MemberId id) =>
        _byId.TryGetValue(id, out var member) ? member : throw new KeyNotFoundException($"{id} is not in room {Id}");
}

namespace OpenChat.MediaNode.Engine;

/// <summary>
/// One member of a <see cref="MixerRoom"/>: its inbound jitter buffer and decoder, its outbound stream,
/// and its mixing state. Created by <see cref="MixerRoom.AddMember"/>; changed only through the room.
/// </summary>
public sealed class RoomMember
{
    private volatile bool _muted;
    // Receive thread only: the highest sequence number seen, extended past 16 bits.
    private long _highestSequence = -1;
    private readonly EngineOptions _options;
    // What only a decoded member uses (a talker, or a member whose packets carry no audio level) is made at its first
    // decode: most members of a room only listen, and a decoder that has never run is the same as one made at join.
    private OpusFrameDecoder? _decoder;
    private short[]? _pcm;
    private short[]? _history;

    internal RoomMember(MemberId id, EngineOptions options, IAudioSink? sink, ushort initialSequence, uint initialTimestamp)
    {
        Id = id;
        Sink = sink;
        _options = options;
        Jitter = new JitterBuffer(options.JitterBufferSlots, options.MinJitterDelayMs, options.MaxJitterDelayMs, options.MaxConcealedFrames);
        Outbound = new OutboundStream(initialSequence, initialTimestamp);
        Speaking = new SpeakingDetector(options.SpeakingOnDbov, options.SpeakingOnFrames, options.SpeakingOffDbov, options.SpeakingOffFrames);
    }

    public MemberId Id { get; }

    public bool IsMuted
    {
        get => _muted;
        internal set => _muted = value;
    }

    public bool IsDeafened { get; internal set; }

    /// <summary>The speaking state last reported to the room's listener.</summary>
    public bool IsSpeaking { get; internal set; }

    /// <summary>Whether the member was among the mixed talkers in the last tick.</summary>
    public bool IsTalker { get; internal set; }

    /// <summary>Whether the member hears a personal mix (it set a non-unity volume for someone).</summary>
    public bool HasPersonalMix => Volumes is { Count: > 0 };

    /// <summary>Level of the member's last frame (RFC 6464 -dBov).</summary>
    public byte LastLevelDbov { get; internal set; } = AudioLevel.Silence;

    /// <summary>The jitter buffer's current target delay in milliseconds.</summary>
    public double JitterDelayMs => Jitter.TargetDelayMs;

    /// <summary>Frames sent to this member.</summary>
    public long FramesSent => Outbound.FramesSent;

    internal IAudioSink? Sink { get; }

    internal JitterBuffer Jitter { get; }

    /// <summary>The member's decoder, made at its first use.</summary>
    internal OpusFrameDecoder Decoder => _decoder ??= new OpusFrameDecoder(_options.DecoderFactory?.Invoke());

    /// <summary>Whether the member has been decoded since it joined (its decoder and decoded buffers exist).</summary>
    internal bool HasDecoderState => _decoder is not null || _pcm is not null || _history is not null;

    internal byte[] Payload { get; } = new byte[AudioFormat.MaxOpusPacketBytes];

    /// <summary>The member's decoded frame, made at its first use.</summary>
    internal short[] Pcm => _pcm ??= new short[AudioFormat.FrameSamples];

    internal OutboundStream Outbound { get; }

    internal SpeakingDetector Speaking { get; }

    /// <summary>Personal gains this member hears others at; only non-unity entries are kept.</summary>
    internal Dictionary<MemberId, float>? Volumes { get; set; }

    /// <summary>The bus of this member's own mix (minus-own or personal), bound while it needs one.</summary>
    internal MixBus? Bus { get; set; }

    // Per-tick state, touched by the mixing thread only.
    internal JitterFrame Frame;
    internal bool HasAudio;
    internal bool Decoded;
    internal byte Level = AudioLevel.Silence;
    internal float Loudness;
    internal int FramesSinceLoud = int.MaxValue / 2;
    internal float Score;

    /// <summary>Number (in the room's count of shared frames) of the last shared frame this member's voice was mixed into.</summary>
    internal long LastSharedFrameWithVoice = long.MinValue / 2;

    /// <summary>Number of the shared frame when this member's own encoder took over from forwarded packets; it stays on that encoder a few frames.</summary>
    internal long SharedFrameAtSplice = long.MinValue / 2;

    /// <summary>This tick: the one talker this member hears, at unit volume, whose packets it can be sent (null: it needs a mix).</summary>
    internal RoomMember? SoleSource;

    /// <summary>This tick: how many talkers this member hears (others, at a volume above zero).</summary>
    internal int Audible;

    /// <summary>What the member's last frame was: its decoder follows that stream.</summary>
    internal OutputKind LastOutput;

    /// <summary>The talker whose packets the member was sent last (while <see cref="LastOutput"/> is <see cref="OutputKind.Forwarded"/>).</summary>
    internal RoomMember? ForwardedFrom;

    /// <summary>Whether the member's last mixed frame came from the shared bus (else from <see cref="Bus"/>).</summary>
    internal bool LastFromShared;

    /// <summary>The member's decoded frames before the current one, oldest first, while it is decoded tick after tick.</summary>
    internal short[] History => _history ??= new short[MixerRoom.SharedEncoderMemoryFrames * AudioFormat.FrameSamples];

    /// <summary>Frames of <see cref="History"/> that are valid (consecutive up to the current one).</summary>
    internal int HistoryFrames;

    /// <summary>Tick whose frame <see cref="Pcm"/> holds.</summary>
    internal long PcmTick = long.MinValue / 2;

    /// <summary>Decoded audio of the frames just before the current one, oldest first.</summary>
    internal ReadOnlySpan<short> RecentHistory =>
        HistoryFrames == 0 ? ReadOnlySpan<short>.Empty : History.AsSpan(History.Length - HistoryFrames * AudioFormat.FrameSamples);

    /// <summary>Before <see cref="Pcm"/> is overwritten with the frame of <paramref name="tick"/>: keeps it if it was the previous tick's.</summary>
    internal void KeepHistory(long tick)
    {
        const int n = AudioFormat.FrameSamples;
        if (PcmTick == tick) return;
        if (PcmTick != tick - 1)
        {
            HistoryFrames = 0;
        }
        else
        {
            Array.Copy(History, n, History, 0, History.Length - n);
            Pcm.CopyTo(History, History.Length - n);
            HistoryFrames = Math.Min(HistoryFrames + 1, History.Length / n);
        }
        PcmTick = tick;
    }

    /// <summary>
    /// How many packets this one's sequence number says the sender has sent beyond those counted so far (1 for the
    /// first, 0 for a late or repeated one); called on the receive thread, for the engine's loss statistics.
    /// </summary>
    internal long AdvanceSequence(ushort sequence)
    {
        long highest = _highestSequence;
        if (highest < 0)
        {
            _highestSequence = sequence;
            return 1;
        }
        long extended = highest + unchecked((short)(sequence - (ushort)highest));
        if (extended <= highest) return 0;
        _highestSequence = extended;
        return extended - highest;
    }
}

/// <summary>What a member was sent in a tick.</summary>
internal enum OutputKind
{
    /// <summary>Nothing, or silence: its decoder has nothing to continue.</summary>
    None,

    /// <summary>A mixed frame with someone in it, from an encoder on the mix's timing.</summary>
    Mixed,

    /// <summary>A talker's own packet (or its loss), or a mixed frame brought onto that talker's timing.</summary>
    Forwarded,
}

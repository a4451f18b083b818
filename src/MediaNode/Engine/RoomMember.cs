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

    internal RoomMember(MemberId id, EngineOptions options, IAudioSink? sink, ushort initialSequence, uint initialTimestamp)
    {
        Id = id;
        Sink = sink;
        Jitter = new JitterBuffer(options.JitterBufferSlots, options.MinJitterDelayMs, options.MaxJitterDelayMs, options.MaxConcealedFrames);
        Outbound = new OutboundStream(initialSequence, initialTimestamp);
        Decoder = new OpusFrameDecoder(options.DecoderFactory?.Invoke());
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

    internal OpusFrameDecoder Decoder { get; }

    internal byte[] Payload { get; } = new byte[AudioFormat.MaxOpusPacketBytes];

    internal short[] Pcm { get; } = new short[AudioFormat.FrameSamples];

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

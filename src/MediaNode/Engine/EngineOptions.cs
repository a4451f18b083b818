using Concentus;

namespace OpenChat.MediaNode.Engine;

/// <summary>Settings of a <see cref="MixerEngine"/> and every room it runs.</summary>
public sealed record EngineOptions
{
    /// <summary>How many of the loudest members are mixed at once.</summary>
    public int MaxTalkers { get; init; } = 4;

    public EncoderSettings Encoder { get; init; } = new();

    /// <summary>Lowest target delay of a jitter buffer, in milliseconds.</summary>
    public int MinJitterDelayMs { get; init; } = 20;

    /// <summary>Highest target delay of a jitter buffer, in milliseconds.</summary>
    public int MaxJitterDelayMs { get; init; } = 100;

    /// <summary>Packets a jitter buffer can hold (power of two); bounds its memory at this many 1,275-byte slots.</summary>
    public int JitterBufferSlots { get; init; } = 16;

    /// <summary>Consecutive lost frames that are concealed before a member is treated as silent.</summary>
    public int MaxConcealedFrames { get; init; } = 5;

    /// <summary>A frame at or louder than this (RFC 6464 -dBov, 0 loudest) makes its member eligible to be mixed.</summary>
    public int TalkerThresholdDbov { get; init; } = 60;

    /// <summary>Frames a member stays eligible after its last loud frame, so pauses between words do not drop it.</summary>
    public int TalkerHangoverFrames { get; init; } = 25;

    /// <summary>Level (dB) an incumbent talker is favoured by, so similar voices do not swap places every frame.</summary>
    public int TalkerIncumbentBonusDb { get; init; } = 6;

    /// <summary>Speaking starts after <see cref="SpeakingOnFrames"/> frames at or louder than this (-dBov).</summary>
    public int SpeakingOnDbov { get; init; } = 45;

    public int SpeakingOnFrames { get; init; } = 2;

    /// <summary>Speaking ends after <see cref="SpeakingOffFrames"/> frames quieter than this (-dBov) or without audio.</summary>
    public int SpeakingOffDbov { get; init; } = 55;

    public int SpeakingOffFrames { get; init; } = 25;

    /// <summary>Speaking events a room may emit in any one-second window.</summary>
    public int MaxSpeakingEventsPerSecond { get; init; } = 5;

    /// <summary>
    /// Stop encoding and sending a mix after this many consecutive frames without any source (nobody talking);
    /// sending resumes with the RTP marker bit. Negative disables it (always send).
    /// </summary>
    public int SilentFramesBeforePause { get; init; } = 10;

    /// <summary>
    /// A listener whose mix would hold exactly one talker at unit volume is sent that talker's own Opus packets
    /// instead of an encoded mix: no encoder runs for it. False always mixes (to compare the cost).
    /// </summary>
    public bool ForwardSingleTalker { get; init; } = true;

    /// <summary>A tick starting later than this after its scheduled time counts as late.</summary>
    public TimeSpan LateTickThreshold { get; init; } = TimeSpan.FromMilliseconds(5);

    /// <summary>Threads that mix rooms in parallel each tick (the clock thread is one of them).</summary>
    public int Workers { get; init; } = 1;

    /// <summary>Seed for the random initial RTP sequence numbers and timestamps of outbound streams; null for a random seed.</summary>
    public int? RandomSeed { get; init; }

    /// <summary>
    /// Whether an encoder taking over from forwarded packets is first spliced onto them (run over the talker's recent
    /// audio, so the listener's decoder continues what it heard). Tests turn it off to measure what it saves.
    /// </summary>
    internal bool AlignSwitches { get; init; } = true;

    /// <summary>Creates encoders; tests substitute fakes to measure the engine's own cost. Null uses Concentus.</summary>
    internal Func<IOpusEncoder>? EncoderFactory { get; init; }

    /// <summary>Creates decoders; tests substitute fakes to measure the engine's own cost. Null uses Concentus.</summary>
    internal Func<IOpusDecoder>? DecoderFactory { get; init; }

    internal void Validate()
    {
        ArgumentNullException.ThrowIfNull(Encoder);
        Encoder.Validate();
        if (MaxTalkers is < 1 or > 64) throw new ArgumentOutOfRangeException(nameof(MaxTalkers), MaxTalkers, "1..64");
        if (MinJitterDelayMs < 0 || MaxJitterDelayMs < MinJitterDelayMs)
            throw new ArgumentOutOfRangeException(nameof(MaxJitterDelayMs), "need 0 <= min <= max");
        if (JitterBufferSlots < 4 || (JitterBufferSlots & (JitterBufferSlots - 1)) != 0)
            throw new ArgumentOutOfRangeException(nameof(JitterBufferSlots), JitterBufferSlots, "a power of two >= 4");
        if (JitterBufferSlots * AudioFormat.FrameMilliseconds < MaxJitterDelayMs + 4 * AudioFormat.FrameMilliseconds)
            throw new ArgumentOutOfRangeException(nameof(JitterBufferSlots), JitterBufferSlots, "too few slots for the maximum delay");
        if (MaxConcealedFrames < 0) throw new ArgumentOutOfRangeException(nameof(MaxConcealedFrames));
        if (MaxSpeakingEventsPerSecond < 1) throw new ArgumentOutOfRangeException(nameof(MaxSpeakingEventsPerSecond));
        if (Workers < 1) throw new ArgumentOutOfRangeException(nameof(Workers));
    }
}

namespace OpenChat.MediaNode.Engine;

/// <summary>The one audio format the engine mixes in: 48 kHz mono, 20 ms frames.</summary>
public static class AudioFormat
{
    public const int SampleRate = 48_000;
    public const int FrameMilliseconds = 20;
    public const int FrameSamples = SampleRate / 1000 * FrameMilliseconds;

    /// <summary>RFC 6716: the largest Opus packet for one frame.</summary>
    public const int MaxOpusPacketBytes = 1275;
}

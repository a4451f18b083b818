namespace OpenChat.SimulatedClients.Audio;

/// <summary>What a simulated microphone sends and what the mixer returns: 48 kHz mono Opus in 20 ms frames.</summary>
public static class AudioFormat
{
    public const int SampleRate = 48_000;
    public const int FrameMilliseconds = 20;
    public const int FrameSamples = SampleRate / 1000 * FrameMilliseconds;
    public const int FramesPerSecond = 1000 / FrameMilliseconds;

    /// <summary>RFC 6716: the largest Opus packet for one frame.</summary>
    public const int MaxOpusPacketBytes = 1275;

    public static readonly TimeSpan FrameDuration = TimeSpan.FromMilliseconds(FrameMilliseconds);
}

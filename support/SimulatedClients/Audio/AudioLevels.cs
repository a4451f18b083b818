namespace OpenChat.SimulatedClients.Audio;

/// <summary>RFC 6464 audio levels, as a browser attaches them to its packets.</summary>
public static class AudioLevels
{
    public const byte Silence = 127;

    /// <summary>-dBov of the frame's RMS, 0 (loudest) to 127 (silence).</summary>
    public static byte Rfc6464(ReadOnlySpan<short> pcm)
    {
        double dbov = Goertzel.RmsDbfs(pcm);
        return (byte)Math.Clamp(Math.Round(-dbov), 0, Silence);
    }
}

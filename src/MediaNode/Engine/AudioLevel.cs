namespace OpenChat.MediaNode.Engine;

/// <summary>RFC 6464 audio levels: -dBov from 0 (full scale) to 127 (silence).</summary>
public static class AudioLevel
{
    public const byte Silence = 127;

    /// <summary>The level of a frame of 16-bit samples (RMS relative to full scale).</summary>
    public static byte FromPcm(ReadOnlySpan<short> pcm)
    {
        if (pcm.IsEmpty) return Silence;
        double sumSquares = 0;
        foreach (short s in pcm) sumSquares += s * s;
        double meanSquare = sumSquares / pcm.Length;
        // Below one LSB RMS there is nothing meaningful to report; avoids log of zero.
        if (meanSquare < 1.0) return Silence;
        double dbov = 10.0 * Math.Log10(meanSquare / (32768.0 * 32768.0));
        return FromDbov(dbov);
    }

    /// <summary>Clamps dBov (0 or negative) to the RFC 6464 range.</summary>
    public static byte FromDbov(double dbov)
    {
        double level = Math.Round(-dbov);
        if (level <= 0) return 0;
        if (level >= Silence) return Silence;
        return (byte)level;
    }
}

namespace OpenChat.TestSupport;

/// <summary>Measures tones in decoded audio (Goertzel on a Hann window).</summary>
public static class Tone
{
    /// <summary>Power of <paramref name="frequency"/> in <paramref name="samples"/>, in dB (arbitrary reference).</summary>
    public static double PowerDb(ReadOnlySpan<short> samples, double frequency, int sampleRate = 48_000)
    {
        int n = samples.Length;
        double coefficient = 2 * Math.Cos(2 * Math.PI * frequency / sampleRate);
        double s1 = 0, s2 = 0;
        for (int i = 0; i < n; i++)
        {
            double window = 0.5 - 0.5 * Math.Cos(2 * Math.PI * i / (n - 1));
            double s0 = samples[i] * window + coefficient * s1 - s2;
            s2 = s1;
            s1 = s0;
        }
        double power = s1 * s1 + s2 * s2 - coefficient * s1 * s2;
        return 10 * Math.Log10(power / ((double)n * n) + 1e-12);
    }

    /// <summary>Root-mean-square level in dB relative to full scale.</summary>
    public static double RmsDbfs(ReadOnlySpan<short> samples)
    {
        double sum = 0;
        foreach (short s in samples) sum += (double)s * s;
        return 10 * Math.Log10(sum / Math.Max(1, samples.Length) / (32768.0 * 32768.0) + 1e-12);
    }
}

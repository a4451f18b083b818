namespace OpenChat.SimulatedClients.Audio;

/// <summary>
/// Level of single frequencies in a frame of 16-bit samples: the Goertzel algorithm (the DFT evaluated at
/// exactly that frequency, so no bin is missed) over a Hann window, scaled so that a sine of amplitude A reads
/// 20·log10(A / 32768) dB: a full-scale sine is 0 dB whatever the frame length.
/// </summary>
public static class Goertzel
{
    /// <summary>Reported for a frequency with no energy at all, instead of minus infinity.</summary>
    public const double FloorDb = -140;

    /// <summary>The level of <paramref name="frequency"/> in <paramref name="samples"/> (dB relative to a full-scale sine).</summary>
    public static double LevelDb(ReadOnlySpan<short> samples, double frequency, int sampleRate = AudioFormat.SampleRate)
    {
        var window = HannWindow.Get(samples.Length);
        double coefficient = 2 * Math.Cos(2 * Math.PI * frequency / sampleRate);
        double s1 = 0, s2 = 0;
        for (int i = 0; i < samples.Length; i++)
        {
            double s0 = samples[i] * window.Weights[i] + coefficient * s1 - s2;
            s2 = s1;
            s1 = s0;
        }
        double power = s1 * s1 + s2 * s2 - coefficient * s1 * s2;
        // |X(f)| = A/2 · Σw for a sine of amplitude A at f.
        double amplitude = 2 * Math.Sqrt(Math.Max(power, 0)) / window.Sum;
        return ToDb(amplitude / 32768.0);
    }

    /// <summary>Root-mean-square level in dB relative to full scale (a full-scale sine reads -3 dB).</summary>
    public static double RmsDbfs(ReadOnlySpan<short> samples)
    {
        if (samples.IsEmpty) return FloorDb;
        double sum = 0;
        foreach (short s in samples) sum += (double)s * s;
        double meanSquare = sum / samples.Length / (32768.0 * 32768.0);
        return meanSquare <= 0 ? FloorDb : Math.Max(FloorDb, 10 * Math.Log10(meanSquare));
    }

    internal static double ToDb(double amplitudeRatio) =>
        amplitudeRatio <= 0 ? FloorDb : Math.Max(FloorDb, 20 * Math.Log10(amplitudeRatio));
}

/// <summary>A cached Hann window of one length.</summary>
internal sealed class HannWindow
{
    private static HannWindow? _last;

    private HannWindow(int length)
    {
        Length = length;
        Weights = new double[length];
        for (int i = 0; i < length; i++) Weights[i] = 0.5 - 0.5 * Math.Cos(2 * Math.PI * i / Math.Max(1, length - 1));
        Sum = Weights.Sum();
    }

    public int Length { get; }

    public double[] Weights { get; }

    public double Sum { get; }

    /// <summary>Every caller uses one frame length, so one cached window serves them all.</summary>
    public static HannWindow Get(int length)
    {
        var last = Volatile.Read(ref _last);
        if (last is not null && last.Length == length) return last;
        var window = new HannWindow(length);
        Volatile.Write(ref _last, window);
        return window;
    }
}

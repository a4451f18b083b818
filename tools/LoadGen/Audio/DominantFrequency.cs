namespace OpenChat.LoadGen.Audio;

/// <summary>
/// Finds the strongest frequency in a frame: a Hann-windowed 1,024-point FFT (the 960-sample frame zero-padded),
/// the loudest bin, refined by a parabola through the log magnitudes of it and its neighbours (within a few hertz
/// for a tone). Not thread-safe: one instance per receiving stream.
/// </summary>
public sealed class DominantFrequency
{
    private const int Size = 1024;
    private const int Bits = 10;
    private static readonly double[] Cos = new double[Size / 2];
    private static readonly double[] Sin = new double[Size / 2];
    private static readonly int[] Reversed = new int[Size];

    private readonly double[] _re = new double[Size];
    private readonly double[] _im = new double[Size];

    static DominantFrequency()
    {
        for (int i = 0; i < Size / 2; i++)
        {
            Cos[i] = Math.Cos(2 * Math.PI * i / Size);
            Sin[i] = -Math.Sin(2 * Math.PI * i / Size);
        }
        for (int i = 0; i < Size; i++)
        {
            int r = 0;
            for (int b = 0; b < Bits; b++) r |= ((i >> b) & 1) << (Bits - 1 - b);
            Reversed[i] = r;
        }
    }

    /// <summary>The strongest frequency in hertz between 20 Hz and the Nyquist frequency, or NaN for digital silence.</summary>
    public double Estimate(ReadOnlySpan<short> samples, int sampleRate = AudioFormat.SampleRate)
    {
        int n = Math.Min(samples.Length, Size);
        var window = HannWindow.Get(n);
        Array.Clear(_re);
        Array.Clear(_im);
        for (int i = 0; i < n; i++) _re[Reversed[i]] = samples[i] * window.Weights[i];
        Transform();

        int lowest = Math.Max(1, (int)Math.Ceiling(20.0 * Size / sampleRate));
        int best = -1;
        double bestPower = 0;
        for (int k = lowest; k < Size / 2; k++)
        {
            double p = _re[k] * _re[k] + _im[k] * _im[k];
            if (p > bestPower)
            {
                bestPower = p;
                best = k;
            }
        }
        if (best < 0) return double.NaN;

        double offset = 0;
        if (best > lowest && best < Size / 2 - 1)
        {
            double a = Math.Log(Power(best - 1) + 1e-30), b = Math.Log(bestPower), c = Math.Log(Power(best + 1) + 1e-30);
            double denominator = a - 2 * b + c;
            if (denominator < 0) offset = Math.Clamp(0.5 * (a - c) / denominator, -0.5, 0.5);
        }
        return (best + offset) * sampleRate / Size;
    }

    private double Power(int k) => _re[k] * _re[k] + _im[k] * _im[k];

    // In-place iterative radix-2 FFT over bit-reversed input.
    private void Transform()
    {
        for (int length = 2; length <= Size; length <<= 1)
        {
            int half = length >> 1;
            int step = Size / length;
            for (int start = 0; start < Size; start += length)
            {
                for (int j = 0; j < half; j++)
                {
                    double wr = Cos[j * step], wi = Sin[j * step];
                    int even = start + j, odd = even + half;
                    double tr = _re[odd] * wr - _im[odd] * wi;
                    double ti = _re[odd] * wi + _im[odd] * wr;
                    _re[odd] = _re[even] - tr;
                    _im[odd] = _im[even] - ti;
                    _re[even] += tr;
                    _im[even] += ti;
                }
            }
        }
    }
}

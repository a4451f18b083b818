namespace OpenChat.SimulatedClients.Audio;

/// <summary>
/// Finds the strongest frequency in a frame: a Hann-windowed 1,024-point FFT (the 960-sample frame zero-padded)
/// finds the loudest bin, then a golden-section search of the Goertzel level within half a bin either side pins the
/// peak down to a fraction of a hertz for a tone. Not thread-safe: one instance per receiving stream.
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

        // The true peak lies within half a bin of the loudest bin, where the window's main lobe makes the level unimodal.
        double binHz = (double)sampleRate / Size;
        double low = (best - 0.5) * binHz, high = (best + 0.5) * binHz;
        const double ratio = 0.6180339887498949;
        double x1 = high - ratio * (high - low), x2 = low + ratio * (high - low);
        double f1 = Goertzel.LevelDb(samples, x1, sampleRate), f2 = Goertzel.LevelDb(samples, x2, sampleRate);
        for (int i = 0; i < 12; i++)
        {
            if (f1 < f2)
            {
                low = x1;
                x1 = x2;
                f1 = f2;
                x2 = low + ratio * (high - low);
                f2 = Goertzel.LevelDb(samples, x2, sampleRate);
            }
            else
            {
                high = x2;
                x2 = x1;
                f2 = f1;
                x1 = high - ratio * (high - low);
                f1 = Goertzel.LevelDb(samples, x1, sampleRate);
            }
        }
        return (low + high) / 2;
    }

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

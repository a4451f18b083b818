namespace OpenChat.MediaNode.Engine;

/// <summary>
/// Turns a float mixing bus into 16-bit samples without clipping or wrap-around. A look-ahead limiter:
/// the gain is the moving average of the minimum gain needed over the next millisecond, so it is already
/// down when a peak arrives and never squares off the waveform; it then recovers slowly.
/// </summary>
public sealed class Limiter
{
    /// <summary>-1 dBFS: headroom so the encoder's own overshoot does not clip in the listener's decoder.</summary>
    public const float Threshold = 0.891f * 32767f;

    // 1 ms look-ahead; recovery over about 100 ms, slow enough not to pump or distort low notes.
    private const int Window = 48;
    private const float ReleaseStep = 1f / 4800f;

    private readonly float[] _needed = new float[AudioFormat.FrameSamples];
    private readonly float[] _minimum = new float[AudioFormat.FrameSamples];
    private readonly int[] _deque = new int[AudioFormat.FrameSamples];
    private readonly float[] _history = new float[Window];
    private int _historyCursor;
    private float _historySum = Window;
    private bool _historyAllOnes = true;
    private float _gain = 1f;

    public Limiter() => Array.Fill(_history, 1f);

    /// <summary>Current gain (1 when not limiting).</summary>
    public float Gain => _gain;

    public void Reset()
    {
        _gain = 1f;
        Array.Fill(_history, 1f);
        _historySum = Window;
        _historyAllOnes = true;
        _historyCursor = 0;
    }

    /// <summary>Limits <paramref name="input"/> into <paramref name="output"/> (same length, at most one frame).</summary>
    public void Process(ReadOnlySpan<float> input, Span<short> output)
    {
        int n = input.Length;
        if (n > _needed.Length || output.Length < n)
            throw new ArgumentException("at most one frame, output at least as long as input");

        float peak = 0f;
        foreach (float x in input)
        {
            float a = MathF.Abs(x);
            if (a > peak) peak = a;
        }

        // Fast path: nothing to limit and nothing to recover from.
        if (peak <= Threshold && _gain >= 1f && _historyAllOnes)
        {
            for (int i = 0; i < n; i++) output[i] = ToShort(input[i]);
            return;
        }

        Span<float> needed = _needed.AsSpan(0, n);
        for (int i = 0; i < n; i++)
        {
            float a = MathF.Abs(input[i]);
            needed[i] = a > Threshold ? Threshold / a : 1f;
        }

        // Minimum of the needed gain over each sample's next Window samples (within this frame), computed
        // backwards with a monotonic deque.
        Span<float> minimum = _minimum.AsSpan(0, n);
        int head = 0, tail = 0;
        for (int i = n - 1; i >= 0; i--)
        {
            float value = needed[i];
            while (tail > head && needed[_deque[tail - 1]] >= value) tail--;
            _deque[tail++] = i;
            while (_deque[head] > i + Window - 1) head++;
            minimum[i] = needed[_deque[head]];
        }

        float g = _gain;
        bool allOnes = true;
        for (int i = 0; i < n; i++)
        {
            float m = minimum[i];
            _historySum += m - _history[_historyCursor];
            _history[_historyCursor] = m;
            _historyCursor = _historyCursor == Window - 1 ? 0 : _historyCursor + 1;
            if (m < 1f) allOnes = false;

            float smoothed = _historySum / Window;
            // The moving average already keeps under the threshold, except right after a frame boundary
            // where the previous frame could not see this peak coming; the exact bound covers that.
            float exact = needed[i];
            float target = smoothed < exact ? smoothed : exact;
            float rise = g + ReleaseStep;
            g = target < rise ? target : rise;
            output[i] = ToShort(input[i] * g);
        }

        _gain = g > 0.99999f ? 1f : g;
        _historyAllOnes = allOnes;
        // Guard the running sum against float drift.
        if (allOnes) _historySum = Window;
    }

    private static short ToShort(float x)
    {
        // The gain keeps |x| under the threshold; the clamp only guards against NaN and rounding.
        float r = MathF.Round(x);
        if (r >= 32767f) return short.MaxValue;
        if (r <= -32768f) return short.MinValue;
        if (float.IsNaN(r)) return 0;
        return (short)r;
    }
}

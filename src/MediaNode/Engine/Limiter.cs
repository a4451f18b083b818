namespace OpenChat.MediaNode.Engine;

/// <summary>
/// Turns a float mixing bus into 16-bit samples without clipping or wrap-around: the gain drops smoothly
/// ahead of peaks within the frame and recovers slowly afterwards.
/// </summary>
public sealed class Limiter
{
    /// <summary>-1 dBFS: headroom so the encoder's own overshoot does not clip in the listener's decoder.</summary>
    public const float Threshold = 0.891f * 32767f;

    // The gain may fall by this much per sample (full range in about 1 ms) and rise by this much
    // (full range in about 100 ms): fast enough to catch peaks, slow enough not to pump audibly.
    private const float AttackStep = 1f / 48f;
    private const float ReleaseStep = 1f / 4800f;

    private readonly float[] _gains = new float[AudioFormat.FrameSamples];
    private float _gain = 1f;

    /// <summary>Current gain (1 when not limiting).</summary>
    public float Gain => _gain;

    public void Reset() => _gain = 1f;

    /// <summary>Limits <paramref name="input"/> into <paramref name="output"/> (same length, at most one frame).</summary>
    public void Process(ReadOnlySpan<float> input, Span<short> output)
    {
        if (input.Length > _gains.Length || output.Length < input.Length)
            throw new ArgumentException("at most one frame, output at least as long as input");

        float peak = 0f;
        foreach (float x in input)
        {
            float a = MathF.Abs(x);
            if (a > peak) peak = a;
        }

        // Fast path: nothing to limit and no gain to recover.
        if (_gain >= 1f && peak <= Threshold)
        {
            for (int i = 0; i < input.Length; i++) output[i] = ToShort(input[i]);
            return;
        }

        Span<float> gains = _gains.AsSpan(0, input.Length);
        for (int i = 0; i < input.Length; i++)
        {
            float a = MathF.Abs(input[i]);
            gains[i] = a > Threshold ? Threshold / a : 1f;
        }

        // Backward pass: start lowering the gain before a peak so it never has to jump down at the peak.
        for (int i = gains.Length - 2; i >= 0; i--)
        {
            float limit = gains[i + 1] + AttackStep;
            if (gains[i] > limit) gains[i] = limit;
        }

        // Forward pass: recover slowly from the previous frame's gain. Only at a frame's first samples can a
        // peak force a faster drop than AttackStep; the gain still never lets a sample exceed the threshold.
        float g = _gain;
        for (int i = 0; i < gains.Length; i++)
        {
            float rise = g + ReleaseStep;
            g = gains[i] < rise ? gains[i] : rise;
            if (g > 1f) g = 1f;
            output[i] = ToShort(input[i] * g);
        }
        _gain = g;
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

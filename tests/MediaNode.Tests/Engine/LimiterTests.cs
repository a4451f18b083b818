using OpenChat.MediaNode.Engine;
using Xunit;

namespace OpenChat.MediaNode.Tests.Engine;

public sealed class LimiterTests
{
    [Fact]
    public void Quiet_input_passes_unchanged()
    {
        var limiter = new Limiter();
        var input = new float[AudioFormat.FrameSamples];
        for (int i = 0; i < input.Length; i++) input[i] = (float)(10_000 * Math.Sin(i * 0.05));
        var output = new short[input.Length];
        limiter.Process(input, output);
        for (int i = 0; i < input.Length; i++) Assert.Equal((short)Math.Round(input[i]), output[i]);
        Assert.Equal(1f, limiter.Gain);
    }

    [Fact]
    public void Four_full_scale_talkers_never_wrap_or_hard_clip_and_the_gain_changes_smoothly()
    {
        var limiter = new Limiter();
        var input = new float[AudioFormat.FrameSamples];
        var output = new short[input.Length];
        long sample = 0;
        short previous = 0;
        double largestStep = 0;
        for (int frame = 0; frame < 100; frame++)
        {
            for (int i = 0; i < input.Length; i++, sample++)
            {
                // Four in-phase full-scale voices at 300 Hz: a bus of four times full scale.
                input[i] = frame < 50 ? 4 * 32767f * MathF.Sin(2 * MathF.PI * 300 * sample / 48_000f) : 0f;
            }
            limiter.Process(input, output);
            for (int i = 0; i < output.Length; i++)
            {
                Assert.True(Math.Abs((int)output[i]) <= Limiter.Threshold + 1, $"sample {output[i]} above the threshold");
                Assert.True(input[i] == 0 || Math.Sign(output[i]) == Math.Sign(input[i]) || output[i] == 0, "wrapped around");
                // The first frame is the attack itself; after it the gain must not jump.
                if (frame > 0) largestStep = Math.Max(largestStep, Math.Abs(output[i] - previous));
                previous = output[i];
            }
        }
        // A 300 Hz sine at the threshold moves at most ~1,100 per sample; a clip or wrap would jump far more.
        Assert.True(largestStep < 2_000, $"largest step {largestStep}");
        Assert.InRange(limiter.Gain, 0.99f, 1f);
    }

    [Fact]
    public void A_single_overload_is_reduced_without_flattening_its_shape()
    {
        var limiter = new Limiter();
        var input = new float[AudioFormat.FrameSamples];
        var output = new short[input.Length];
        for (int i = 0; i < input.Length; i++) input[i] = 60_000f * MathF.Sin(2 * MathF.PI * 200 * i / 48_000f);
        limiter.Process(input, output);
        // A hard clipper would hold about a third of the samples (over 300) at the ceiling; a limiter scales
        // the waveform so that only the crest of each of the 8 half-waves touches it.
        int atCeiling = output.Count(s => Math.Abs((int)s) >= (int)Limiter.Threshold - 1);
        Assert.True(atCeiling <= 24, $"{atCeiling} samples at the ceiling");
        Assert.True(output.Max() > 20_000);
    }
}

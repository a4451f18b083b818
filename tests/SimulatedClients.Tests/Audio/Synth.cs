namespace OpenChat.SimulatedClients.Tests.Audio;

/// <summary>Synthetic test frames.</summary>
internal static class Synth
{
    public static short[] Tone(double frequency, double amplitude, int samples = 960, double phase = 0.3) =>
        Mix(samples, (frequency, amplitude, phase));

    public static short[] Mix(int samples, params (double Frequency, double Amplitude, double Phase)[] tones)
    {
        var pcm = new short[samples];
        for (int i = 0; i < samples; i++)
        {
            double v = 0;
            foreach (var (f, a, p) in tones) v += a * 32767 * Math.Sin(2 * Math.PI * f * i / 48_000 + p);
            pcm[i] = (short)Math.Round(Math.Clamp(v, -32768, 32767));
        }
        return pcm;
    }
}

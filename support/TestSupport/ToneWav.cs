namespace OpenChat.TestSupport;

/// <summary>Writes a 16-bit mono PCM WAV with a pure tone (Chromium's fake microphone loops it).</summary>
public static class ToneWav
{
    public static void Write(string path, double frequency, int sampleRate = 48000, double seconds = 2.0, double amplitude = 0.5)
    {
        int samples = (int)(sampleRate * seconds);
        using var stream = File.Create(path);
        using var w = new BinaryWriter(stream);
        w.Write("RIFF"u8);
        w.Write(36 + samples * 2);
        w.Write("WAVE"u8);
        w.Write("fmt "u8);
        w.Write(16);
        w.Write((short)1);           // PCM
        w.Write((short)1);           // mono
        w.Write(sampleRate);
        w.Write(sampleRate * 2);     // byte rate
        w.Write((short)2);           // block align
        w.Write((short)16);          // bits per sample
        w.Write("data"u8);
        w.Write(samples * 2);
        for (int i = 0; i < samples; i++)
        {
            w.Write((short)(Math.Sin(2 * Math.PI * frequency * i / sampleRate) * amplitude * short.MaxValue));
        }
    }
}

using OpenChat.SimulatedClients.Audio;

namespace OpenChat.SimulatedClients;

/// <summary>What kind of sound a simulated microphone makes.</summary>
public enum VoiceSignalKind
{
    /// <summary>Digital silence (a member with an open but quiet microphone).</summary>
    Silence,
    /// <summary>A steady sine tone.</summary>
    Tone,
    /// <summary>A tone shaped like speech: syllables at 4 Hz inside talkspurts of 1.4 to 2.2 s, with pauses of 0.4 to 1.8 s.</summary>
    Speech,
}

/// <summary>
/// A deterministic microphone signal, a function of the frame number only, periodic so that it can be encoded
/// once and looped: tones use whole hertz, so one second always holds whole cycles.
/// </summary>
public sealed record VoiceSignal
{
    /// <summary>Loud enough to be heard clearly, quiet enough that four talkers mixed stay under the mixer's limiter.</summary>
    public const double DefaultAmplitude = 0.2;

    // Talkspurts and pauses of the speech-like signal, in frames; 400 frames = 8 s.
    private static readonly (bool Talk, int Frames)[] SpeechPattern =
        [(true, 80), (false, 30), (true, 110), (false, 20), (true, 70), (false, 90)];

    private const int SyllablesPerSecond = 4;
    private const int FadeSamples = AudioFormat.SampleRate / 200;

    private readonly bool[] _talking;
    private readonly int[] _talkRun;
    private readonly int[] _talkStart;

    private VoiceSignal(VoiceSignalKind kind, int frequencyHz, double amplitude)
    {
        if (kind != VoiceSignalKind.Silence)
        {
            if (frequencyHz is < 20 or > AudioFormat.SampleRate / 2 - 100)
                throw new ArgumentOutOfRangeException(nameof(frequencyHz), frequencyHz, "20 Hz up to just below 24 kHz");
            if (amplitude is <= 0 or > 1) throw new ArgumentOutOfRangeException(nameof(amplitude), amplitude, "above 0, at most 1");
        }
        Kind = kind;
        FrequencyHz = kind == VoiceSignalKind.Silence ? null : frequencyHz;
        Amplitude = kind == VoiceSignalKind.Silence ? 0 : amplitude;
        PeriodFrames = kind == VoiceSignalKind.Speech ? SpeechPattern.Sum(p => p.Frames) : AudioFormat.FramesPerSecond;
        _talking = new bool[PeriodFrames];
        _talkStart = new int[PeriodFrames];
        if (kind == VoiceSignalKind.Tone) Array.Fill(_talking, true);
        if (kind == VoiceSignalKind.Speech)
        {
            int frame = 0;
            foreach (var (talk, frames) in SpeechPattern)
            {
                for (int i = 0; i < frames; i++, frame++)
                {
                    _talking[frame] = talk;
                    _talkStart[frame] = frame - i;
                }
            }
        }
        _talkRun = TalkRuns(_talking);
    }

    /// <summary>An open microphone in a quiet room.</summary>
    public static VoiceSignal Silence { get; } = new(VoiceSignalKind.Silence, 0, 0);

    /// <summary>A steady tone at a whole number of hertz.</summary>
    public static VoiceSignal Tone(int frequencyHz, double amplitude = DefaultAmplitude) => new(VoiceSignalKind.Tone, frequencyHz, amplitude);

    /// <summary>A tone with syllable-rate amplitude modulation and pauses between talkspurts.</summary>
    public static VoiceSignal Speech(int frequencyHz, double amplitude = DefaultAmplitude) => new(VoiceSignalKind.Speech, frequencyHz, amplitude);

    public VoiceSignalKind Kind { get; }

    /// <summary>The tone's frequency; null for silence.</summary>
    public int? FrequencyHz { get; }

    /// <summary>Peak amplitude as a fraction of full scale.</summary>
    public double Amplitude { get; }

    /// <summary>The signal repeats every this many frames.</summary>
    public int PeriodFrames { get; }

    /// <summary>Whether frame <paramref name="frame"/> belongs to a talkspurt (always for a tone, never for silence).</summary>
    public bool IsTalking(long frame) => _talking[Index(frame)];

    /// <summary>
    /// How many consecutive frames up to and including <paramref name="frame"/> are talking
    /// (<see cref="int.MaxValue"/> for a signal that never pauses, 0 in a pause).
    /// </summary>
    public int TalkRunAt(long frame) => _talkRun[Index(frame)];

    /// <summary>Writes frame <paramref name="frame"/> (960 samples).</summary>
    public void Render(long frame, Span<short> pcm)
    {
        pcm = pcm[..AudioFormat.FrameSamples];
        int index = Index(frame);
        if (!_talking[index])
        {
            pcm.Clear();
            return;
        }
        int f = FrequencyHz!.Value;
        long first = (long)index * AudioFormat.FrameSamples;
        int spurtStart = _talkStart[index] * AudioFormat.FrameSamples;
        int spurtEnd = spurtStart;
        if (Kind == VoiceSignalKind.Speech)
        {
            int end = _talkStart[index];
            while (end < PeriodFrames && _talking[end]) end++;
            spurtEnd = end * AudioFormat.FrameSamples;
        }
        for (int i = 0; i < pcm.Length; i++)
        {
            long s = first + i;
            // s mod 48,000 keeps the phase exact: f whole hertz gives whole cycles per second.
            double value = Math.Sin(2 * Math.PI * f * (s % AudioFormat.SampleRate) / AudioFormat.SampleRate);
            double envelope = 1;
            if (Kind == VoiceSignalKind.Speech)
            {
                double t = (s - spurtStart) / (double)AudioFormat.SampleRate;
                double syllable = Math.Sin(Math.PI * SyllablesPerSecond * t);
                envelope = 0.3 + 0.7 * syllable * syllable;
                long fromEdge = Math.Min(s - spurtStart, spurtEnd - 1 - s);
                if (fromEdge < FadeSamples) envelope *= 0.5 - 0.5 * Math.Cos(Math.PI * fromEdge / FadeSamples);
            }
            pcm[i] = (short)Math.Round(Amplitude * envelope * 32767 * value);
        }
    }

    private int Index(long frame)
    {
        long i = frame % PeriodFrames;
        return (int)(i < 0 ? i + PeriodFrames : i);
    }

    private static int[] TalkRuns(bool[] talking)
    {
        var runs = new int[talking.Length];
        if (talking.All(t => t))
        {
            Array.Fill(runs, int.MaxValue);
            return runs;
        }
        // Start just after a pause so the cyclic count is right from the first step.
        int pause = Array.IndexOf(talking, false);
        int run = 0;
        for (int k = 1; k <= talking.Length; k++)
        {
            int i = (pause + k) % talking.Length;
            run = talking[i] ? run + 1 : 0;
            runs[i] = run;
        }
        return runs;
    }

    public bool Equals(VoiceSignal? other) =>
        other is not null && Kind == other.Kind && FrequencyHz == other.FrequencyHz && Amplitude.Equals(other.Amplitude);

    public override int GetHashCode() => HashCode.Combine(Kind, FrequencyHz, Amplitude);

    public override string ToString() => Kind switch
    {
        VoiceSignalKind.Silence => "silence",
        _ => $"{Kind.ToString().ToLowerInvariant()} {FrequencyHz} Hz",
    };
}

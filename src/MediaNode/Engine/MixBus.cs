namespace OpenChat.MediaNode.Engine;

/// <summary>
/// The state one distinct outbound mix carries across ticks: its limiter, its encoder and how long it has
/// been silent. Pooled per room and bound to one mix (shared, a talker's minus mix, a personal mix) while in use.
/// </summary>
/// <remarks>
/// A listener that was sent a talker's own packets hears that talker <see cref="Lookahead"/> samples earlier than an
/// encoded mix plays it: the encoder delays its input by its look-ahead, forwarded packets are not delayed. An encoder
/// taking over from forwarded packets is first <see cref="Splice">spliced</see> onto them, so that the listener's
/// timeline gains those samples as a cross-fade rather than as a gap or a repeat.
/// </remarks>
internal sealed class MixBus
{
    private const int N = AudioFormat.FrameSamples;

    private readonly int _silentFramesBeforePause;
    private int _silentFrames;

    public MixBus(EngineOptions options)
    {
        Encoder = new OpusFrameEncoder(options.Encoder, options.EncoderFactory?.Invoke());
        _silentFramesBeforePause = options.SilentFramesBeforePause;
        Lookahead = Math.Clamp(Encoder.Lookahead, 0, N / 2);
    }

    public OpusFrameEncoder Encoder { get; }

    public Limiter Limiter { get; } = new();

    /// <summary>Samples by which the encoder delays its input (Opus: 6.5 ms).</summary>
    public int Lookahead { get; }

    /// <summary>RFC 6464 level of the last frame produced.</summary>
    public byte Level { get; private set; } = AudioLevel.Silence;

    /// <summary>
    /// Limits and encodes one frame of <paramref name="mix"/>; returns whether a packet is to be sent.
    /// <paramref name="encoded"/> says whether the encoder ran (it does not while a silent mix is paused).
    /// </summary>
    public bool Produce(ReadOnlySpan<float> mix, bool hasSources, Span<short> scratch, out bool encoded)
    {
        if (hasSources)
        {
            _silentFrames = 0;
        }
        else if (_silentFramesBeforePause >= 0 && (_silentFrames > _silentFramesBeforePause || ++_silentFrames > _silentFramesBeforePause))
        {
            // Nobody to hear: skip the encoder; the listener's decoder fades out on the silence already sent.
            encoded = false;
            return false;
        }

        Limiter.Process(mix, scratch);
        Level = AudioLevel.FromPcm(scratch);
        encoded = true;
        return Encoder.Encode(scratch);
    }

    /// <summary>
    /// Resets the bus and runs its encoder over <paramref name="history"/> (whole frames, oldest first) of the talker a
    /// listener was just sent packets of, advanced by <see cref="Lookahead"/> and ending in a cross-fade into
    /// <paramref name="current"/>, the talker's frame of this tick: the encoder then holds the audio the listener
    /// heard and its next frame continues it. Returns the frames encoded (their packets are not sent).
    /// </summary>
    public int Splice(ReadOnlySpan<short> history, ReadOnlySpan<short> current, Span<short> scratch)
    {
        Reset();
        int frames = history.Length / N;
        int shift = Lookahead;
        for (int j = 0; j < frames; j++)
        {
            for (int i = 0; i < N; i++)
            {
                int at = j * N + shift + i;
                scratch[i] = at < history.Length ? history[at] : current[at - history.Length];
            }
            if (j == frames - 1)
            {
                // The encoder's delay line: the listener's timeline gains `shift` samples here, faded from the talker's
                // next samples to the ones it heard last, so that both ends join without a step.
                ReadOnlySpan<short> last = history[(j * N)..];
                for (int i = 0; i < shift; i++)
                {
                    float w = FadeIn(i, shift);
                    scratch[N - shift + i] = (short)MathF.Round((1f - w) * current[i] + w * last[N - shift + i]);
                }
            }
            Encoder.Encode(scratch[..N]);
        }
        return frames;
    }

    /// <summary>No listener takes this bus this tick: forget its audio and stay paused until a source returns.</summary>
    public void Suspend()
    {
        Reset();
        _silentFrames = Math.Max(_silentFramesBeforePause, 0) + 1;
    }

    /// <summary>Forgets all history before the bus serves another mix, so no codec state crosses streams.</summary>
    public void Reset()
    {
        Encoder.Reset();
        Limiter.Reset();
        _silentFrames = 0;
        Level = AudioLevel.Silence;
    }

    // Raised-cosine gain from 0 to 1 over `length` samples; with 1 - w it sums to one.
    private static float FadeIn(int i, int length)
    {
        float s = MathF.Sin(MathF.PI / 2 * (i + 0.5f) / length);
        return s * s;
    }
}

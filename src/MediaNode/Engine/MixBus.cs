namespace OpenChat.MediaNode.Engine;

/// <summary>
/// The state one distinct outbound mix carries across ticks: its limiter, its encoder and how long it has
/// been silent. Pooled per room and bound to one mix (shared, a talker's minus mix, a personal mix) while in use.
/// </summary>
internal sealed class MixBus
{
    private readonly int _silentFramesBeforePause;
    private int _silentFrames;

    public MixBus(EngineOptions options)
    {
        Encoder = new OpusFrameEncoder(options.Encoder, options.EncoderFactory?.Invoke());
        _silentFramesBeforePause = options.SilentFramesBeforePause;
    }

    public OpusFrameEncoder Encoder { get; }

    public Limiter Limiter { get; } = new();

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
        else if (_silentFramesBeforePause >= 0 && ++_silentFrames > _silentFramesBeforePause)
        {
            // Nobody to hear: skip the encoder; the listener's decoder fades out on the silence already sent.
            encoded = false;
            return false;
        }

        Limiter.Process(mix, scratch);
        encoded = true;
        return Encoder.Encode(scratch);
    }

    /// <summary>Forgets all history before the bus serves another mix, so no codec state crosses streams.</summary>
    public void Reset()
    {
        Encoder.Reset();
        Limiter.Reset();
        _silentFrames = 0;
    }
}

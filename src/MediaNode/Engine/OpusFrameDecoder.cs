using Concentus;

namespace OpenChat.MediaNode.Engine;

/// <summary>One inbound stream's Opus decoder (48 kHz mono, 20 ms frames), with concealment and FEC recovery.</summary>
public sealed class OpusFrameDecoder
{
    private readonly IOpusDecoder _decoder;

    public OpusFrameDecoder()
        : this(null)
    {
    }

    internal OpusFrameDecoder(IOpusDecoder? decoder) =>
        _decoder = decoder ?? OpusCodecFactory.CreateDecoder(AudioFormat.SampleRate, 1);

    /// <summary>Name of the implementation in use: Concentus's C# code or the system's libopus.</summary>
    public string Implementation => _decoder.GetType().Name;

    /// <summary>Decodes one packet into exactly one frame; returns false (and conceals) if the packet is corrupt.</summary>
    public bool Decode(ReadOnlySpan<byte> packet, Span<short> pcm) => Run(packet, pcm, fec: false);

    /// <summary>Recovers the previous, lost frame from the FEC copy inside <paramref name="nextPacket"/>.</summary>
    public bool DecodeFec(ReadOnlySpan<byte> nextPacket, Span<short> pcm) => Run(nextPacket, pcm, fec: true);

    /// <summary>Synthesises one frame for a lost packet from the decoder's history.</summary>
    public void Conceal(Span<short> pcm) => Run(ReadOnlySpan<byte>.Empty, pcm, fec: false);

    public void Reset() => _decoder.ResetState();

    private bool Run(ReadOnlySpan<byte> packet, Span<short> pcm, bool fec)
    {
        Span<short> frame = pcm[..AudioFormat.FrameSamples];
        int samples;
        try
        {
            samples = _decoder.Decode(packet, frame, AudioFormat.FrameSamples, fec);
        }
        catch (Exception) when (!packet.IsEmpty)
        {
            // A malformed packet from the network must not take the room down; conceal instead.
            samples = SafeConceal(frame);
            return false;
        }

        if (samples < AudioFormat.FrameSamples) frame[Math.Max(samples, 0)..].Clear();
        return samples > 0 || packet.IsEmpty;
    }

    private int SafeConceal(Span<short> frame)
    {
        try
        {
            return _decoder.Decode(ReadOnlySpan<byte>.Empty, frame, AudioFormat.FrameSamples, false);
        }
        catch (Exception)
        {
            frame.Clear();
            return AudioFormat.FrameSamples;
        }
    }
}

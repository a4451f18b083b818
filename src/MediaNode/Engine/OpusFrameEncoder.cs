using Concentus;
using Concentus.Enums;

namespace OpenChat.MediaNode.Engine;

/// <summary>One outbound mix's Opus encoder (48 kHz mono, 20 ms frames) with its own output buffer.</summary>
public sealed class OpusFrameEncoder
{
    private readonly IOpusEncoder _encoder;
    private readonly byte[] _output = new byte[AudioFormat.MaxOpusPacketBytes];
    private readonly bool _dtx;
    private int _length;

    public OpusFrameEncoder(EncoderSettings settings)
        : this(settings, null)
    {
    }

    internal OpusFrameEncoder(EncoderSettings settings, IOpusEncoder? encoder)
    {
        ArgumentNullException.ThrowIfNull(settings);
        settings.Validate();
        _encoder = encoder ?? OpusCodecFactory.CreateEncoder(AudioFormat.SampleRate, 1, OpusApplication.OPUS_APPLICATION_VOIP);
        _encoder.Bitrate = settings.Bitrate;
        _encoder.Complexity = settings.Complexity;
        _encoder.UseInbandFEC = settings.Fec;
        _encoder.PacketLossPercent = settings.ExpectedPacketLossPercent;
        _encoder.UseDTX = settings.Dtx;
        _encoder.SignalType = OpusSignal.OPUS_SIGNAL_VOICE;
        _encoder.MaxBandwidth = settings.MaxBandwidthHz switch
        {
            4_000 => OpusBandwidth.OPUS_BANDWIDTH_NARROWBAND,
            6_000 => OpusBandwidth.OPUS_BANDWIDTH_MEDIUMBAND,
            8_000 => OpusBandwidth.OPUS_BANDWIDTH_WIDEBAND,
            12_000 => OpusBandwidth.OPUS_BANDWIDTH_SUPERWIDEBAND,
            _ => OpusBandwidth.OPUS_BANDWIDTH_FULLBAND,
        };
        _dtx = settings.Dtx;
    }

    /// <summary>Name of the implementation in use: Concentus's C# code or the system's libopus.</summary>
    public string Implementation => _encoder.GetType().Name;

    /// <summary>Samples by which the encoder delays its input: a packet decodes to the input that far back.</summary>
    public int Lookahead => _encoder.Lookahead;

    /// <summary>The last encoded packet (valid until the next <see cref="Encode"/>).</summary>
    public ReadOnlySpan<byte> Packet => _output.AsSpan(0, _length);

    /// <summary>Encodes one frame; returns false when there is nothing to send (a DTX silence frame).</summary>
    public bool Encode(ReadOnlySpan<short> pcm)
    {
        _length = _encoder.Encode(pcm[..AudioFormat.FrameSamples], AudioFormat.FrameSamples, _output, _output.Length);
        // With DTX the encoder marks silence with packets of at most two bytes that are not to be sent.
        return _length > (_dtx ? 2 : 0);
    }

    public void Reset()
    {
        _encoder.ResetState();
        _length = 0;
    }
}

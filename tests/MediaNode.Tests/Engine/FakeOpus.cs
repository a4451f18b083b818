using Concentus;
using Concentus.Enums;

namespace OpenChat.MediaNode.Tests.Engine;

/// <summary>Codec stand-ins that do no codec work and allocate nothing, to measure the engine alone.</summary>
internal sealed class FakeOpusEncoder : IOpusEncoder
{
    public OpusApplication Application { get; set; } = OpusApplication.OPUS_APPLICATION_VOIP;
    public int Bitrate { get; set; }
    public int ForceChannels { get; set; }
    public OpusBandwidth MaxBandwidth { get; set; }
    public OpusBandwidth Bandwidth { get; set; }
    public bool UseDTX { get; set; }
    public int Complexity { get; set; }
    public bool UseInbandFEC { get; set; }
    public int PacketLossPercent { get; set; }
    public bool UseVBR { get; set; }
    public bool UseConstrainedVBR { get; set; }
    public OpusSignal SignalType { get; set; }
    public int Lookahead => 0;
    public int SampleRate => 48_000;
    public int NumChannels => 1;
    public uint FinalRange => 0;
    public int LSBDepth { get; set; } = 16;
    public OpusFramesize ExpertFrameDuration { get; set; }
    public OpusMode ForceMode { get; set; }
    public bool PredictionDisabled { get; set; }

    public int Encode(ReadOnlySpan<short> in_pcm, int frame_size, Span<byte> out_data, int max_data_bytes)
    {
        out_data[0] = 0x08;
        out_data[1] = (byte)in_pcm[0];
        out_data[2] = (byte)in_pcm[100];
        return 3;
    }

    public int Encode(ReadOnlySpan<float> in_pcm, int frame_size, Span<byte> out_data, int max_data_bytes) =>
        throw new NotSupportedException();

    public void ResetState()
    {
    }

    public string GetVersionString() => "fake";

    public void Dispose()
    {
    }
}

/// <summary>Decodes a voice-sized packet to a tone and a tiny (silence) packet to silence, without allocating.</summary>
internal sealed class FakeOpusDecoder : IOpusDecoder
{
    public OpusBandwidth Bandwidth => OpusBandwidth.OPUS_BANDWIDTH_FULLBAND;
    public uint FinalRange => 0;
    public int Gain { get; set; }
    public int LastPacketDuration => 960;
    public int NumChannels => 1;
    public int Pitch => 0;
    public int SampleRate => 48_000;

    public int Decode(ReadOnlySpan<byte> in_data, Span<float> out_pcm, int frame_size, bool decode_fec = false) =>
        throw new NotSupportedException();

    public int Decode(ReadOnlySpan<byte> in_data, Span<short> out_pcm, int frame_size, bool decode_fec = false)
    {
        bool voice = in_data.Length > 20;
        for (int i = 0; i < frame_size; i++) out_pcm[i] = voice ? (short)((i % 48) * 100) : (short)0;
        return frame_size;
    }

    public void ResetState()
    {
    }

    public string GetVersionString() => "fake";

    public void Dispose()
    {
    }
}

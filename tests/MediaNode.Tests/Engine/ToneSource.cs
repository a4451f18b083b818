using Concentus;
using Concentus.Enums;
using OpenChat.MediaNode.Engine;

namespace OpenChat.MediaNode.Tests.Engine;

/// <summary>A synthetic member's microphone: a sine tone (or silence) Opus-encoded into RTP-like packets.</summary>
internal sealed class ToneSource
{
    private readonly IOpusEncoder _encoder;
    private readonly double _frequency;
    private readonly short[] _pcm = new short[AudioFormat.FrameSamples];
    private readonly byte[] _packet = new byte[AudioFormat.MaxOpusPacketBytes];
    private long _sample;

    public ToneSource(double frequency, double amplitude, uint firstTimestamp = 1000, ushort firstSequence = 100, bool fec = false)
    {
        _frequency = frequency;
        Amplitude = amplitude;
        _encoder = OpusCodecFactory.CreateEncoder(AudioFormat.SampleRate, 1, OpusApplication.OPUS_APPLICATION_VOIP);
        _encoder.Bitrate = 32_000;
        _encoder.Complexity = 5;
        _encoder.UseInbandFEC = fec;
        _encoder.PacketLossPercent = fec ? 10 : 0;
        Timestamp = firstTimestamp;
        Sequence = firstSequence;
    }

    /// <summary>Peak amplitude of the next frames (-1..1): 0 sends encoded silence, a negative amplitude the tone inverted.</summary>
    public double Amplitude { get; set; }

    public uint Timestamp { get; private set; }

    public ushort Sequence { get; private set; }

    /// <summary>Encodes the next 20 ms; returns a copy of the packet and the RTP fields it would carry.</summary>
    public TestPacket Next()
    {
        for (int i = 0; i < _pcm.Length; i++, _sample++)
        {
            _pcm[i] = (short)Math.Round(Amplitude * 32767 * Math.Sin(2 * Math.PI * _frequency * _sample / AudioFormat.SampleRate));
        }
        int length = _encoder.Encode(_pcm, AudioFormat.FrameSamples, _packet, _packet.Length);
        var packet = new TestPacket(Sequence, Timestamp, _packet.AsSpan(0, length).ToArray(), AudioLevel.FromPcm(_pcm));
        Sequence++;
        Timestamp += AudioFormat.FrameSamples;
        return packet;
    }
}

internal sealed record TestPacket(ushort Sequence, uint Timestamp, byte[] Payload, byte Level);

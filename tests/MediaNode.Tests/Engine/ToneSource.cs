using Concentus;
using Concentus.Enums;
using OpenChat.MediaNode.Engine;

namespace OpenChat.MediaNode.Tests.Engine;

/// <summary>A synthetic member's microphone: a sine tone, a tone with harmonics, or silence, Opus-encoded into RTP-like packets.</summary>
internal sealed class ToneSource
{
    private readonly IOpusEncoder _encoder;
    private readonly double _frequency;
    private readonly int _harmonics;
    private readonly short[] _pcm = new short[AudioFormat.FrameSamples];
    private readonly byte[] _packet = new byte[AudioFormat.MaxOpusPacketBytes];
    private long _sample;

    public ToneSource(double frequency, double amplitude, uint firstTimestamp = 1000, ushort firstSequence = 100, bool fec = false, int harmonics = 1)
    {
        _frequency = frequency;
        _harmonics = harmonics;
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

    // The tone, or with harmonics a voice-like buzz: the first few harmonics at 1/h, scaled to a peak of about 1.
    private double Wave(long sample)
    {
        if (_harmonics == 1) return Math.Sin(2 * Math.PI * _frequency * sample / AudioFormat.SampleRate);
        double sum = 0;
        for (int h = 1; h <= _harmonics; h++) sum += Math.Sin(2 * Math.PI * h * _frequency * sample / AudioFormat.SampleRate) / h;
        return sum / 1.85;
    }

    /// <summary>Encodes the next 20 ms; returns a copy of the packet and the RTP fields it would carry.</summary>
    public TestPacket Next()
    {
        for (int i = 0; i < _pcm.Length; i++, _sample++)
        {
            _pcm[i] = (short)Math.Round(Amplitude * 32767 * Wave(_sample));
        }
        int length = _encoder.Encode(_pcm, AudioFormat.FrameSamples, _packet, _packet.Length);
        var packet = new TestPacket(Sequence, Timestamp, _packet.AsSpan(0, length).ToArray(), AudioLevel.FromPcm(_pcm));
        Sequence++;
        Timestamp += AudioFormat.FrameSamples;
        return packet;
    }
}

internal sealed record TestPacket(ushort Sequence, uint Timestamp, byte[] Payload, byte Level);

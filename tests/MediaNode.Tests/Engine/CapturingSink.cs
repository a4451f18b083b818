using Concentus;
using OpenChat.MediaNode.Engine;

namespace OpenChat.MediaNode.Tests.Engine;

/// <summary>Records every frame a member is sent, and decodes them like the member's browser would.</summary>
internal sealed class CapturingSink : IAudioSink
{
    public List<SentFrame> Frames { get; } = [];

    public void OnFrame(ReadOnlySpan<byte> opus, uint rtpTimestamp, ushort sequenceNumber, bool marker, byte audioLevelDbov) =>
        Frames.Add(new SentFrame(opus.ToArray(), rtpTimestamp, sequenceNumber, marker, audioLevelDbov));

    /// <summary>Decodes the stream with a fresh decoder, concealing timestamp gaps; returns 48 kHz mono samples.</summary>
    public short[] Decode()
    {
        var decoder = OpusCodecFactory.CreateDecoder(AudioFormat.SampleRate, 1);
        var output = new List<short>();
        var frame = new short[AudioFormat.FrameSamples];
        uint? expected = null;
        foreach (var f in Frames)
        {
            while (expected is { } e && e != f.Timestamp && unchecked((int)(f.Timestamp - e)) > 0)
            {
                decoder.Decode(ReadOnlySpan<byte>.Empty, frame, AudioFormat.FrameSamples, false);
                output.AddRange(frame);
                expected = e + AudioFormat.FrameSamples;
            }
            int n = decoder.Decode(f.Payload, frame, AudioFormat.FrameSamples, false);
            output.AddRange(frame.AsSpan(0, n).ToArray());
            expected = f.Timestamp + AudioFormat.FrameSamples;
        }
        return [.. output];
    }
}

internal sealed record SentFrame(byte[] Payload, uint Timestamp, ushort Sequence, bool Marker, byte Level);

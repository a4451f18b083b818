using System.Collections.Concurrent;

namespace OpenChat.SimulatedClients.Audio;

/// <summary>
/// One period of a <see cref="VoiceSignal"/> encoded to Opus once, so that a hundred simulated microphones cost a
/// packet copy per frame rather than an encode. The period is encoded twice and the second pass kept, so the
/// encoder's state at the loop point is the state a continuous signal would leave and the loop has no seam.
/// </summary>
public sealed class EncodedSignal
{
    private static readonly ConcurrentDictionary<VoiceSignal, Lazy<EncodedSignal>> Cache = new();

    private readonly byte[][] _packets;
    private readonly byte[] _levels;

    private EncodedSignal(VoiceSignal signal)
    {
        Signal = signal;
        var encoder = OpusCodecs.CreateEncoder();
        var pcm = new short[AudioFormat.FrameSamples];
        var buffer = new byte[AudioFormat.MaxOpusPacketBytes];
        _packets = new byte[signal.PeriodFrames][];
        _levels = new byte[signal.PeriodFrames];
        for (int pass = 0; pass < 2; pass++)
        {
            for (int frame = 0; frame < signal.PeriodFrames; frame++)
            {
                signal.Render(frame, pcm);
                int length = encoder.Encode(pcm, AudioFormat.FrameSamples, buffer, buffer.Length);
                if (pass == 0) continue;
                _packets[frame] = buffer.AsSpan(0, length).ToArray();
                _levels[frame] = AudioLevels.Rfc6464(pcm);
            }
        }
    }

    public VoiceSignal Signal { get; }

    /// <summary>The encoded loop for <paramref name="signal"/>, shared by every member that sends it.</summary>
    public static EncodedSignal For(VoiceSignal signal) =>
        Cache.GetOrAdd(signal, s => new Lazy<EncodedSignal>(() => new EncodedSignal(s))).Value;

    /// <summary>The Opus packet of frame <paramref name="frame"/>.</summary>
    public ReadOnlySpan<byte> Packet(long frame) => _packets[Index(frame)];

    /// <summary>The RFC 6464 level (-dBov) of frame <paramref name="frame"/>.</summary>
    public byte Level(long frame) => _levels[Index(frame)];

    private int Index(long frame)
    {
        long i = frame % _packets.Length;
        return (int)(i < 0 ? i + _packets.Length : i);
    }
}

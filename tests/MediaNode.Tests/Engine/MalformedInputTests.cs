using OpenChat.MediaNode.Engine;
using Xunit;

namespace OpenChat.MediaNode.Tests.Engine;

public sealed class MalformedInputTests
{
    // The system libopus reports a corrupt packet with an error code; Concentus's C# decoder throws. The libopus
    // case fails when libopus.so is missing rather than running the C# decoder a second time.
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Corrupt_payloads_and_odd_timestamps_are_concealed_without_breaking_the_room(bool managedDecoder)
    {
        using var sim = new Simulation(new EngineOptions
        {
            RandomSeed = 7,
            DecoderFactory = managedDecoder ? ManagedDecoder : LibOpus.Decoder,
        });
        sim.Join(1);
        var listener = sim.Join(2);
        var random = new Random(6716);
        uint timestamp = 1000;
        for (int k = 0; k < 200; k++)
        {
            // Random bytes behind every kind of TOC (CELT, SILK, hybrid; one to many frames, 2.5 to 60 ms),
            // from a sender whose timestamps drift off the frame grid and now and then leap by up to half the 32-bit range.
            var payload = new byte[k % 50 == 0 ? AudioFormat.MaxOpusPacketBytes : random.Next(1, 200)];
            random.NextBytes(payload);
            timestamp += (uint)(AudioFormat.FrameSamples + random.Next(-300, 300));
            if (k % 40 == 39) timestamp += (uint)random.Next();
            var packet = new TestPacket((ushort)random.Next(0x10000), timestamp, payload, 20);
            sim.Send(1, packet, withLevel: true, delayMs: random.Next(0, 60));
            if (k % 30 == 0) sim.Room.OnPacket(new MemberId(1), 0, timestamp, new byte[AudioFormat.MaxOpusPacketBytes + 1], 20, sim.NowTicks);
            sim.Step();
        }

        var counters = sim.Engine.Counters;
        Assert.Equal(0, counters.RoomErrors);
        Assert.Equal(200, counters.Ticks);
        Assert.True(counters.PacketsInvalid >= 7, $"{counters.PacketsInvalid} oversized packets refused");
        Assert.True(counters.Decodes > 50 && counters.Concealed > 50, $"{counters.Decodes} decodes, {counters.Concealed} concealed");
        Assert.True(listener.Frames.Count > 50, $"{listener.Frames.Count} frames sent to the listener");
    }

    // Obsolete only in favour of the factory, which prefers libopus whenever it loads.
#pragma warning disable CS0618
    private static Concentus.IOpusDecoder ManagedDecoder() => new Concentus.Structs.OpusDecoder(AudioFormat.SampleRate, 1);
#pragma warning restore CS0618
}

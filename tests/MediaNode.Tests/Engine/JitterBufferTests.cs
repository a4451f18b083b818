using OpenChat.MediaNode.Engine;
using Xunit;
using Xunit.Abstractions;

namespace OpenChat.MediaNode.Tests.Engine;

public sealed class JitterBufferTests(ITestOutputHelper output)
{
    private static readonly byte[] Payload = [0x78, 0x01, 0x02];

    private static long Ms(double ms) => Simulation.Ticks(1_000_000 + ms);

    [Fact]
    public void Target_delay_rises_with_jitter_and_falls_back_when_it_stops()
    {
        var buffer = new JitterBuffer(16, 20, 100, 5);
        var random = new Random(1);
        var payload = new byte[AudioFormat.MaxOpusPacketBytes];
        var arrivals = new PriorityQueue<(uint Ts, long Arrival), long>();
        int late = 0, played = 0, missing = 0;
        for (int k = 0; k < 1500; k++)
        {
            double jitter = k < 500 ? random.NextDouble() * 80 - 40 : random.NextDouble() * 2;
            long arrival = Ms(k * 20 + 50 + jitter);
            arrivals.Enqueue(((uint)(k * 960), arrival), arrival);
            long now = Ms(k * 20);
            while (arrivals.TryPeek(out var p, out _) && p.Arrival <= now)
            {
                arrivals.Dequeue();
                if (buffer.Insert(p.Ts, Payload, null, p.Arrival) == JitterInsertResult.Late) late++;
            }
            var frame = buffer.Pull(now, payload);
            if (frame.Kind == JitterFrameKind.Packet) played++;
            if (frame.Kind == JitterFrameKind.Missing) missing++;
            if (k % 100 == 99) output.WriteLine($"k={k} target={buffer.TargetDelayMs} late={late} missing={missing} dropped={buffer.FramesDropped} inserted={buffer.FramesInserted}");
            if (k == 499)
            {
                Assert.InRange(buffer.TargetDelayMs, 80, 100);
                Assert.True(late <= 10, $"{late} of 500 packets late under 80 ms peak-to-peak jitter");
            }
        }

        Assert.Equal(20, buffer.TargetDelayMs);
        Assert.True(played >= 1480, $"played {played} of 1500");
    }

    [Fact]
    public void Reorders_packets_and_drops_duplicates_and_late_arrivals()
    {
        var buffer = new JitterBuffer(16, 20, 100, 5);
        var payload = new byte[AudioFormat.MaxOpusPacketBytes];
        // (frame, arrival ms): 2 overtakes 1, 4 overtakes 3, 2 arrives twice, 5 arrives after its turn.
        var arrivals = new Queue<(int Frame, double At)>([(0, 0), (2, 41), (1, 42), (2, 43), (4, 81), (3, 82), (6, 121), (7, 141), (5, 230)]);
        var played = new List<int>();
        var results = new List<JitterInsertResult>();
        for (int tick = 0; tick < 14; tick++)
        {
            double now = tick * 20 + 10;
            while (arrivals.TryPeek(out var a) && a.At <= now)
            {
                arrivals.Dequeue();
                results.Add(buffer.Insert((uint)(a.Frame * 960), [(byte)a.Frame, 1], null, Ms(a.At)));
            }
            if (buffer.Pull(Ms(now), payload).Kind == JitterFrameKind.Packet) played.Add(payload[0]);
        }

        Assert.Equal([0, 1, 2, 3, 4, 6, 7], played);
        Assert.Equal(JitterInsertResult.Duplicate, results[3]);
        Assert.Equal(JitterInsertResult.Late, results[^1]);
    }

    [Fact]
    public void A_lost_frame_is_reported_missing_then_playback_continues()
    {
        var buffer = new JitterBuffer(16, 20, 100, 5);
        var payload = new byte[AudioFormat.MaxOpusPacketBytes];
        var kinds = new List<JitterFrameKind>();
        for (int k = 0; k < 10; k++)
        {
            if (k != 4) buffer.Insert((uint)(k * 960), [(byte)k, 0], null, Ms(k * 20));
            kinds.Add(buffer.Pull(Ms(k * 20 + 1), payload).Kind);
        }
        Assert.Equal(JitterFrameKind.None, kinds[0]);
        Assert.Single(kinds, JitterFrameKind.Missing);
        Assert.Equal(8, kinds.Count(k => k == JitterFrameKind.Packet));
    }

    [Fact]
    public void Memory_is_bounded_a_packet_far_ahead_restarts_the_buffer()
    {
        var buffer = new JitterBuffer(16, 20, 100, 5);
        for (int k = 0; k < 10; k++) buffer.Insert((uint)(k * 960), Payload, null, Ms(k * 20));
        Assert.Equal(10, buffer.Count);
        Assert.Equal(JitterInsertResult.Restarted, buffer.Insert(1000 * 960, Payload, null, Ms(220)));
        Assert.Equal(1, buffer.Count);
        Assert.Equal(JitterInsertResult.Invalid, buffer.Insert(1001 * 960, new byte[AudioFormat.MaxOpusPacketBytes + 1], null, Ms(240)));
    }

    [Fact]
    public void Timestamps_wrapping_around_32_bits_play_in_order()
    {
        var buffer = new JitterBuffer(16, 20, 100, 5);
        var payload = new byte[AudioFormat.MaxOpusPacketBytes];
        uint start = uint.MaxValue - 2 * 960 + 1;
        var played = new List<int>();
        for (int k = 0; k < 6; k++)
        {
            buffer.Insert(unchecked(start + (uint)(k * 960)), [(byte)k, 0], null, Ms(k * 20));
            if (buffer.Pull(Ms(k * 20 + 1), payload).Kind == JitterFrameKind.Packet) played.Add(payload[0]);
        }
        Assert.Equal([0, 1, 2, 3, 4], played);
    }

    [Fact]
    public void A_packet_larger_than_a_slot_widens_the_slots_and_every_packet_plays_intact()
    {
        var buffer = new JitterBuffer(16, 20, 100, 5);
        Assert.Equal(JitterBuffer.InitialSlotBytes, buffer.SlotBytes);
        // Frames 0-4 arrive on time and all before the first is played: the fourth is of the largest size and comes
        // while the smaller ones are held.
        var sent = new byte[5][];
        for (int k = 0; k < 5; k++)
        {
            int length = k == 3 ? AudioFormat.MaxOpusPacketBytes : JitterBuffer.InitialSlotBytes - k;
            sent[k] = new byte[length];
            for (int i = 0; i < length; i++) sent[k][i] = (byte)(k * 31 + i * 7);
            sent[k][0] = 0x78; // a CELT-only TOC byte: no FEC in it
            Assert.Equal(JitterInsertResult.Accepted, buffer.Insert((uint)(k * 960), sent[k], null, Ms(k * 20)));
        }
        Assert.Equal(AudioFormat.MaxOpusPacketBytes, buffer.SlotBytes);

        var payload = new byte[AudioFormat.MaxOpusPacketBytes];
        var played = new List<byte[]>();
        for (int tick = 0; tick < 20 && played.Count < 5; tick++)
        {
            // Each frame is due 20 ms (the minimum delay) after its arrival.
            var frame = buffer.Pull(Ms(tick * 20 + 25), payload);
            if (frame.Kind == JitterFrameKind.Packet) played.Add(payload.AsSpan(0, frame.Length).ToArray());
        }
        Assert.Equal(sent, played);
    }
}

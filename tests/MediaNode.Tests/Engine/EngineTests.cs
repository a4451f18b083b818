using OpenChat.MediaNode.Engine;
using Xunit;

namespace OpenChat.MediaNode.Tests.Engine;

public sealed class EngineTests
{
    [Fact]
    public void Rooms_mixed_by_several_workers_produce_the_same_streams_as_one_thread()
    {
        var single = RunRooms(workers: 1);
        var parallel = RunRooms(workers: 2);
        Assert.Equal(single.Count, parallel.Count);
        for (int i = 0; i < single.Count; i++) Assert.Equal(single[i], parallel[i]);
    }

    [Fact]
    public void A_talker_who_leaves_is_dropped_and_its_encoder_returns_to_the_pool()
    {
        // Mixing only: forwarded, neither talker would have an encoder of its own.
        using var sim = new Simulation(new EngineOptions { RandomSeed = 7, ForwardSingleTalker = false });
        var c = sim.Join(3);
        sim.Join(1);
        sim.Join(2);
        var a = new ToneSource(440, 0.2);
        var b = new ToneSource(660, 0.2);
        for (int k = 0; k < 40; k++)
        {
            sim.Send(1, a.Next(), withLevel: true);
            sim.Send(2, b.Next(), withLevel: true);
            sim.Step();
        }
        Assert.Equal(3, sim.Room.EncodersInUse);

        Assert.True(sim.Room.RemoveMember(new MemberId(2)));
        int before = c.Frames.Count;
        for (int k = 0; k < 40; k++)
        {
            sim.Send(1, a.Next(), withLevel: true);
            sim.Send(2, b.Next(), withLevel: true);
            sim.Step();
        }

        Assert.Equal([new MemberId(1)], sim.Room.CurrentTalkers());
        Assert.Equal(2, sim.Room.EncodersInUse);
        Assert.Equal(before + 40, c.Frames.Count);
        Assert.True(sim.Engine.Counters.PacketsUnknownMember >= 40);
        Assert.False(sim.Room.RemoveMember(new MemberId(2)));
    }

    [Fact]
    public void Removing_a_room_stops_its_ticks()
    {
        using var engine = new MixerEngine();
        var room = engine.CreateRoom(new RoomId("a"));
        var sink = new CapturingSink();
        room.AddMember(new MemberId(1), sink);
        engine.Tick(Simulation.Ticks(1_000_000));
        Assert.Single(sink.Frames);
        Assert.True(engine.RemoveRoom(new RoomId("a")));
        engine.Tick(Simulation.Ticks(1_000_020));
        Assert.Single(sink.Frames);
        Assert.Equal(0, engine.RoomCount);
    }

    private static List<(int Room, ushort Sequence, uint Timestamp, string Payload)> RunRooms(int workers)
    {
        var frames = new List<(int, ushort, uint, string)>();
        using var engine = new MixerEngine(new EngineOptions { RandomSeed = 11, Workers = workers });
        var sinks = new List<(int Room, CapturingSink Sink)>();
        var rooms = new MixerRoom[4];
        for (int r = 0; r < rooms.Length; r++)
        {
            rooms[r] = engine.CreateRoom(new RoomId($"room-{r}"));
            for (int m = 0; m < 3; m++)
            {
                var sink = new CapturingSink();
                rooms[r].AddMember(new MemberId(m), sink);
                sinks.Add((r, sink));
            }
        }

        var tone = new ToneSource(440, 0.2);
        var packets = Enumerable.Range(0, 30).Select(_ => tone.Next()).ToArray();
        for (int k = 0; k < 30; k++)
        {
            long now = Simulation.Ticks(1_000_000 + k * 20);
            foreach (var room in rooms) room.OnPacket(new MemberId(0), packets[k].Sequence, packets[k].Timestamp, packets[k].Payload, packets[k].Level, now);
            engine.Tick(now);
        }

        foreach (var (room, sink) in sinks)
        {
            foreach (var f in sink.Frames) frames.Add((room, f.Sequence, f.Timestamp, Convert.ToHexString(f.Payload)));
        }
        Assert.True(frames.Count > 200, $"{frames.Count} frames");
        return frames;
    }
}

using OpenChat.MediaNode.Engine;
using Xunit;

namespace OpenChat.MediaNode.Tests.Engine;

public sealed class SpeakingTests(Xunit.Abstractions.ITestOutputHelper output)
{
    [Fact]
    public void The_detector_switches_on_and_off_with_hysteresis()
    {
        var detector = new SpeakingDetector(onDbov: 45, onFrames: 2, offDbov: 55, offFrames: 3);
        Assert.False(detector.Update(30));
        Assert.True(detector.Update(30));
        Assert.True(detector.IsSpeaking);
        // Between the thresholds, or a short dip: still speaking.
        foreach (byte? level in new byte?[] { 50, 50, 70, 70, 40, null, null, 52 }) Assert.False(detector.Update(level));
        Assert.True(detector.IsSpeaking);
        Assert.False(detector.Update(90));
        Assert.False(detector.Update(90));
        Assert.True(detector.Update(null));
        Assert.False(detector.IsSpeaking);
        // A single loud frame is not speech.
        Assert.False(detector.Update(20));
        Assert.False(detector.Update(80));
        Assert.False(detector.IsSpeaking);
    }

    [Fact]
    public void Speaking_events_are_reported_at_most_5_per_second_per_room()
    {
        var listener = new RecordingListener();
        using var sim = new Simulation();
        sim.Room.SetSpeakingListener(listener);
        listener.Clock = () => sim.TickCount;
        // Speaking is judged from the levels; members can share one pre-encoded stream of packets.
        var tone = new ToneSource(300, 0.3);
        var quiet = new ToneSource(0, 0);
        var loudPackets = Enumerable.Range(0, 500).Select(_ => tone.Next()).ToArray();
        var quietPackets = Enumerable.Range(0, 500).Select(_ => quiet.Next()).ToArray();
        for (int i = 0; i < 10; i++) sim.Join(i);

        // Ten members each talk in bursts, far more changes than 5 a second.
        const int frames = 500; // 6 s of bursts, then 4 s of quiet
        for (int k = 0; k < frames; k++)
        {
            for (int i = 0; i < 10; i++)
            {
                bool talking = k < 300 && (k / 20 + i) % 3 == 0;
                sim.Send(i, talking ? loudPackets[k] : quietPackets[k], withLevel: true);
            }
            sim.Step();
        }

        output.WriteLine($"encodes {sim.Engine.Counters.Encodes} decodes {sim.Engine.Counters.Decodes} ticks {sim.Engine.Counters.Ticks} mean {sim.Engine.Counters.TickDuration.Mean.TotalMilliseconds} ms");
        Assert.True(listener.Events.Count >= 10, $"{listener.Events.Count} events");
        for (int i = 0; i + 5 < listener.Events.Count; i++)
        {
            Assert.True(listener.Events[i + 5].Tick - listener.Events[i].Tick >= 50, "six events within one second");
        }
        // Once the room is quiet long enough, the reported state catches up: nobody is speaking.
        Assert.All(sim.Room.Members(), m => Assert.False(m.IsSpeaking));
        Assert.Equal(listener.Events.Count, sim.Engine.Counters.SpeakingEvents);
    }

    [Fact]
    public void A_muted_speaker_stops_speaking()
    {
        var listener = new RecordingListener();
        using var sim = new Simulation();
        sim.Room.SetSpeakingListener(listener);
        sim.Join(1);
        var tone = new ToneSource(300, 0.3);
        for (int k = 0; k < 20; k++)
        {
            sim.Send(1, tone.Next(), withLevel: true);
            sim.Step();
        }
        Assert.True(sim.Room.Members()[0].IsSpeaking);
        sim.Room.SetMuted(new MemberId(1), true);
        sim.Step();
        Assert.False(sim.Room.Members()[0].IsSpeaking);
        Assert.Equal([true, false], listener.Events.Select(e => e.Speaking));
    }

    private sealed class RecordingListener : ISpeakingListener
    {
        public Func<int> Clock { get; set; } = () => 0;

        public List<(int Tick, MemberId Member, bool Speaking)> Events { get; } = [];

        public void OnSpeakingChanged(RoomId room, MemberId member, bool speaking) => Events.Add((Clock(), member, speaking));
    }
}

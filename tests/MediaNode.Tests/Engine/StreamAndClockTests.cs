using System.Diagnostics.Metrics;
using System.Diagnostics;
using OpenChat.MediaNode.Engine;
using Xunit;

namespace OpenChat.MediaNode.Tests.Engine;

public sealed class StreamAndClockTests
{
    [Fact]
    public void A_stream_keeps_continuous_sequence_numbers_and_timestamps_when_its_mix_source_changes()
    {
        using var sim = new Simulation();
        var toA = sim.Join(1);
        sim.Join(2);
        var a = new ToneSource(440, 0.2);
        var b = new ToneSource(660, 0.2);
        var silenceA = new ToneSource(0, 0);
        var sources = new List<bool>();
        for (int k = 0; k < 200; k++)
        {
            // A talks (minus mix), stops for 2 s (shared mix), talks again; B talks throughout.
            bool aTalks = k < 50 || k >= 150;
            sim.Send(1, aTalks ? a.Next() : silenceA.Next(), withLevel: true);
            sim.Send(2, b.Next(), withLevel: true);
            sim.Step();
            sources.Add(sim.Room.Members()[0].IsTalker);
        }

        Assert.Contains(true, sources);
        Assert.Contains(false, sources);
        Assert.True(sources.Zip(sources.Skip(1)).Count(p => p.Item1 != p.Item2) >= 2, "A switched mix source at least twice");
        var frames = toA.Frames;
        Assert.True(frames.Count >= 195);
        Assert.True(frames[0].Marker);
        for (int i = 1; i < frames.Count; i++)
        {
            Assert.Equal(unchecked((ushort)(frames[i - 1].Sequence + 1)), frames[i].Sequence);
            Assert.Equal(unchecked(frames[i - 1].Timestamp + 960), frames[i].Timestamp);
            Assert.False(frames[i].Marker);
        }
    }

    [Fact]
    public void An_idle_room_stops_encoding_and_resumes_with_a_marker()
    {
        using var sim = new Simulation();
        var listener = sim.Join(1);
        sim.Join(2);
        for (int k = 0; k < 30; k++) sim.Step();
        Assert.Equal(0, sim.Engine.Counters.EncodesLastTick);
        Assert.Equal(0, sim.Room.LastTick.Decodes);
        int sentWhileIdle = listener.Frames.Count;
        Assert.True(sentWhileIdle <= new EngineOptions().SilentFramesBeforePause + 1, $"{sentWhileIdle} frames of silence sent");

        var tone = new ToneSource(440, 0.2);
        for (int k = 0; k < 10; k++)
        {
            sim.Send(2, tone.Next(), withLevel: true);
            sim.Step();
        }
        var resumed = listener.Frames[sentWhileIdle];
        Assert.True(resumed.Marker);
        Assert.Equal(unchecked((ushort)(listener.Frames[sentWhileIdle - 1].Sequence + 1)), resumed.Sequence);
        // The timestamp kept running while nothing was sent.
        Assert.True(unchecked(resumed.Timestamp - listener.Frames[sentWhileIdle - 1].Timestamp) > 960);
    }

    [Fact]
    public void Late_ticks_are_counted_and_their_lateness_measured()
    {
        using var engine = new MixerEngine(new EngineOptions { LateTickThreshold = TimeSpan.FromMilliseconds(5) });
        engine.CreateRoom(new RoomId("r")).AddMember(new MemberId(1));
        long ms = Stopwatch.Frequency / 1000;
        long scheduled = 1_000_000 * ms;
        foreach (int lateMs in new[] { 0, 2, 8, 30, 1 })
        {
            engine.Tick(scheduled + lateMs * ms, scheduled);
            scheduled += 20 * ms;
        }
        Assert.Equal(5, engine.Counters.Ticks);
        Assert.Equal(2, engine.Counters.LateTicks);
        Assert.InRange(engine.Counters.Lateness.Max.TotalMilliseconds, 29.9, 30.1);
        Assert.InRange(engine.Counters.Lateness.Mean.TotalMilliseconds, 18.9, 19.1);
        Assert.Equal(5, engine.Counters.TickDuration.Count);
    }

    // Concentus's C# codec allocates inside every call, so it is not covered here; the engine is measured with
    // allocation-free stand-ins, and with the system libopus, which a media node uses in production and which
    // allocates nothing either (the libopus case fails when libopus.so is missing).
    [Theory]
    [InlineData("stand-ins", false)]
    [InlineData("stand-ins", true)]
    [InlineData("libopus", false)]
    [InlineData("libopus", true)]
    [InlineData("libopus, metrics collected", true)]
    public void Steady_state_ticks_and_packet_arrivals_do_not_allocate(string codec, bool forward)
    {
        // With a listener on the media meter (as OpenTelemetry is on a node exporting metrics), every tick records its
        // duration through System.Diagnostics.Metrics; that path must not allocate either.
        long ticksMeasured = 0;
        using var listener = new MeterListener();
        if (codec.EndsWith("metrics collected", StringComparison.Ordinal))
        {
            listener.InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Name == MediaMetrics.MeterName) l.EnableMeasurementEvents(instrument);
            };
            listener.SetMeasurementEventCallback<double>((_, _, _, _) => Interlocked.Increment(ref ticksMeasured));
            listener.Start();
        }
        using var engine = AllocationTestEngine(codec, forward);
        var sink = new CountingSink();
        long allocated = TenMemberRoomAllocations(engine, sink, ticks: 200, measureFrom: 100, secondTalker: _ => 0.2);

        // Two talkers: mixed, the shared mix and each talker's minus mix; forwarded, each talker is sent the other's packets.
        Assert.Equal(forward ? 1 : 3, engine.Counters.EncodesLastTick);
        Assert.Equal(forward, engine.Counters.Forwards > 0);
        Assert.True(sink.Frames > 0);
        Assert.Equal(0, allocated);
        if (codec.EndsWith("metrics collected", StringComparison.Ordinal)) Assert.True(Interlocked.Read(ref ticksMeasured) >= 200, $"{ticksMeasured} tick durations measured");
    }

    // One talker throughout, a second one joining and leaving every 80 ticks: each listener switches from forwarded
    // packets to the shared mix (its encoder spliced onto the talker's audio) and back, and no switch allocates.
    [Theory]
    [InlineData("stand-ins")]
    [InlineData("libopus")]
    public void Switching_between_forwarded_packets_and_mixes_does_not_allocate(string codec)
    {
        using var engine = AllocationTestEngine(codec, forward: true);
        int splices = 0, forwardedTicks = 0;
        long allocated = TenMemberRoomAllocations(engine, new CountingSink(), ticks: 400, measureFrom: 160, secondTalker: k => k % 80 < 30 ? 0.2 : 0,
            measured: tick =>
            {
                if (tick.Encodes > MixerRoom.SharedEncoderMemoryFrames) splices++;
                if (tick.Encodes == 0 && tick.Forwards == 9) forwardedTicks++;
            });

        Assert.True(splices >= 2, $"{splices} switches to the mix measured");
        Assert.True(forwardedTicks >= 40, $"{forwardedTicks} ticks with one talker forwarded to all nine others");
        Assert.Equal(0, allocated);
    }

    private static MixerEngine AllocationTestEngine(string codec, bool forward) => new(new EngineOptions
    {
        RandomSeed = 3,
        ForwardSingleTalker = forward,
        EncoderFactory = codec.StartsWith("libopus", StringComparison.Ordinal) ? LibOpus.Encoder : () => new FakeOpusEncoder(),
        DecoderFactory = codec.StartsWith("libopus", StringComparison.Ordinal) ? LibOpus.Decoder : () => new FakeOpusDecoder(),
    });

    // A room of ten on `engine`: member 0 talks, member 1 at the amplitude `secondTalker` gives for each tick, the rest send
    // silence, every packet 5 ms before its tick. Returns what the ticks from `measureFrom` on (packet arrivals included)
    // allocated on this thread, and hands each of them to `measured`.
    private static long TenMemberRoomAllocations(MixerEngine engine, CountingSink sink, int ticks, int measureFrom,
        Func<int, double> secondTalker, Action<RoomTickStats>? measured = null)
    {
        var room = engine.CreateRoom(new RoomId("r"));
        var sources = new ToneSource[10];
        for (int i = 0; i < 10; i++)
        {
            room.AddMember(new MemberId(i), sink);
            sources[i] = i < 2 ? new ToneSource(300 + 200 * i, 0.2) : new ToneSource(0, 0);
        }
        var packets = Enumerable.Range(0, ticks).Select(k =>
        {
            sources[1].Amplitude = secondTalker(k);
            return sources.Select(s => s.Next()).ToArray();
        }).ToArray();
        long ms = Stopwatch.Frequency / 1000;

        long allocated = 0;
        for (int k = 0; k < ticks; k++)
        {
            long now = (1_000_000 + k * 20L) * ms;
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < 10; i++)
            {
                var p = packets[k][i];
                room.OnPacket(new MemberId(i), p.Sequence, p.Timestamp, p.Payload, p.Level, now - 5 * ms);
            }
            engine.Tick(now);
            if (k < measureFrom) continue;
            allocated += GC.GetAllocatedBytesForCurrentThread() - before;
            measured?.Invoke(room.LastTick);
        }
        return allocated;
    }

    private sealed class CountingSink : IAudioSink
    {
        public long Frames { get; private set; }

        public void OnFrame(ReadOnlySpan<byte> opus, uint rtpTimestamp, ushort sequenceNumber, bool marker, byte audioLevelDbov) => Frames++;
    }
}

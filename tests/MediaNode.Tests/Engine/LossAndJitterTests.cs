using OpenChat.TestSupport;
using OpenChat.MediaNode.Engine;
using Xunit;
using Xunit.Abstractions;

namespace OpenChat.MediaNode.Tests.Engine;

public sealed class LossAndJitterTests(ITestOutputHelper output)
{
    private const long A = 1, B = 2, C = 3;
    private const int Frames = 300;
    private const int WarmUpFrames = 50;

    // Mixed, every stream is gapless. Forwarded (each of the two talkers hears the other's packets), a frame the other
    // talker's packet did not bring is left to the listener's decoder: its stream skips that timestamp, without a
    // sequence gap and without starting a new talkspurt; the shared mix C hears stays gapless.
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Five_percent_loss_and_40ms_jitter_leave_no_gaps_and_keep_the_dominant_frequencies(bool forward)
    {
        using var sim = new Simulation(new EngineOptions { RandomSeed = 7, ForwardSingleTalker = forward });
        var sinks = new Dictionary<long, CapturingSink> { [A] = sim.Join(A), [B] = sim.Join(B), [C] = sim.Join(C) };
        var sources = new Dictionary<long, ToneSource>
        {
            [A] = new(440, 0.2, fec: true),
            [B] = new(660, 0.2, fec: true),
            [C] = new(0, 0, fec: true),
        };
        var random = new Random(20261125);
        int lost = 0;

        for (int k = 0; k < Frames; k++)
        {
            foreach (var (id, source) in sources)
            {
                var packet = source.Next();
                if (random.NextDouble() < 0.05)
                {
                    lost++;
                    continue;
                }
                // 50 ms base delay, uniformly ±40 ms of jitter, so packets often arrive out of order.
                sim.Send(id, packet, withLevel: id != C, delayMs: 50 + (random.NextDouble() * 80 - 40));
            }
            sim.Step();
        }

        var counters = sim.Engine.Counters;
        output.WriteLine($"lost {lost}, late {counters.PacketsLate}, concealed {counters.Concealed}, fec {counters.FecRecovered}, " +
                         $"jitter delay {sim.Room.Members()[0].JitterDelayMs} ms");

        if (forward)
        {
            AssertNoGaps(sinks[C], "member C");
            foreach (long id in new[] { A, B }) AssertOnlyLossGaps(sinks[id], $"member {id}", lost);
            Assert.True(counters.Forwards > 0, "the talkers' packets were forwarded");
        }
        else
        {
            foreach (var (id, sink) in sinks) AssertNoGaps(sink, $"member {id}");
        }

        var a = Analyse(sinks[A]);
        var b = Analyse(sinks[B]);
        var c = Analyse(sinks[C]);
        output.WriteLine($"A hears 440 {a.Hz440:F1} / 660 {a.Hz660:F1} dB; B {b.Hz440:F1} / {b.Hz660:F1}; C {c.Hz440:F1} / {c.Hz660:F1}");
        Assert.True(a.Hz660 - a.Hz440 >= 30, "A hears B's 660 Hz, not its own 440 Hz");
        Assert.True(b.Hz440 - b.Hz660 >= 30, "B hears A's 440 Hz, not its own 660 Hz");
        Assert.True(Math.Abs(c.Hz440 - c.Hz660) <= 6, "C hears both");
        Assert.True(Math.Min(c.Hz440, c.Hz660) - c.Hz550 >= 30, "and nothing in between");

        Assert.True(counters.Concealed + counters.FecRecovered > 0, "losses were concealed or recovered");
        Assert.True(counters.FecRecovered > 0, "some losses were recovered from FEC");
        Assert.True(sim.Room.Members()[0].JitterDelayMs >= 60, "the delay grew to absorb the jitter");
    }

    [Fact]
    public void A_member_who_stops_sending_leaves_the_mix_without_disturbing_the_others()
    {
        const int stopAt = 100;
        using var sim = new Simulation();
        var sinks = new Dictionary<long, CapturingSink> { [A] = sim.Join(A), [B] = sim.Join(B), [C] = sim.Join(C) };
        var a = new ToneSource(440, 0.2);
        var b = new ToneSource(660, 0.2);
        var c = new ToneSource(0, 0);

        int talkersAtStop = 0;
        for (int k = 0; k < Frames; k++)
        {
            sim.Send(A, a.Next(), withLevel: true, delayMs: 10);
            if (k < stopAt) sim.Send(B, b.Next(), withLevel: true, delayMs: 10);
            sim.Send(C, c.Next(), withLevel: true, delayMs: 10);
            sim.Step();
            if (k == stopAt - 1) talkersAtStop = sim.Room.CurrentTalkers().Length;
        }

        Assert.Equal(2, talkersAtStop);
        Assert.Equal([new MemberId(A)], sim.Room.CurrentTalkers());
        Assert.True(sim.Engine.Counters.Concealed <= new EngineOptions().MaxConcealedFrames, $"concealed {sim.Engine.Counters.Concealed}");

        // C hears A throughout, with no gap, and B's tone is gone once B's buffer has drained.
        AssertNoGaps(sinks[C], "C");
        short[] heardByC = sinks[C].Decode();
        var afterStop = heardByC.AsSpan((stopAt + 20) * AudioFormat.FrameSamples);
        double c440 = Tone.PowerDb(afterStop, 440), c660 = Tone.PowerDb(afterStop, 660);
        output.WriteLine($"after B stopped, C hears 440 {c440:F1} dB, 660 {c660:F1} dB");
        Assert.True(c440 - c660 >= 30);
        var beforeStop = heardByC.AsSpan(WarmUpFrames * AudioFormat.FrameSamples, (stopAt - WarmUpFrames) * AudioFormat.FrameSamples);
        Assert.True(Math.Abs(Tone.PowerDb(beforeStop, 440) - c440) <= 1, "A's level did not change when B left");

        // A heard B until B stopped; its stream stayed continuous in sequence numbers.
        var toA = sinks[A].Frames;
        for (int i = 1; i < toA.Count; i++) Assert.Equal((ushort)(toA[i - 1].Sequence + 1), toA[i].Sequence);
    }

    private static void AssertNoGaps(CapturingSink sink, string who)
    {
        var frames = sink.Frames;
        Assert.True(frames.Count > 0, $"{who} received nothing");
        for (int i = 1; i < frames.Count; i++)
        {
            Assert.True((ushort)(frames[i - 1].Sequence + 1) == frames[i].Sequence, $"{who}: sequence gap at frame {i}");
            Assert.True(frames[i - 1].Timestamp + AudioFormat.FrameSamples == frames[i].Timestamp, $"{who}: timestamp gap at frame {i}");
            Assert.False(frames[i].Marker, $"{who}: marker (talkspurt restart) at frame {i}");
        }
        Assert.True(frames.Count >= Frames - 10, $"{who} received only {frames.Count} of {Frames} frames");
    }

    private static void AssertOnlyLossGaps(CapturingSink sink, string who, int lost)
    {
        var frames = sink.Frames;
        Assert.True(frames.Count >= Frames - 10 - lost, $"{who} received only {frames.Count} of {Frames} frames");
        // The stream starts with the shared mix's silence; a talker alone is sent nothing until the other one starts.
        int start = frames.FindLastIndex(10, f => f.Marker);
        int skipped = 0;
        for (int i = start + 1; i < frames.Count; i++)
        {
            Assert.True((ushort)(frames[i - 1].Sequence + 1) == frames[i].Sequence, $"{who}: sequence gap at frame {i}");
            uint step = frames[i].Timestamp - frames[i - 1].Timestamp;
            Assert.True(step > 0 && step % AudioFormat.FrameSamples == 0, $"{who}: timestamp step {step} at frame {i}");
            skipped += (int)(step / AudioFormat.FrameSamples) - 1;
            Assert.False(frames[i].Marker, $"{who}: marker (talkspurt restart) at frame {i}");
        }
        Assert.True(skipped <= lost, $"{who}: {skipped} frames skipped, {lost} packets lost");
    }

    private static (double Hz440, double Hz550, double Hz660) Analyse(CapturingSink sink)
    {
        short[] pcm = sink.Decode();
        var span = pcm.AsSpan(WarmUpFrames * AudioFormat.FrameSamples);
        return (Tone.PowerDb(span, 440), Tone.PowerDb(span, 550), Tone.PowerDb(span, 660));
    }
}

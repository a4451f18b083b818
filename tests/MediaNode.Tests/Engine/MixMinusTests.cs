using OpenChat.TestSupport;
using Xunit;
using OpenChat.MediaNode.Engine;
using Xunit.Abstractions;

namespace OpenChat.MediaNode.Tests.Engine;

public sealed class MixMinusTests(ITestOutputHelper output)
{
    private const int WarmUpFrames = 25;
    private const long A = 1, B = 2, C = 3, D = 4, E = 5;

    [Fact]
    public void Talkers_hear_each_other_but_not_themselves_and_a_silent_member_hears_both()
    {
        using var sim = new Simulation();
        var sinks = RunRoom(sim, frames: 150);

        var a = Analyse(sinks[A]);
        var b = Analyse(sinks[B]);
        var c = Analyse(sinks[C]);
        output.WriteLine($"A hears 440 {a.Hz440:F1} / 660 {a.Hz660:F1} dB; B hears {b.Hz440:F1} / {b.Hz660:F1}; C hears {c.Hz440:F1} / {c.Hz660:F1} (550: {c.Hz550:F1})");

        Assert.True(a.Hz660 - a.Hz440 >= 30, $"A: 660 Hz {a.Hz660:F1} dB, 440 Hz {a.Hz440:F1} dB");
        Assert.True(b.Hz440 - b.Hz660 >= 30, $"B: 440 Hz {b.Hz440:F1} dB, 660 Hz {b.Hz660:F1} dB");
        Assert.True(Math.Abs(c.Hz440 - c.Hz660) <= 3, $"C: 440 Hz {c.Hz440:F1} dB, 660 Hz {c.Hz660:F1} dB");
        Assert.True(c.Hz440 - c.Hz550 >= 30, $"C: 440 Hz {c.Hz440:F1} dB vs 550 Hz (nothing) {c.Hz550:F1} dB");
        Assert.True(a.Hz660 - c.Hz660 <= 3 && a.Hz660 - c.Hz660 >= -3, "B reaches A and C at the same level");
    }

    [Fact]
    public void A_muted_member_is_in_no_mix_and_a_deafened_member_receives_nothing()
    {
        using var sim = new Simulation();
        var sinks = RunRoom(sim, frames: 150);

        foreach (long listener in new[] { A, B, C, D })
        {
            var spectrum = Analyse(sinks[listener]);
            double loudestTone = Math.Max(spectrum.Hz440, spectrum.Hz660);
            output.WriteLine($"member {listener}: loudest tone {loudestTone:F1} dB, 1 kHz {spectrum.Hz1000:F1} dB");
            Assert.True(loudestTone - spectrum.Hz1000 >= 30,
                $"member {listener}: muted D's 1 kHz at {spectrum.Hz1000:F1} dB, loudest tone {loudestTone:F1} dB");
        }

        Assert.Empty(sinks[E].Frames);
        Assert.NotEmpty(sinks[D].Frames);
        Assert.All(sim.Room.CurrentTalkers(), id => Assert.NotEqual(new MemberId(D), id));
        Assert.True(sim.Engine.Counters.PacketsMuted > 0);
    }

    // A sends 440 Hz (with RFC 6464 levels), B 660 Hz (without, so the engine measures it), C silence,
    // D 1 kHz but muted, E is deafened and silent.
    private static Dictionary<long, CapturingSink> RunRoom(Simulation sim, int frames)
    {
        var sinks = new Dictionary<long, CapturingSink>();
        foreach (long id in new[] { A, B, C, D, E }) sinks[id] = sim.Join(id);
        sim.Room.SetMuted(new MemberId(D), true);
        sim.Room.SetDeafened(new MemberId(E), true);

        var sources = new Dictionary<long, ToneSource>
        {
            [A] = new(440, 0.2, firstTimestamp: 12_345),
            [B] = new(660, 0.2, firstTimestamp: 4_000_000_000),
            [C] = new(0, 0),
            [D] = new(1000, 0.2),
        };

        for (int k = 0; k < frames; k++)
        {
            foreach (var (id, source) in sources) sim.Send(id, source.Next(), withLevel: id != B, delayMs: 5);
            sim.Step();
        }
        return sinks;
    }

    private static (double Hz440, double Hz550, double Hz660, double Hz1000) Analyse(CapturingSink sink)
    {
        short[] pcm = sink.Decode();
        Assert.True(pcm.Length > (WarmUpFrames + 50) * AudioFormat.FrameSamples, $"only {pcm.Length} samples received");
        var span = pcm.AsSpan(WarmUpFrames * AudioFormat.FrameSamples);
        return (Tone.PowerDb(span, 440), Tone.PowerDb(span, 550), Tone.PowerDb(span, 660), Tone.PowerDb(span, 1000));
    }
}

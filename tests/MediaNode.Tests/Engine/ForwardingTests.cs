using OpenChat.MediaNode.Engine;
using OpenChat.TestSupport;
using Xunit;
using Xunit.Abstractions;

namespace OpenChat.MediaNode.Tests.Engine;

/// <summary>
/// A listener whose mix would hold one talker is sent that talker's own packets; with a second talker it is sent a
/// mix again. The stream it receives stays one stream across every switch.
/// </summary>
public sealed class ForwardingTests(ITestOutputHelper output)
{
    private const long A = 1, B = 2, C = 3, D = 4;

    [Fact]
    public void One_talker_is_forwarded_byte_identical_with_its_level_to_every_listener_and_nothing_is_encoded()
    {
        using var sim = new Simulation();
        var sinks = new CapturingSink[6];
        for (int i = 0; i < sinks.Length; i++) sinks[i] = sim.Join(i);
        var talker = new ToneSource(440, 0.2);
        var silence = new ToneSource(0, 0);
        var sent = new List<TestPacket>();
        int heardByTalker = 0;
        long encodesBefore = 0;
        for (int k = 0; k < 100; k++)
        {
            var p = talker.Next();
            sent.Add(p);
            sim.Send(0, p, withLevel: true, delayMs: 5);
            for (int i = 1; i < sinks.Length; i++) sim.Send(i, silence.Next(), withLevel: true, delayMs: 5);
            int before = sinks[0].Frames.Count;
            sim.Step();
            // Until the talker's jitter buffer starts, the room's silence is encoded (then paused) as always.
            if (k < 20) continue;
            if (k == 20) encodesBefore = sim.Engine.Counters.Encodes;
            Assert.Equal(0, sim.Engine.Counters.EncodesLastTick);
            Assert.Equal(0, sim.Room.EncodersInUse);
            Assert.Equal(sinks.Length - 1, sim.Room.LastTick.Forwards);
            heardByTalker += sinks[0].Frames.Count - before;
        }

        Assert.Equal(0, heardByTalker);
        Assert.Equal(encodesBefore, sim.Engine.Counters.Encodes);
        for (int i = 1; i < sinks.Length; i++)
        {
            // Every frame is the talker's packet, in the order sent, one per tick: the packet the mix would have used.
            // The room's silence comes first, from the shared encoder, on the same sequence and timestamps.
            AssertContinuous(sinks[i].Frames, $"listener {i}");
            var frames = sinks[i].Frames.SkipWhile(f => f.Level == AudioLevel.Silence).ToList();
            Assert.True(frames.Count >= 80, $"listener {i}: {frames.Count} frames of the talker");
            int first = sent.FindIndex(p => p.Payload.SequenceEqual(frames[0].Payload));
            Assert.True(first >= 0, $"listener {i}: its first frame is no packet of the talker's");
            for (int f = 0; f < frames.Count; f++)
            {
                Assert.Equal(sent[first + f].Payload, frames[f].Payload);
                Assert.Equal(sent[first + f].Level, frames[f].Level);
            }
        }
    }

    [Fact]
    public void A_second_talker_switches_the_listeners_to_one_shared_mix_and_its_end_back_to_forwarding_with_no_gap()
    {
        using var sim = new Simulation();
        var c = sim.Join(C);
        var a = sim.Join(A);
        var b = sim.Join(B);
        var d = sim.Join(D);
        var toneA = new ToneSource(440, 0.2);
        var toneB = new ToneSource(660, 0.2);
        var silence = new ToneSource(0, 0);
        var fromA = new HashSet<string>();
        var fromB = new HashSet<string>();
        var encodes = new List<int>();
        for (int k = 0; k < 200; k++)
        {
            toneB.Amplitude = k is >= 60 and < 100 ? 0.2 : 0;
            var pa = toneA.Next();
            var pb = toneB.Next();
            fromA.Add(Convert.ToBase64String(pa.Payload));
            if (toneB.Amplitude > 0) fromB.Add(Convert.ToBase64String(pb.Payload));
            sim.Send(A, pa, withLevel: true, delayMs: 5);
            sim.Send(B, pb, withLevel: true, delayMs: 5);
            sim.Send(C, silence.Next(), withLevel: true, delayMs: 5);
            sim.Send(D, silence.Next(), withLevel: true, delayMs: 5);
            sim.Step();
            encodes.Add(sim.Engine.Counters.EncodesLastTick);
        }

        // C and D: A forwarded, then one shared mix of A and B, then A forwarded again.
        string Kinds(CapturingSink sink) => string.Concat(sink.Frames.Select(f => fromA.Contains(Convert.ToBase64String(f.Payload)) ? 'a' : 'm'));
        string toC = Kinds(c);
        output.WriteLine($"C: {toC}");
        Assert.Matches("^m*a{40,}m{40,}a{40,}$", toC);
        Assert.Equal(toC, Kinds(d));
        Assert.Equal(c.Frames.Select(f => f.Payload), d.Frames.Select(f => f.Payload), ByteArrayComparer.Instance);
        AssertContinuous(c.Frames, "C");

        // The talkers hear each other forwarded and never themselves.
        Assert.All(a.Frames.Where(f => !fromB.Contains(Convert.ToBase64String(f.Payload))), f => Assert.True(f.Level == AudioLevel.Silence, "A is sent only B's packets or silence"));
        Assert.DoesNotContain(b.Frames, f => fromB.Contains(Convert.ToBase64String(f.Payload)));
        Assert.DoesNotContain(a.Frames, f => fromA.Contains(Convert.ToBase64String(f.Payload)));
        AssertContinuous(b.Frames, "B");

        // Encoders: none with one talker; with two only the shared mix; at each switch the frames that align it.
        int toMix = toC.IndexOf("am", StringComparison.Ordinal) + 1, toForward = toC.LastIndexOf("ma", StringComparison.Ordinal) + 1;
        int offset = 200 - c.Frames.Count;
        output.WriteLine($"encodes per tick: {string.Join(" ", encodes)}");
        Assert.Equal(MixerRoom.SharedEncoderMemoryFrames + 1, encodes[toMix + offset]);
        Assert.All(encodes.Skip(toMix + offset + 1).Take(toForward - toMix - 2), n => Assert.Equal(1, n));
        Assert.All(encodes.Skip(toForward + offset), n => Assert.Equal(0, n));
        Assert.All(encodes.Skip(20).Take(toMix + offset - 20), n => Assert.Equal(0, n));
    }

    [Fact]
    public void A_server_muted_talker_is_not_forwarded_and_a_deafened_listener_receives_nothing()
    {
        using var sim = new Simulation();
        var a = sim.Join(A);
        var c = sim.Join(C);
        var d = sim.Join(D);
        sim.Room.SetDeafened(new MemberId(D), true);
        var tone = new ToneSource(440, 0.2);
        var silence = new ToneSource(0, 0);
        long encodesBefore = 0;
        int toTalker = 0;
        for (int k = 0; k < 120; k++)
        {
            if (k == 20) (encodesBefore, toTalker) = (sim.Engine.Counters.Encodes, a.Frames.Count);
            if (k == 60) sim.Room.SetMuted(new MemberId(A), true);
            sim.Send(A, tone.Next(), withLevel: true, delayMs: 5);
            sim.Send(C, silence.Next(), withLevel: true, delayMs: 5);
            sim.Send(D, silence.Next(), withLevel: true, delayMs: 5);
            int before = c.Frames.Count;
            sim.Step();
            if (k is > 20 and < 60) Assert.Equal(1, sim.Room.LastTick.Forwards);
            if (k >= 60) Assert.Equal(0, sim.Room.LastTick.Forwards);
            if (k >= 60) Assert.Equal(before, c.Frames.Count);
        }

        Assert.Empty(d.Frames);
        Assert.True(c.Frames.Count >= 35);
        Assert.Equal(encodesBefore, sim.Engine.Counters.Encodes);
        Assert.Equal(toTalker, a.Frames.Count);
    }

    [Fact]
    public void A_personal_volume_other_than_one_for_the_sole_talker_gets_a_mix_and_zero_for_the_other_talker_forwarding()
    {
        using var sim = new Simulation();
        sim.Join(A);
        sim.Join(B);
        var c = sim.Join(C);
        var d = sim.Join(D);
        sim.Room.SetPersonalVolume(new MemberId(C), new MemberId(A), 0.5f);
        var toneA = new ToneSource(440, 0.2);
        var toneB = new ToneSource(660, 0.2);
        var silence = new ToneSource(0, 0);
        var fromA = new HashSet<string>();
        for (int k = 0; k < 150; k++)
        {
            // A alone, then A and B, D having turned B down to nothing.
            if (k == 75) sim.Room.SetPersonalVolume(new MemberId(D), new MemberId(B), 0f);
            toneB.Amplitude = k >= 75 ? 0.2 : 0;
            var pa = toneA.Next();
            fromA.Add(Convert.ToBase64String(pa.Payload));
            sim.Send(A, pa, withLevel: true, delayMs: 5);
            sim.Send(B, toneB.Next(), withLevel: true, delayMs: 5);
            sim.Send(C, silence.Next(), withLevel: true, delayMs: 5);
            sim.Send(D, silence.Next(), withLevel: true, delayMs: 5);
            sim.Step();
            // Before B: C's personal mix only. With B: C's personal mix and A's minus mix is B alone, forwarded; B hears A
            // forwarded; D hears A alone, forwarded; nobody is left for the shared mix.
            if (k is > 20 and < 75) Assert.Equal(1, sim.Engine.Counters.EncodesLastTick);
            if (k > 110) Assert.Equal(1, sim.Engine.Counters.EncodesLastTick);
        }

        Assert.DoesNotContain(c.Frames, f => fromA.Contains(Convert.ToBase64String(f.Payload)));
        var lastToD = d.Frames.TakeLast(30).ToList();
        Assert.All(lastToD, f => Assert.Contains(Convert.ToBase64String(f.Payload), fromA));
        short[] heardByC = c.Decode().AsSpan(25 * AudioFormat.FrameSamples, 45 * AudioFormat.FrameSamples).ToArray();
        short[] heardByD = d.Decode().AsSpan(25 * AudioFormat.FrameSamples, 45 * AudioFormat.FrameSamples).ToArray();
        Assert.InRange(Tone.PowerDb(heardByD, 440) - Tone.PowerDb(heardByC, 440), 5, 7);
    }

    [Fact]
    public void With_forwarding_off_every_listener_is_sent_an_encoded_mix()
    {
        using var sim = new Simulation(new EngineOptions { RandomSeed = 7, ForwardSingleTalker = false });
        sim.Join(A);
        var c = sim.Join(C);
        var tone = new ToneSource(440, 0.2);
        var silence = new ToneSource(0, 0);
        for (int k = 0; k < 60; k++)
        {
            sim.Send(A, tone.Next(), withLevel: true, delayMs: 5);
            sim.Send(C, silence.Next(), withLevel: true, delayMs: 5);
            sim.Step();
        }
        Assert.Equal(0, sim.Engine.Counters.Forwards);
        Assert.Equal(1, sim.Engine.Counters.EncodesLastTick);
        Assert.True(c.Frames.Count >= 50);
    }

    // A listener hears A's tone (the loud talker) forwarded, then mixed with B (a quiet low tone) from tick 60, then
    // forwarded again once B has left the talkers. A click shows in the decoded stream as a burst in its second
    // difference (a high-pass that a tone barely passes): the figure is the largest second difference within two frames
    // of a switch relative to the largest anywhere away from the switches, forwarded or mixed. The dip is the quietest
    // 2.5 ms there relative to the tone's level.
    [Theory]
    [InlineData(440, 1)]
    [InlineData(180, 6)]
    public void Switching_between_forwarded_packets_and_the_mix_makes_no_click(double frequency, int harmonics)
    {
        var spliced = SwitchArtifacts(frequency, harmonics, align: true);
        var reset = SwitchArtifacts(frequency, harmonics, align: false);
        output.WriteLine($"{frequency} Hz, {harmonics} harmonics: to the mix {spliced.ToMix:F1} dB (dip {spliced.ToMixDip:F1} dB), " +
                         $"back to forwarding {spliced.ToForward:F1} dB (dip {spliced.ToForwardDip:F1} dB); " +
                         $"to the mix from a reset encoder {reset.ToMix:F1} dB (dip {reset.ToMixDip:F1} dB)");
        Assert.True(spliced.ToMix <= MaxSwitchArtifactDb, $"switch to the mix: {spliced.ToMix:F1} dB");
        Assert.True(spliced.ToForward <= MaxSwitchArtifactDb, $"switch back to forwarding: {spliced.ToForward:F1} dB");
        Assert.True(reset.ToMix > spliced.ToMix + 15, $"splicing the encoder onto the forwarded audio gained only {reset.ToMix - spliced.ToMix:F1} dB");
        Assert.True(spliced.ToMixDip > MaxDipDb && spliced.ToForwardDip > MaxDipDb, $"dips {spliced.ToMixDip:F1} and {spliced.ToForwardDip:F1} dB");
    }

    // Codec noise alone gives second differences within a few dB of each other from frame to frame; a step in the
    // waveform gives 25 to 40 dB more (a reset encoder's first frame: 29 to 41 dB).
    private const double MaxSwitchArtifactDb = 8;
    private const double MaxDipDb = -15;

    private static (double ToMix, double ToForward, double ToMixDip, double ToForwardDip) SwitchArtifacts(double frequency, int harmonics, bool align)
    {
        using var sim = new Simulation(new EngineOptions { RandomSeed = 7, AlignSwitches = align });
        var c = sim.Join(C);
        sim.Join(A);
        sim.Join(B);
        var toneA = new ToneSource(frequency, 0.25, harmonics: harmonics);
        var toneB = new ToneSource(200, 0.01);
        var silence = new ToneSource(0, 0);
        var fromA = new HashSet<string>();
        for (int k = 0; k < 200; k++)
        {
            toneB.Amplitude = k is >= 60 and < 100 ? 0.01 : 0;
            var pa = toneA.Next();
            fromA.Add(Convert.ToBase64String(pa.Payload));
            sim.Send(A, pa, withLevel: true, delayMs: 5);
            sim.Send(B, toneB.Next(), withLevel: true, delayMs: 5);
            sim.Send(C, silence.Next(), withLevel: true, delayMs: 5);
            sim.Step();
        }

        string kinds = string.Concat(c.Frames.Select(f => fromA.Contains(Convert.ToBase64String(f.Payload)) ? 'a' : 'm'));
        Assert.Matches("^m*a{40,}m{40,}a{40,}$", kinds);
        AssertContinuous(c.Frames, "C");
        int toMix = kinds.IndexOf("am", StringComparison.Ordinal) + 1, toForward = kinds.LastIndexOf("ma", StringComparison.Ordinal) + 1;

        short[] pcm = c.Decode();
        const int n = AudioFormat.FrameSamples, block = n / 8;
        double Peak(int fromFrame, int toFrame)
        {
            double peak = 0;
            for (int i = fromFrame * n; i < toFrame * n; i++) peak = Math.Max(peak, Math.Abs(pcm[i] - 2 * pcm[i - 1] + pcm[i - 2]));
            return peak;
        }
        double Quietest(int fromFrame, int toFrame)
        {
            double quietest = double.MaxValue;
            for (int b = fromFrame * 8; b < toFrame * 8; b++)
            {
                double sum = 0;
                for (int i = b * block; i < (b + 1) * block; i++) sum += (double)pcm[i] * pcm[i];
                quietest = Math.Min(quietest, Math.Sqrt(sum / block));
            }
            return quietest;
        }
        double steady = Math.Max(Peak(toMix - 30, toMix - 5), Math.Max(Peak(toMix + 10, toForward - 10), Peak(toForward + 10, kinds.Length)));
        double level = Quietest(toMix - 30, toMix - 5);
        return (20 * Math.Log10(Peak(toMix - 2, toMix + 2) / steady), 20 * Math.Log10(Peak(toForward - 2, toForward + 2) / steady),
            20 * Math.Log10(Quietest(toMix - 2, toMix + 2) / level), 20 * Math.Log10(Quietest(toForward - 2, toForward + 2) / level));
    }

    private static void AssertContinuous(IReadOnlyList<SentFrame> frames, string who)
    {
        Assert.True(frames.Count > 0, $"{who} received nothing");
        for (int i = 1; i < frames.Count; i++)
        {
            Assert.True((ushort)(frames[i - 1].Sequence + 1) == frames[i].Sequence, $"{who}: sequence gap at frame {i}");
            Assert.True(frames[i - 1].Timestamp + AudioFormat.FrameSamples == frames[i].Timestamp, $"{who}: timestamp jump at frame {i}");
            Assert.False(frames[i].Marker, $"{who}: marker at frame {i}");
        }
    }

    private sealed class ByteArrayComparer : IEqualityComparer<byte[]>
    {
        public static readonly ByteArrayComparer Instance = new();

        public bool Equals(byte[]? x, byte[]? y) => x.AsSpan().SequenceEqual(y);

        public int GetHashCode(byte[] obj) => obj.Length;
    }
}

using OpenChat.TestSupport;
using OpenChat.MediaNode.Engine;
using Xunit;

namespace OpenChat.MediaNode.Tests.Engine;

public sealed class SharedEncodingTests
{
    [Fact]
    public void In_a_room_of_50_with_2_talkers_exactly_3_encoders_run_per_tick_when_mixing_only()
    {
        using var sim = new Simulation(new EngineOptions { RandomSeed = 7, ForwardSingleTalker = false });
        var sinks = new CapturingSink[50];
        var sources = new ToneSource[50];
        for (int i = 0; i < 50; i++)
        {
            sinks[i] = sim.Join(i);
            sources[i] = i switch { 0 => new(440, 0.2), 1 => new(660, 0.2), _ => new(0, 0) };
        }

        var encodesPerTick = new List<int>();
        for (int k = 0; k < 100; k++)
        {
            // Half the silent members send RFC 6464 levels, half make the engine measure them.
            for (int i = 0; i < 50; i++) sim.Send(i, sources[i].Next(), withLevel: i % 2 == 0, delayMs: 5);
            sim.Step();
            if (k >= 10)
            {
                encodesPerTick.Add(sim.Engine.Counters.EncodesLastTick);
                Assert.Equal(3, sim.Room.EncodersInUse);
                Assert.Equal(2, sim.Room.LastTick.Talkers);
            }
        }

        Assert.All(encodesPerTick, n => Assert.Equal(3, n));

        // Every non-talker got the very same payload each tick; the two talkers got their own.
        int frames = sinks[2].Frames.Count;
        Assert.True(frames >= 90);
        for (int f = 0; f < frames; f++)
        {
            byte[] shared = sinks[2].Frames[f].Payload;
            for (int i = 3; i < 50; i++) Assert.Equal(shared, sinks[i].Frames[f].Payload);
        }
        int last = frames - 1;
        Assert.NotEqual(sinks[0].Frames[^1].Payload, sinks[2].Frames[last].Payload);
        Assert.NotEqual(sinks[1].Frames[^1].Payload, sinks[2].Frames[last].Payload);
        Assert.NotEqual(sinks[0].Frames[^1].Payload, sinks[1].Frames[^1].Payload);
    }

    [Fact]
    public void A_listener_with_a_personal_volume_gets_a_personal_mix_with_its_own_encoder()
    {
        // Mixing only: forwarded, D (who hears B alone) and the two talkers would need no encoder.
        using var sim = new Simulation(new EngineOptions { RandomSeed = 7, ForwardSingleTalker = false });
        var a = sim.Join(1);
        var b = sim.Join(2);
        var c = sim.Join(3);
        var d = sim.Join(4);
        sim.Room.SetPersonalVolume(new MemberId(4), new MemberId(1), 0f);
        var toneA = new ToneSource(440, 0.2);
        var toneB = new ToneSource(660, 0.2);
        var silence = new ToneSource(0, 0);

        for (int k = 0; k < 120; k++)
        {
            sim.Send(1, toneA.Next(), withLevel: true);
            sim.Send(2, toneB.Next(), withLevel: true);
            sim.Send(3, silence.Next(), withLevel: true);
            sim.Send(4, silence.Next(), withLevel: true);
            sim.Step();
            if (k >= 10) Assert.Equal(4, sim.Engine.Counters.EncodesLastTick);
        }

        short[] heardByD = d.Decode().AsSpan(25 * AudioFormat.FrameSamples).ToArray();
        short[] heardByC = c.Decode().AsSpan(25 * AudioFormat.FrameSamples).ToArray();
        Assert.True(Tone.PowerDb(heardByD, 660) - Tone.PowerDb(heardByD, 440) >= 30, "D muted A for itself");
        Assert.True(Math.Abs(Tone.PowerDb(heardByC, 660) - Tone.PowerDb(heardByC, 440)) <= 3, "C still hears both");

        // Back to unity: D rejoins the shared mix.
        sim.Room.SetPersonalVolume(new MemberId(4), new MemberId(1), 1f);
        sim.Send(1, toneA.Next(), withLevel: true);
        sim.Send(2, toneB.Next(), withLevel: true);
        sim.Step();
        Assert.Equal(3, sim.Engine.Counters.EncodesLastTick);
        Assert.Equal(c.Frames[^1].Payload, d.Frames[^1].Payload);
    }

    [Fact]
    public void A_personal_volume_scales_the_talker_by_that_gain()
    {
        using var sim = new Simulation();
        sim.Join(1);
        var full = sim.Join(2);
        var half = sim.Join(3);
        var loud = sim.Join(4);
        sim.Room.SetPersonalVolume(new MemberId(3), new MemberId(1), 0.5f);
        sim.Room.SetPersonalVolume(new MemberId(4), new MemberId(1), 1.5f);
        var tone = new ToneSource(440, 0.1);
        var silence = new ToneSource(0, 0);
        for (int k = 0; k < 120; k++)
        {
            sim.Send(1, tone.Next(), withLevel: true);
            for (int i = 2; i <= 4; i++) sim.Send(i, silence.Next(), withLevel: true);
            sim.Step();
        }

        double Level(CapturingSink sink) => Tone.PowerDb(sink.Decode().AsSpan(25 * AudioFormat.FrameSamples).ToArray(), 440);
        var (atFull, atHalf, atLoud) = (Level(full), Level(half), Level(loud));
        Assert.InRange(atFull - atHalf, 5, 7);      // 0.5 is -6 dB
        Assert.InRange(atLoud - atFull, 2.5, 4.5);  // 1.5 is +3.5 dB
    }

    [Fact]
    public void Only_members_whose_audio_is_decoded_hold_a_decoder_and_decoded_frames()
    {
        // Rooms of listeners that send RFC 6464 levels: their packets are never decoded, so they carry no decoder.
        using var sim = new Simulation(new EngineOptions { RandomSeed = 7 });
        var sources = new ToneSource[6];
        for (int i = 0; i < 6; i++)
        {
            sim.Join(i);
            sources[i] = i switch { 0 => new(440, 0.2), 1 => new(660, 0.2), _ => new(0, 0) };
        }

        for (int k = 0; k < 60; k++)
        {
            // Member 5 sends no levels: the engine decodes it to measure them.
            for (int i = 0; i < 6; i++) sim.Send(i, sources[i].Next(), withLevel: i != 5, delayMs: 5);
            sim.Step();
        }

        Assert.Equal(2, sim.Room.LastTick.Talkers);
        bool Decoded(int i) => sim.Room.TryGetMember(new MemberId(i), out var m) && m.HasDecoderState;
        Assert.True(Decoded(0) && Decoded(1), "the talkers are decoded");
        Assert.True(Decoded(5), "a member without levels is decoded");
        Assert.False(Decoded(2) || Decoded(3) || Decoded(4), "listeners sending levels hold no decoder state");
    }
}

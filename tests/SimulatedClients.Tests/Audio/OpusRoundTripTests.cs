using OpenChat.SimulatedClients.Audio;
using Xunit;

namespace OpenChat.SimulatedClients.Tests.Audio;

/// <summary>The encoded signal loops decoded again, as a listener would receive them.</summary>
public sealed class OpusRoundTripTests
{
    private static List<short[]> DecodeLoops(EncodedSignal encoded, int frames, Func<int, bool>? lost = null)
    {
        var decoder = OpusCodecs.CreateDecoder();
        var result = new List<short[]>();
        for (int f = 0; f < frames; f++)
        {
            var pcm = new short[AudioFormat.FrameSamples];
            var packet = lost?.Invoke(f) == true ? ReadOnlySpan<byte>.Empty : encoded.Packet(f);
            decoder.Decode(packet, pcm, AudioFormat.FrameSamples, false);
            result.Add(pcm);
        }
        return result;
    }

    [Theory]
    [InlineData(1000)]
    [InlineData(1750)]
    [InlineData(440)]
    public void A_tone_keeps_its_frequency_and_level_through_Opus_including_the_loop_point(int frequency)
    {
        var signal = VoiceSignal.Tone(frequency);
        var frames = DecodeLoops(EncodedSignal.For(signal), 2 * signal.PeriodFrames);
        var dominant = new DominantFrequency();
        // The decoder needs a few frames to settle (its first frames wobble by about 10 Hz and 2 dB); after that every
        // frame, the loop point included, is the tone.
        foreach (var pcm in frames.Skip(15))
        {
            Assert.InRange(Goertzel.LevelDb(pcm, frequency), -14 - 3, -14 + 3);
            Assert.InRange(dominant.Estimate(pcm), frequency - 5, frequency + 5);
            Assert.True(Goertzel.LevelDb(pcm, frequency + 250) < -45, "energy away from the tone");
        }
    }

    [Fact]
    public void Silence_decodes_to_inaudible_frames()
    {
        foreach (var pcm in DecodeLoops(EncodedSignal.For(VoiceSignal.Silence), 50))
        {
            Assert.True(Goertzel.RmsDbfs(pcm) < -60);
        }
    }

    [Fact]
    public void Speech_is_audible_in_its_talkspurts_and_silent_in_its_pauses()
    {
        var signal = VoiceSignal.Speech(1250);
        var frames = DecodeLoops(EncodedSignal.For(signal), signal.PeriodFrames);
        int talking = 0, talkingAudible = 0, pause = 0, pauseAudible = 0;
        for (int f = 3; f < frames.Count; f++)
        {
            bool audible = Goertzel.RmsDbfs(frames[f]) >= -50;
            // Skip the first frames of a pause: the codec's tail of the last syllable is still decaying.
            if (signal.IsTalking(f))
            {
                talking++;
                if (audible) talkingAudible++;
            }
            else if (!signal.IsTalking(f - 1) && !signal.IsTalking(f - 2))
            {
                pause++;
                if (audible) pauseAudible++;
            }
        }
        Assert.True(talkingAudible >= talking * 0.97, $"{talkingAudible} of {talking} talking frames audible");
        Assert.True(pauseAudible <= pause * 0.03, $"{pauseAudible} of {pause} pause frames audible");
    }

    [Fact]
    public void Concealment_of_a_lost_packet_continues_the_tone()
    {
        var frames = DecodeLoops(EncodedSignal.For(VoiceSignal.Tone(1000)), 60, lost: f => f == 30);
        // Concealment fades and bends the tone a little, but does not drop to silence.
        Assert.InRange(new DominantFrequency().Estimate(frames[30]), 950, 1050);
        Assert.True(Goertzel.LevelDb(frames[30], 1000) > -40, "the concealed frame carries the tone");
        Assert.InRange(Goertzel.LevelDb(frames[32], 1000), -18, -10);
        Assert.InRange(new DominantFrequency().Estimate(frames[50]), 995, 1005);
    }
}

using OpenChat.SimulatedClients.Audio;
using Xunit;

namespace OpenChat.SimulatedClients.Tests.Audio;

public sealed class VoiceSignalTests
{
    [Fact]
    public void A_tone_of_whole_hertz_repeats_every_second_without_a_seam()
    {
        var tone = VoiceSignal.Tone(1013);
        var first = new short[960];
        var again = new short[960];
        tone.Render(0, first);
        tone.Render(tone.PeriodFrames, again);
        Assert.Equal(first, again);

        // Across the loop point the waveform continues: the step between samples stays within a sine's slope.
        var last = new short[960];
        tone.Render(tone.PeriodFrames - 1, last);
        double maxStep = 2 * Math.PI * 1013 / 48_000 * tone.Amplitude * 32767 + 1;
        Assert.True(Math.Abs(first[0] - last[^1]) <= maxStep);
    }

    [Fact]
    public void Speech_talks_in_spurts_with_pauses_and_counts_its_talk_runs()
    {
        var speech = VoiceSignal.Speech(1000);
        int talking = Enumerable.Range(0, speech.PeriodFrames).Count(f => speech.IsTalking(f));
        Assert.Equal(400, speech.PeriodFrames);
        Assert.Equal(260, talking);
        Assert.Equal(1, speech.TalkRunAt(0));
        Assert.Equal(80, speech.TalkRunAt(79));
        Assert.Equal(0, speech.TalkRunAt(80));
        Assert.Equal(1, speech.TalkRunAt(110));
        Assert.Equal(speech.TalkRunAt(5), speech.TalkRunAt(5 + 3 * speech.PeriodFrames));
        Assert.Equal(speech.TalkRunAt(399), speech.TalkRunAt(-1));

        var pcm = new short[960];
        speech.Render(100, pcm);
        Assert.All(pcm, s => Assert.Equal(0, s));
        speech.Render(40, pcm);
        Assert.True(Goertzel.LevelDb(pcm, 1000) > -30);
    }

    [Fact]
    public void Tones_always_talk_and_silence_never_does()
    {
        Assert.Equal(int.MaxValue, VoiceSignal.Tone(500).TalkRunAt(12345));
        Assert.Equal(0, VoiceSignal.Silence.TalkRunAt(7));
        Assert.False(VoiceSignal.Silence.IsTalking(7));
        Assert.Null(VoiceSignal.Silence.FrequencyHz);
    }

    [Fact]
    public void Signals_are_values()
    {
        Assert.Equal(VoiceSignal.Tone(700), VoiceSignal.Tone(700));
        Assert.NotEqual(VoiceSignal.Tone(700), VoiceSignal.Speech(700));
        Assert.Same(EncodedSignal.For(VoiceSignal.Tone(700)), EncodedSignal.For(VoiceSignal.Tone(700)));
    }

    [Fact]
    public void Unusable_signals_are_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => VoiceSignal.Tone(5));
        Assert.Throws<ArgumentOutOfRangeException>(() => VoiceSignal.Tone(30_000));
        Assert.Throws<ArgumentOutOfRangeException>(() => VoiceSignal.Tone(1000, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => VoiceSignal.Speech(1000, 1.5));
    }
}

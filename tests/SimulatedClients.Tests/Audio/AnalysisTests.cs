using OpenChat.SimulatedClients.Audio;
using Xunit;

namespace OpenChat.SimulatedClients.Tests.Audio;

public sealed class AnalysisTests
{
    [Theory]
    [InlineData(440, 0.5)]
    [InlineData(1234.5, 0.1)]
    [InlineData(3000, 0.9)]
    public void Goertzel_reads_a_tone_at_its_amplitude(double frequency, double amplitude)
    {
        var level = Goertzel.LevelDb(Synth.Tone(frequency, amplitude), frequency);
        Assert.InRange(level, 20 * Math.Log10(amplitude) - 0.3, 20 * Math.Log10(amplitude) + 0.3);
    }

    [Fact]
    public void Goertzel_hears_almost_nothing_of_a_tone_150_Hz_away()
    {
        var pcm = Synth.Tone(1000, 0.5);
        Assert.True(Goertzel.LevelDb(pcm, 1150) < Goertzel.LevelDb(pcm, 1000) - 50);
        Assert.True(Goertzel.LevelDb(pcm, 850) < Goertzel.LevelDb(pcm, 1000) - 50);
    }

    [Fact]
    public void Goertzel_separates_two_mixed_tones()
    {
        var pcm = Synth.Mix(960, (1000, 0.2, 0.1), (1500, 0.05, 1.0));
        Assert.InRange(Goertzel.LevelDb(pcm, 1000), -14.3, -13.7);
        Assert.InRange(Goertzel.LevelDb(pcm, 1500), -26.3, -25.7);
        Assert.True(Goertzel.LevelDb(pcm, 1250) < -60);
    }

    [Fact]
    public void Rms_of_a_full_scale_sine_is_minus_3_dBFS_and_silence_is_the_floor()
    {
        Assert.InRange(Goertzel.RmsDbfs(Synth.Tone(1000, 1.0)), -3.1, -2.9);
        Assert.Equal(Goertzel.FloorDb, Goertzel.RmsDbfs(new short[960]));
    }

    [Theory]
    [InlineData(150)]
    [InlineData(440)]
    [InlineData(1017)]
    [InlineData(1750)]
    [InlineData(7000)]
    public void Dominant_frequency_of_a_tone_is_found_within_3_Hz(double frequency)
    {
        var estimate = new DominantFrequency().Estimate(Synth.Tone(frequency, 0.3));
        Assert.InRange(estimate, frequency - 3, frequency + 3);
    }

    [Fact]
    public void Dominant_frequency_of_two_tones_is_the_louder_one()
    {
        var analyser = new DominantFrequency();
        Assert.InRange(analyser.Estimate(Synth.Mix(960, (1000, 0.1, 0), (1500, 0.3, 0))), 1497, 1503);
        Assert.InRange(analyser.Estimate(Synth.Mix(960, (1000, 0.3, 0), (1500, 0.1, 0))), 997, 1003);
    }

    [Fact]
    public void Dominant_frequency_of_silence_is_not_a_number()
    {
        Assert.True(double.IsNaN(new DominantFrequency().Estimate(new short[960])));
    }

    [Fact]
    public void Frame_analyzer_measures_candidates_only_in_audible_frames()
    {
        var analyzer = new FrameAnalyzer([1000, 1500], audibleDbfs: -50);
        var levels = new double[2];
        var heard = new bool[2];
        var loud = analyzer.Analyse(Synth.Tone(1500, 0.2), levels, heard);
        Assert.True(loud.Audible);
        Assert.InRange(loud.DominantHz, 1497, 1503);
        Assert.InRange(levels[1], -14.3, -13.7);
        Assert.True(levels[0] < -60);
        Assert.Equal([false, true], heard);

        // -70 dBFS: below the threshold, so nothing is measured.
        var quiet = analyzer.Analyse(Synth.Tone(1500, 0.0003 * 1.414), levels, heard);
        Assert.False(quiet.Audible);
        Assert.True(double.IsNaN(quiet.DominantHz));
        Assert.Equal(Goertzel.FloorDb, levels[1]);
        Assert.Equal([false, false], heard);
    }

    [Fact]
    public void Broadband_sound_is_loud_at_every_frequency_but_not_heard_as_any_tone()
    {
        var analyzer = new FrameAnalyzer([1000, 1500]);
        var levels = new double[2];
        var heard = new bool[2];
        // A sweep from 200 to 4,000 Hz within the frame: as a glitch does, it puts about as much energy at every
        // frequency of the band.
        var broadband = new short[960];
        for (int i = 0; i < broadband.Length; i++)
        {
            double t = i / 48_000.0;
            broadband[i] = (short)(0.5 * 32767 * Math.Sin(2 * Math.PI * (200 * t + 0.5 * (3800 / 0.02) * t * t)));
        }
        analyzer.Analyse(broadband, levels, heard);
        Assert.All(levels, l => Assert.True(l > -40, $"{l} dB"));
        Assert.Equal([false, false], heard);

        // Two tones 166 Hz apart (the closest room-mates) are both heard.
        analyzer = new FrameAnalyzer([1000, 1166]);
        analyzer.Analyse(Synth.Mix(960, (1000, 0.2, 0), (1166, 0.2, 1)), levels, heard);
        Assert.Equal([true, true], heard);
    }
}

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

    // The voice cluster tests' tones (tests/Cluster.Tests/VoiceClusterTests.cs, ToneOf): 18 tones on a 170 Hz grid from
    // 500 Hz (steps 0 to 11 and 18 to 23), every one of them a candidate for every member. 170 Hz is not a null of the 20 ms Hann window (those
    // lie every 50 Hz from 100 Hz on, so 150 Hz is the best case): a tone leaks into its neighbour's measure about
    // 41 dB below its own level, -55 dB at LoadGen's amplitude of 0.2, 15 dB under the -40 dB that counts as heard.
    private static readonly double[] ClusterTones =
        Enumerable.Range(0, 12).Concat(Enumerable.Range(18, 6)).Select(k => 500.0 + 170 * k).ToArray();

    [Theory]
    [InlineData(0.2, 0.3)] // LoadGen's default amplitude (VoiceSignal.DefaultAmplitude)
    [InlineData(0.2, 2.1)]
    [InlineData(0.5, 1.2)] // louder than any member sends
    public void Frame_analyzer_hears_each_of_the_cluster_tests_tones_170_Hz_apart_and_not_its_neighbours(double amplitude, double phase)
    {
        var analyzer = new FrameAnalyzer(ClusterTones);
        var levels = new double[ClusterTones.Length];
        var heard = new bool[ClusterTones.Length];
        for (int k = 0; k < ClusterTones.Length; k++)
        {
            analyzer.Analyse(Synth.Tone(ClusterTones[k], amplitude, phase: phase), levels, heard);
            Assert.Equal(Enumerable.Range(0, ClusterTones.Length).Select(i => i == k), heard);
            for (int i = 0; i < ClusterTones.Length; i++)
                if (i != k) Assert.True(levels[i] < analyzer.HeardLevelDb, $"{ClusterTones[i]} Hz at {levels[i]:F1} dB from a tone at {ClusterTones[k]} Hz");
        }
    }

    [Fact]
    public void Frame_analyzer_hears_two_neighbouring_cluster_tones_170_Hz_apart_together_and_not_theirs()
    {
        var analyzer = new FrameAnalyzer(ClusterTones);
        var levels = new double[ClusterTones.Length];
        var heard = new bool[ClusterTones.Length];
        for (int k = 0; k + 1 < ClusterTones.Length; k++)
        {
            // Two members of different rooms side by side on the grid, as when audio leaked between rooms.
            analyzer.Analyse(Synth.Mix(960, (ClusterTones[k], 0.2, 0.4), (ClusterTones[k + 1], 0.2, 2.5)), levels, heard);
            Assert.Equal(Enumerable.Range(0, ClusterTones.Length).Select(i => i == k || i == k + 1), heard);
            Assert.All(new[] { levels[k], levels[k + 1] }, l => Assert.InRange(l, -15, -13));
        }
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

using OpenChat.SimulatedClients.Measurement;
using Xunit;

namespace OpenChat.SimulatedClients.Tests.Measurement;

public sealed class GapDetectorTests
{
    private static readonly TimeSpan Slot = TimeSpan.FromMilliseconds(20);
    private static readonly TimeSpan Minimum = TimeSpan.FromMilliseconds(60);

    /// <summary>A timeline from a picture: '#' heard and expected, '.' expected but not heard, '_' neither, '+' heard unexpectedly.</summary>
    private static SlotFlags[] Timeline(string picture) => picture.Select(c => c switch
    {
        '#' => SlotFlags.Expected | SlotFlags.Heard,
        '.' => SlotFlags.Expected,
        '_' => SlotFlags.None,
        '+' => SlotFlags.Heard,
        _ => throw new ArgumentException(c.ToString()),
    }).ToArray();

    private static List<Gap> Find(string picture) => GapDetector.Find(Timeline(picture), Slot, Minimum);

    [Fact]
    public void Continuous_audio_has_no_gaps()
    {
        Assert.Empty(Find("##########################"));
    }

    [Fact]
    public void Holes_shorter_than_the_minimum_are_jitter()
    {
        Assert.Empty(Find("#####.####..#####.#.######"));
    }

    [Fact]
    public void A_silence_while_others_talk_is_a_gap_with_its_start_and_length()
    {
        var gap = Assert.Single(Find("#####..........##########"));
        Assert.Equal(TimeSpan.FromMilliseconds(100), gap.Start);
        Assert.Equal(TimeSpan.FromMilliseconds(200), gap.Duration);
        Assert.False(gap.Open);
    }

    [Fact]
    public void Silence_when_nobody_talks_is_not_a_gap()
    {
        Assert.Empty(Find("#####______________+++#####"));
    }

    [Fact]
    public void A_gap_runs_from_the_first_to_the_last_expected_slot_of_the_silence()
    {
        // Talk ends (no longer expected), nothing arrives, talk resumes but audio is late: only the expected part counts.
        var gap = Assert.Single(Find("#####__________....######"));
        Assert.Equal(TimeSpan.FromMilliseconds(300), gap.Start);
        Assert.Equal(TimeSpan.FromMilliseconds(80), gap.Duration);

        // An outage that spans a pause in the talking is one gap over the whole stretch.
        var spanning = Assert.Single(Find("###...____...###"));
        Assert.Equal(TimeSpan.FromMilliseconds(60), spanning.Start);
        Assert.Equal(TimeSpan.FromMilliseconds(200), spanning.Duration);
    }

    [Fact]
    public void A_silence_still_going_at_the_end_is_an_open_gap()
    {
        var gaps = Find("####....####.......");
        Assert.Equal(2, gaps.Count);
        Assert.False(gaps[0].Open);
        Assert.True(gaps[1].Open);
        Assert.Equal(TimeSpan.FromMilliseconds(140), gaps[1].Duration);
    }

    [Fact]
    public void Every_gap_is_reported_in_order()
    {
        var gaps = Find("##....##......##...##_...##");
        Assert.Equal([80, 120, 60, 60], gaps.Select(g => g.Duration.TotalMilliseconds));
        Assert.Equal([40, 160, 320, 440], gaps.Select(g => g.Start.TotalMilliseconds));
    }
}

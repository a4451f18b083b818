using OpenChat.SimulatedClients.Measurement;
using Xunit;

namespace OpenChat.SimulatedClients.Tests.Measurement;

/// <summary>Times in milliseconds (1,000 ticks a second); RTP at 48 kHz, 960 per 20 ms packet.</summary>
public sealed class PlayoutClockTests
{
    private static PlayoutClock Clock() => new(TimeSpan.FromMilliseconds(60), ticksPerSecond: 1000);

    [Fact]
    public void Packets_in_real_time_with_jitter_under_the_delay_never_run_it_dry()
    {
        var clock = Clock();
        var random = new Random(5);
        for (int k = 0; k < 1000; k++) clock.Arrive(20 * k + random.Next(0, 50), (uint)(960 * k), marker: false);
        Assert.Equal(0, clock.Underruns);
    }

    [Fact]
    public void A_sender_slower_than_real_time_runs_the_buffer_dry_again_and_again()
    {
        // Every packet sent, but 25 ms apart: 5 ms behind per packet, so 60 ms behind after 12 packets.
        var clock = Clock();
        for (int k = 0; k < 1000; k++) clock.Arrive(25 * k, (uint)(960 * k), marker: false);
        Assert.InRange(clock.Underruns, 1000 / 13 - 2, 1000 / 13 + 2);
    }

    [Fact]
    public void A_stall_longer_than_the_delay_is_one_underrun_and_the_timeline_restarts()
    {
        var clock = Clock();
        for (int k = 0; k < 50; k++) clock.Arrive(20 * k, (uint)(960 * k), marker: false);
        // 200 ms stall, then the backlog arrives at once and the stream goes on.
        for (int k = 50; k < 60; k++) clock.Arrive(20 * 60, (uint)(960 * k), marker: false);
        for (int k = 60; k < 200; k++) clock.Arrive(20 * k, (uint)(960 * k), marker: false);
        Assert.Equal(1, clock.Underruns);
    }

    [Fact]
    public void A_talkspurt_after_a_pause_starts_a_new_timeline_without_an_underrun()
    {
        var clock = Clock();
        for (int k = 0; k < 50; k++) clock.Arrive(20 * k, (uint)(960 * k), marker: false);
        // The mixer paused for a second; its timestamps kept time, and the first packet after carries the marker.
        for (int k = 100; k < 150; k++) clock.Arrive(20 * k + 30, (uint)(960 * k), marker: k == 100);
        Assert.Equal(0, clock.Underruns);
    }
}

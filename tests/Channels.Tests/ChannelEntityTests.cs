using OpenChat.Channels;
using Xunit;

namespace OpenChat.Channels.Tests;

/// <summary>The pauses before a failed channel is started again (the restarts themselves run in Cluster.Tests/JournalOutageTests).</summary>
public sealed class ChannelEntityTests
{
    [Theory]
    [InlineData(1, 500)]
    [InlineData(2, 1000)]
    [InlineData(3, 2000)]
    [InlineData(4, 4000)]
    [InlineData(5, 5000)]
    [InlineData(50, 5000)]
    public void The_pause_doubles_from_half_a_second_to_five_seconds_give_or_take_a_fifth(int failures, double middleMs)
    {
        Assert.Equal(middleMs * 0.8, ChannelEntity.Backoff(failures, 0).TotalMilliseconds, 3);
        Assert.Equal(middleMs, ChannelEntity.Backoff(failures, 0.5).TotalMilliseconds, 3);
        Assert.Equal(middleMs * 1.2, ChannelEntity.Backoff(failures, 1).TotalMilliseconds, 3);
    }
}

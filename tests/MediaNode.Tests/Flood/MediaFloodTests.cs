using OpenChat.MediaFlood;
using Xunit;
using Xunit.Abstractions;

namespace OpenChat.MediaNode.Tests.Flood;

/// <summary>
/// The media port under a flood during a live call: 100,000 datagrams at 20,000 per second from 65 source ports
/// (random bytes, and a real session's STUN, DTLS, SRTP and SRTCP replayed and mutated). <c>tools/MediaFlood</c>
/// runs the same flood with a million datagrams.
/// </summary>
[Collection(FloodCollection.Name)]
public sealed class MediaFloodTests(ITestOutputHelper output)
{
    [Fact]
    public async Task A_flood_at_the_media_port_leaves_the_call_intact_and_the_memory_where_it_was()
    {
        var result = await FloodRun.RunAsync(datagrams: 100_000, perSecond: 20_000);
        foreach (var line in result.Lines())
        {
            output.WriteLine(line);
        }

        Assert.Equal(0, result.ReceiveErrors);
        Assert.Empty(result.MemberSessionsClosed);
        Assert.Empty(result.OtherSessionsClosed);
        Assert.True(result.NewMemberConnected, "the endpoint no longer takes a new member");
        // Each member hears a mix every 20 ms; a run of more than 5 missing packets is a gap over 100 ms.
        Assert.All(result.Members, m => Assert.InRange(m.LongestMissingRun, 0, 5));
        Assert.All(result.Members, m => Assert.True(m.Heard >= 50, $"{m.Member} heard only {m.Heard} packets"));
        Assert.True(result.ManagedGrowthMiB < 10, $"managed memory grew by {result.ManagedGrowthMiB:0.0} MiB");
    }
}

/// <summary>The flood measures the whole process's memory: it runs alone.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class FloodCollection
{
    public const string Name = "flood";
}

using OpenChat.SimulatedClients;
using OpenChat.TestSupport;
using Xunit;
using Xunit.Abstractions;

namespace OpenChat.Cluster.Tests;

/// <summary>
/// A media node that cannot be reached for a few seconds (its process stopped with SIGSTOP, then let go on with
/// SIGCONT) while one of its rooms is in use: the channel places the room on the other node meanwhile, and the old
/// mixer, which comes back to an owner that is still alive, must stop rather than run on for nobody.
/// </summary>
[Collection(ProcessCollection.Name)]
public sealed class MixerLeaseClusterTests(ITestOutputHelper output) : IAsyncLifetime
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);
    private readonly VoiceCluster _cluster = new(output);
    private readonly List<SimulatedMember> _members = [];

    public Task InitializeAsync() => Task.CompletedTask;

    // The cluster's processes are resumed before they are killed, a paused one included.
    public async Task DisposeAsync()
    {
        foreach (var member in _members) await member.DisposeAsync();
        await _cluster.DisposeAsync();
    }

    [Fact]
    public async Task A_mixer_left_on_a_node_that_was_unreachable_for_a_few_seconds_is_stopped_once_the_node_is_back()
    {
        var gateway = await _cluster.StartSeedAsync();
        var (mediaA, nodeA) = await _cluster.StartMediaAsync("media-a");
        var (mediaB, nodeB) = await _cluster.StartMediaAsync("media-b");
        await _cluster.WaitForMediaNodesAsync(gateway, nodeA, nodeB);
        var channel = await _cluster.CreateVoiceChannelAsync(gateway, "Lease");

        var alice = new SimulatedMember(new SimulatedMemberOptions
        {
            Gateways = [gateway.BaseUrl],
            DisplayName = "Alice",
            ChannelId = channel,
            Signal = VoiceSignal.Tone(1000),
        });
        _members.Add(alice);
        await alice.StartAsync();
        string? first = null;
        await Probe.UntilAsync(async () => (first = (await _cluster.VoiceRoomsAsync(gateway)).GetValueOrDefault(channel)?.Node) is not null,
            Patience, "the room to have a mixer");
        var (victim, other) = first == nodeA ? (mediaA, nodeB) : (mediaB, nodeA);
        output.WriteLine($"room on {first}; stopping that node");

        // Unreachable just long enough for the channel to move the room; let go well before the cluster would
        // down the node (the split-brain resolver waits 20 s), so it rejoins with its old mixer.
        victim.Pause();
        await Probe.UntilAsync(async () => (await _cluster.VoiceRoomsAsync(gateway)).GetValueOrDefault(channel)?.Node == other,
            TimeSpan.FromSeconds(15), "the room to move to the other node");
        victim.Resume();
        output.WriteLine("room moved; node let go on");

        await _cluster.WaitForMediaNodesAsync(gateway, nodeA, nodeB);
        await Probe.UntilAsync(async () =>
        {
            var reports = await _cluster.MediaNodesAsync(gateway);
            var old = reports.Single(r => r.Node == first);
            output.WriteLine($"{DateTime.UtcNow:HH:mm:ss.f} {first}: {old.Rooms} rooms, {old.Members} members");
            return old.Rooms == 0;
        }, Patience, "the old node to stop the room's mixer");
        Assert.False(victim.HasExited);
        Assert.Equal(other, (await _cluster.VoiceRoomsAsync(gateway))[channel].Node);
    }
}

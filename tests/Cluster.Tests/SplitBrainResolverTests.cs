using OpenChat.TestSupport;
using Xunit;
using Xunit.Abstractions;

namespace OpenChat.Cluster.Tests;

/// <summary>
/// A network partition between the node that holds the channels and two gateways (made by freezing the channels node
/// with SIGSTOP): the split-brain resolver counts only <c>channels</c> nodes, so the two gateways, although more
/// numerous, are the side that goes, and the channels node with its state stays in the cluster.
/// </summary>
[Collection(ProcessCollection.Name)]
public sealed class SplitBrainResolverTests(ITestOutputHelper output) : IAsyncLifetime
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(120);
    private readonly VoiceCluster _cluster = new(output);

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync() => _cluster.DisposeAsync().AsTask();

    [Fact]
    public async Task Gateways_cut_off_from_the_channels_node_cannot_outvote_it()
    {
        var channels = await _cluster.StartSeedAsync(gateway: false);
        var gateway1 = await _cluster.StartGatewayAsync("gateway-1");
        var gateway2 = await _cluster.StartGatewayAsync("gateway-2");
        await using (var alice = await ChatClient.ConnectAsync(gateway1.BaseUrl, "Alice"))
            await alice.PostAsync("general", "before the partition");

        channels.Pause();
        try
        {
            await Probe.UntilAsync(() => Task.FromResult(gateway1.CountLines("SBR is downing") + gateway2.CountLines("SBR is downing") > 0),
                Patience, "the gateways' split-brain resolver to decide");
        }
        finally
        {
            channels.Resume();
        }
        var decision = string.Join('\n', new[] { gateway1, gateway2 }.SelectMany(g => g.Output.Split('\n')).Where(l => l.Contains("SBR is downing")));
        output.WriteLine($"decision on the gateways' side:\n{decision}");
        Assert.DoesNotContain($":{_cluster.SeedPort}", decision);

        // The gateways downed themselves; the channels node carries on, with its channels, for a new gateway.
        await Probe.UntilAsync(async () => !await gateway1.IsReadyAsync() && !await gateway2.IsReadyAsync(),
            Patience, "the downed gateways to leave");
        var gateway3 = await _cluster.StartGatewayAsync("gateway-3");
        Assert.True(await channels.IsReadyAsync(), "the channels node left the cluster");
        await using var bob = await ChatClient.ConnectAsync(gateway3.BaseUrl, "Bob");
        Assert.Equal(["before the partition"], (await bob.HistoryAsync("general")).Messages.Select(m => m.Text));
    }
}

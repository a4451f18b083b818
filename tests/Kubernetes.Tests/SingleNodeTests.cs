using OpenChat.Kubernetes.Tests.Manifests;
using OpenChat.Kubernetes.Tests.Simulation;
using OpenChat.SimulatedClients;
using OpenChat.SimulatedClients.Network;
using OpenChat.TestSupport;
using OpenChat.TestSupport.PodNetwork;
using Xunit;
using Xunit.Abstractions;

namespace OpenChat.Kubernetes.Tests;

/// <summary>The single-node overlay run as Kubernetes would: the all-in-one pod keeps its history on its volume.</summary>
[Collection(SimulatedNetworks.Name)]
public sealed class SingleNodeTests(ITestOutputHelper output)
{
    [Fact]
    public async Task The_all_in_one_pod_serves_text_and_voice_and_keeps_its_history_on_its_volume_across_a_restart()
    {
        await using var network = await SimulatedNetwork.CreateAsync(SimulatedNetwork.PrefixForProcess("ocs"));
        var node = new SimulatedNode("node-1", await network.AddHostAsync("node-1"));
        using var manifests = await RenderedManifests.RenderAsync("single-node");
        var clients = await network.AddHostAsync("clients", extraAddresses: 4);
        await using var kube = await SimulatedKubernetes.StartAsync(manifests, network, [node]);
        await kube.WaitUntilAllReadyAsync(TimeSpan.FromMinutes(3));
        var server = Assert.Single(kube.Pods);
        Assert.True(server.HostNetwork);
        Assert.Equal(node.Address.ToString(), server.Environment["OpenChat__Media__RtcAdvertisedAddress"]);
        var url = $"http://{kube.ServiceAddress("openchat-web")}";

        // Two voice members hear each other at the node's address; a message is stored.
        var lounge = "lounge";
        var members = new[] { 700, 1040 }.Select((tone, i) => new SimulatedMember(new SimulatedMemberOptions
        {
            Gateways = [url],
            DisplayName = $"m{i}",
            ChannelId = lounge,
            Signal = VoiceSignal.Tone(tone),
            CandidateFrequencies = [700, 1040],
            SourceAddress = clients.ExtraAddresses[i],
        })).ToArray();
        try
        {
            await Task.WhenAll(members.Select(m => m.StartAsync()));
            await members[0].WaitUntilHearingAsync([1040], TimeSpan.FromSeconds(60));
            await members[1].WaitUntilHearingAsync([700], TimeSpan.FromSeconds(60));
        }
        finally
        {
            foreach (var m in members) await m.DisposeAsync();
        }
        string text = "kept on the volume " + Guid.NewGuid().ToString("N")[..6];
        await using (var writer = await ChatClient.ConnectAsync(url, "Writer", source: clients.ExtraAddresses[2]))
        {
            await writer.OpenChannelAsync("general");
            await writer.PostAsync("general", text);
        }

        // The pod is deleted; the StatefulSet makes it again on the same claim, and the history is there.
        await kube.DeletePodAsync(server);
        Assert.Equal(0, server.ExitCode);
        await kube.WaitUntilAllReadyAsync(TimeSpan.FromMinutes(3));
        Assert.NotSame(server, Assert.Single(kube.Pods));
        await using var reader = await ChatClient.ConnectAsync(url, "Reader", source: clients.ExtraAddresses[3]);
        var view = await reader.OpenChannelAsync("general");
        Assert.Contains(view.Messages, m => m.Text == text);
        output.WriteLine($"{server.Name} replaced by {kube.Pods[0].Name}: the history on its claim was kept");
    }
}

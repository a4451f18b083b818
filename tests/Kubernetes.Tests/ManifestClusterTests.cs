using System.Net;
using OpenChat.Kubernetes.Tests.Simulation;
using Xunit;
using Xunit.Abstractions;

namespace OpenChat.Kubernetes.Tests;

/// <summary>
/// The cluster overlay's manifests, run as a Kubernetes cluster would run them (<see cref="SimulatedKubernetes"/>),
/// serve voice and text to clients that reach it only through the gateway Service and the media nodes' advertised
/// addresses, and survive what a cluster goes through: a node added, a media pod deleted, a channels pod killed,
/// the gateways rolled. The steps run in name order on one cluster.
/// </summary>
[TestCaseOrderer(ByNameOrderer.TypeName, ByNameOrderer.AssemblyName)]
public sealed class ManifestClusterTests(ManifestCluster cluster, ITestOutputHelper output) : IClassFixture<ManifestCluster>
{
    [Fact]
    public async Task A_every_pod_becomes_ready_as_declared_and_only_OpenChat_pods_and_nodes_reach_the_cluster_port()
    {
        var kube = cluster.Kube;
        Assert.Equal(3, kube.PodsOf("openchat-channels").Count);
        Assert.Equal(2, kube.PodsOf("openchat-gateway").Count);
        Assert.Single(kube.PodsOf("openchat-postgres"));
        var media = kube.PodsOf("openchat-media");
        Assert.Equal(["node-1", "node-2"], media.Select(p => p.Node.Name).Order());
        Assert.All(kube.Pods, p => Assert.True(p.Ready, p.Name));
        foreach (var pod in kube.Pods) output.WriteLine($"{pod}: ready, {pod.Restarts} restarts");

        // The containers got exactly what their manifests say: Downward API fields, Secret keys, $(VAR) references.
        var channels0 = kube.PodsOf("openchat-channels")[0];
        Assert.Equal("openchat-channels-0.openchat-channels.openchat.svc.cluster.local", channels0.Environment["OpenChat__Cluster__PublicHostname"]);
        Assert.StartsWith("Host=openchat-postgres;", channels0.Environment["OpenChat__Persistence__ConnectionString"]);
        Assert.Equal(media[0].Node.Address.ToString(), media[0].Environment["OpenChat__Media__RtcAdvertisedAddress"]);
        var gateway = kube.PodsOf("openchat-gateway")[0];
        Assert.Equal(gateway.Address.ToString(), gateway.Environment["OpenChat__Cluster__PublicHostname"]);

        // Each runs as the pod's user, without capabilities or a way to gain privileges.
        foreach (var pod in new[] { channels0, gateway, media[0] })
        {
            var status = await File.ReadAllLinesAsync($"/proc/{pod.Pid}/status");
            Assert.Contains(status, l => l.StartsWith("Uid:\t1654\t1654", StringComparison.Ordinal));
            Assert.Contains(status, l => l == "NoNewPrivs:\t1");
            Assert.Contains(status, l => l == "CapBnd:\t0000000000000000");
        }

        // The network policies, enforced: the cluster port admits OpenChat's pods and the nodes (host-network media
        // nodes connect from there), nothing else; the database admits the channels pods only.
        var wait = TimeSpan.FromSeconds(2);
        var postgres = kube.PodsOf("openchat-postgres")[0];
        Assert.True(await ManifestCluster.CanConnectAsync(gateway.Host, channels0.Address, 4053, wait), "gateway pod to a channels pod's cluster port");
        Assert.True(await ManifestCluster.CanConnectAsync(cluster.Nodes[0].Host, channels0.Address, 4053, wait), "a node (a media node's address) to the cluster port");
        Assert.False(await ManifestCluster.CanConnectAsync(cluster.Clients, channels0.Address, 4053, wait), "a client must not reach the cluster port");
        Assert.False(await ManifestCluster.CanConnectAsync(cluster.Clients, gateway.Address, 4053, wait), "a client must not reach a gateway's cluster port");
        Assert.True(await ManifestCluster.CanConnectAsync(channels0.Host, postgres.Address, 5432, wait), "channels to PostgreSQL");
        Assert.False(await ManifestCluster.CanConnectAsync(gateway.Host, postgres.Address, 5432, wait), "a gateway must not reach PostgreSQL");
        Assert.False(await ManifestCluster.CanConnectAsync(cluster.Clients, postgres.Address, 5432, wait), "a client must not reach PostgreSQL");
        Assert.True(await ManifestCluster.CanConnectAsync(cluster.Clients, gateway.Address, 8080, wait), "the web port is open (the ingress)");

        // Clients reach the gateways through the Service.
        using var http = OpenChat.SimulatedClients.Network.SourceAddress.HttpClient(cluster.NextClientAddress());
        Assert.Contains("\"general\"", await http.GetStringAsync(cluster.GatewayUrl + "/api/info"));
    }
}

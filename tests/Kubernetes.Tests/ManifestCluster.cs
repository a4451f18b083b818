using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text;
using k8s.Models;
using OpenChat.Kubernetes.Tests.Manifests;
using OpenChat.Kubernetes.Tests.Simulation;
using OpenChat.SimulatedClients.Network;
using OpenChat.TestSupport;
using OpenChat.TestSupport.PodNetwork;
using Xunit;

namespace OpenChat.Kubernetes.Tests;

/// <summary>
/// The cluster overlay, rendered as an operator renders it and run by <see cref="SimulatedKubernetes"/> on six nodes
/// (node-1 and node-2 labelled for media at the start), with a client namespace whose addresses stand for users on
/// the internet. Shared by the tests of one class, which run in name order.
/// </summary>
public sealed class ManifestCluster : IAsyncLifetime
{
    public const string MediaLabel = "openchat.io/media";
    private int _nextClient;

    public SimulatedNetwork Network { get; private set; } = null!;
    public SimulatedKubernetes Kube { get; private set; } = null!;
    public RenderedManifests Manifests { get; private set; } = null!;
    public NetHost Clients { get; private set; } = null!;
    public IReadOnlyList<SimulatedNode> Nodes { get; private set; } = [];
    public string AdminKey { get; private set; } = "";
    /// <summary>The gateway Service as clients reach it (its ClusterIP, port 80).</summary>
    public string GatewayUrl { get; private set; } = "";
    public HttpClient Admin { get; private set; } = null!;

    [DllImport("libc")]
    private static extern uint geteuid();

    public async Task InitializeAsync()
    {
        if (geteuid() != 0)
            throw new InvalidOperationException("The manifest-driven cluster test makes network namespaces and mounts: run the suite as root (./test.sh does on CI).");
        Network = await SimulatedNetwork.CreateAsync(SimulatedNetwork.PrefixForProcess("ocm"));
        // The nodes first, so their addresses form one small network an operator can name (NODE_CIDR).
        var nodes = new List<SimulatedNode>();
        for (var i = 1; i <= 6; i++) nodes.Add(new SimulatedNode($"node-{i}", await Network.AddHostAsync($"node-{i}")));
        foreach (var node in nodes.Take(2)) node.Labels[MediaLabel] = "true";
        Nodes = nodes;
        var cidr = SimulatedKubernetes.NodeCidr(nodes.Select(n => n.Address));
        Manifests = await RenderedManifests.RenderAsync("cluster", new OperatorSettings { NodeCidr = cidr });
        Clients = await Network.AddHostAsync("clients", extraAddresses: 80);
        Assert.DoesNotContain(Clients.ExtraAddresses.Append(Clients.Address), a => InNetwork(a, cidr));
        Kube = await SimulatedKubernetes.StartAsync(Manifests, Network, nodes);
        await Kube.WaitUntilAllReadyAsync(TimeSpan.FromMinutes(4));
        AdminKey = Encoding.UTF8.GetString(Manifests.Generated<V1Secret>("openchat-auth").Data["admin-key"]);
        GatewayUrl = $"http://{Kube.ServiceAddress("openchat-web")}";
        Admin = SourceAddress.HttpClient(NextClientAddress());
        Admin.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", AdminKey);
        await WaitForMediaNodesAsync(2);
    }

    /// <summary>A client address of its own for the next simulated user.</summary>
    public IPAddress NextClientAddress() => Clients.ExtraAddresses[Interlocked.Increment(ref _nextClient) - 1];

    public sealed record MediaNodeDto(string Node, int Rooms, int Members, int MaxMembers, bool Draining, DateTimeOffset ReportedAt);

    public sealed record VoiceMemberDto(string UserId, string DisplayName);

    public sealed record VoiceRoomDto(string ChannelId, string? Node, VoiceMemberDto[] Members);

    public async Task<MediaNodeDto[]> MediaNodesAsync() => (await Admin.GetFromJsonAsync<MediaNodeDto[]>(GatewayUrl + "/api/admin/media"))!;

    public async Task<Dictionary<string, VoiceRoomDto>> VoiceRoomsAsync() =>
        (await Admin.GetFromJsonAsync<VoiceRoomDto[]>(GatewayUrl + "/api/admin/voice"))!.ToDictionary(r => r.ChannelId);

    /// <summary>The cluster address a media node on <paramref name="node"/> has (host network: the node's address).</summary>
    public static bool IsOn(string? clusterAddress, SimulatedNode node) => clusterAddress?.Contains($"@{node.Address}:", StringComparison.Ordinal) == true;

    public Task WaitForMediaNodesAsync(int count) =>
        Kube.WaitUntilAsync(() =>
        {
            try
            {
                var reports = MediaNodesAsync().GetAwaiter().GetResult();
                return reports.Length == count && reports.All(r => !r.Draining && DateTimeOffset.UtcNow - r.ReportedAt < TimeSpan.FromSeconds(5));
            }
            catch (HttpRequestException) { return false; }
            catch (TaskCanceledException) { return false; }
        }, TimeSpan.FromSeconds(90), $"{count} media nodes to report to placement");

    public async Task<string> CreateChannelAsync(string name, string kind)
    {
        using var response = await Admin.PostAsJsonAsync(GatewayUrl + "/api/admin/channels", new { name, kind, topic = "" });
        response.EnsureSuccessStatusCode();
        var id = (await response.Content.ReadFromJsonAsync<System.Text.Json.JsonElement>()).GetProperty("id").GetString()!;
        // Every gateway learns of it from the directory; wait until the Service's answer lists it however often asked.
        await Kube.WaitUntilAsync(() => Enumerable.Range(0, 4).All(_ =>
            Admin.GetStringAsync(GatewayUrl + "/api/info").GetAwaiter().GetResult().Contains($"\"{id}\"", StringComparison.Ordinal)),
            TimeSpan.FromSeconds(30), $"every gateway to list {id}");
        return id;
    }

    /// <summary>Opens a TCP connection from a socket made in <paramref name="from"/>'s namespace; false when it is refused or dropped.</summary>
    public static async Task<bool> CanConnectAsync(NetHost from, IPAddress to, int port, TimeSpan wait)
    {
        using var socket = from.InNamespace(() => new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp));
        using var cts = new CancellationTokenSource(wait);
        try
        {
            await socket.ConnectAsync(new IPEndPoint(to, port), cts.Token);
            return true;
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException)
        {
            return false;
        }
    }

    /// <summary>A query of the journal, from a channels pod (the only pods the database admits), with psql.</summary>
    public async Task<string> QueryDatabaseAsync(string sql)
    {
        var pod = Kube.PodsOf("openchat-channels").First(p => p.Ready);
        var password = Encoding.UTF8.GetString(Manifests.Generated<V1Secret>("openchat-postgres").Data["password"]);
        var result = await pod.Host.RunAsync("env", [$"PGPASSWORD={password}", "psql", "-h", "openchat-postgres", "-U", "openchat", "-d", "openchat", "-tAc", sql]);
        Assert.True(result.ExitCode == 0, $"psql: {result.StandardError}");
        return result.StandardOutput.Trim();
    }

    /// <summary>A pod's metric from its own management port (read from inside its namespace, as a node's Prometheus would).</summary>
    public static async Task<double?> MetricAsync(SimulatedPod pod, string name, params (string Label, string Value)[] labels)
    {
        var port = pod.ResolvePort("management");
        using var http = new HttpClient(new SocketsHttpHandler
        {
            UseProxy = false,
            ConnectCallback = async (context, token) =>
            {
                var socket = pod.Host.InNamespace(() => new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp));
                await socket.ConnectAsync(new IPEndPoint(pod.Address, port), token);
                return new NetworkStream(socket, ownsSocket: true);
            },
        }) { Timeout = TimeSpan.FromSeconds(10) };
        return PrometheusText.Value(await http.GetStringAsync($"http://{pod.Address}:{port}/metrics"), name, labels);
    }

    private static bool InNetwork(IPAddress address, string cidr) => IPNetwork.Parse(cidr).Contains(address);

    /// <summary>A voice room of simulated members, each sending its own tone.</summary>
    public sealed record Room(string ChannelId, OpenChat.SimulatedClients.SimulatedMember[] Members, int[] Tones);

    /// <summary>The rooms the steps started so far, still talking.</summary>
    public List<Room> Rooms { get; } = [];

    /// <summary>Messages the steps stored in the text channel, oldest first (id, text).</summary>
    public List<(long Id, string Text)> Posted { get; } = [];

    public async Task StopMembersAsync()
    {
        await Task.WhenAll(Rooms.SelectMany(r => r.Members).Select(m => m.DisposeAsync().AsTask()));
        Rooms.Clear();
    }

    public async Task DisposeAsync()
    {
        // Each part is taken down even when one before it fails (a member left in a broken state, say): the pods'
        // processes, namespaces and folders must never outlive the test.
        try
        {
            await StopMembersAsync();
        }
        finally
        {
            try
            {
                Admin?.Dispose();
                if (Kube is not null) await Kube.DisposeAsync();
            }
            finally
            {
                try
                {
                    if (Network is not null) await Network.DisposeAsync();
                }
                finally
                {
                    Manifests?.Dispose();
                }
            }
        }
    }
}

/// <summary>Runs a class's tests in the order of their names (they share one cluster and change it step by step).</summary>
public sealed class ByNameOrderer : Xunit.Sdk.ITestCaseOrderer
{
    public const string TypeName = "OpenChat.Kubernetes.Tests.ByNameOrderer";
    public const string AssemblyName = "OpenChat.Kubernetes.Tests";

    public IEnumerable<TTestCase> OrderTestCases<TTestCase>(IEnumerable<TTestCase> testCases) where TTestCase : Xunit.Abstractions.ITestCase =>
        testCases.OrderBy(t => t.TestMethod.Method.Name, StringComparer.Ordinal);
}

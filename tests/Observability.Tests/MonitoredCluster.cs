using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using OpenChat.TestSupport;
using Xunit;

namespace OpenChat.Observability.Tests;

/// <summary>
/// Three real server processes on 127.0.0.1 — a seed running the channels and a gateway, and two media nodes — each
/// with its management listener open, and a real Prometheus scraping all three every second with the shipped alert
/// rules loaded. Shared by the tests of one class, which run in name order (<see cref="ByNameOrderer"/>).
/// </summary>
public sealed class MonitoredCluster : IAsyncLifetime
{
    public const string AdminKey = "monitoring-admin-key-0123456789abcdefghij";

    private readonly string _signingKey = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
    private readonly List<ServerProcess> _processes = [];
    private readonly int _seedPort = Probe.FreeTcpPort();

    public HttpClient Admin { get; } = new() { Timeout = TimeSpan.FromSeconds(15) };
    public ServerProcess Seed { get; private set; } = null!;
    public ServerProcess MediaA { get; private set; } = null!;
    public ServerProcess MediaB { get; private set; } = null!;
    public int MediaBPort { get; private set; }
    public PrometheusServer Prometheus { get; private set; } = null!;

    /// <summary>The cluster address of the node whose remoting listens on <paramref name="port"/>.</summary>
    public static string NodeAddress(int port) => $"akka.tcp://openchat@127.0.0.1:{port}";

    public async Task InitializeAsync()
    {
        Admin.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", AdminKey);
        Seed = await StartAsync("seed", ["channels", "gateway"], _seedPort);
        MediaA = await StartAsync("media-a", ["media"], Probe.FreeTcpPort());
        MediaBPort = Probe.FreeTcpPort();
        MediaB = await StartAsync("media-b", ["media"], MediaBPort);
        Prometheus = await PrometheusServer.StartAsync(
            [(Target(Seed), "channels"), (Target(MediaA), "media"), (Target(MediaB), "media")],
            Path.Combine(RepoPaths.Root, "deploy", "prometheus", "alerts.yml"));
        await Probe.UntilAsync(async () => (await Prometheus.TargetsAsync()).Count(t => t.Health == "up") == 3,
            TimeSpan.FromSeconds(30), "Prometheus to scrape all three nodes");
    }

    private static string Target(ServerProcess process) => new Uri(process.ManagementUrl!).Authority;

    private async Task<ServerProcess> StartAsync(string name, string[] roles, int port)
    {
        var process = StartNode(name, roles, port, _seedPort, _signingKey,
            new Dictionary<string, string> { ["OpenChat__Management__Port"] = Probe.FreeTcpPort().ToString() });
        _processes.Add(process);
        await process.WaitReadyAsync(TimeSpan.FromSeconds(90));
        return process;
    }

    /// <summary>Starts a node of a loopback cluster seeded at <paramref name="seedPort"/>, with the admin key and <paramref name="settings"/>.</summary>
    public static ServerProcess StartNode(string name, string[] roles, int port, int seedPort, string signingKey, IDictionary<string, string> settings)
    {
        var env = new Dictionary<string, string>
        {
            ["OpenChat__DataDirectory"] = Probe.NewTempDirectory("monitored-" + name),
            ["OpenChat__Cluster__Port"] = port.ToString(),
            ["OpenChat__Cluster__SeedNodes__0"] = NodeAddress(seedPort),
            ["OpenChat__Auth__SigningKey"] = signingKey,
            ["OpenChat__Auth__AdminKey"] = AdminKey,
            ["OpenChat__Media__LoadReportInterval"] = "00:00:00.500",
        };
        for (var i = 0; i < roles.Length; i++) env[$"OpenChat__Roles__{i}"] = roles[i];
        foreach (var (k, v) in settings) env[k] = v;
        return ServerProcess.Start(name, env);
    }

    /// <summary>The gateway's admin view of the cluster.</summary>
    public async Task<ClusterView> ClusterAsync() => (await Admin.GetFromJsonAsync<ClusterView>(Seed.BaseUrl + "/api/admin/cluster"))!;

    public sealed record ClusterMember(string Address, string[] Roles, string Status, bool Reachable, DateTimeOffset? UpSince);

    public sealed record ShardAllocation(string Node, int Shards, int Entities);

    public sealed record MediaNode(string Node, int Rooms, int Members);

    public sealed record ClusterView(string Self, string? Leader, ClusterMember[] Members, ShardAllocation[] Shards, bool ShardsComplete, MediaNode[] MediaNodes);

    public string Logs => string.Join("\n", _processes.Select(p => $"--- {p.Name} ---\n{string.Join('\n', p.Output.Split('\n').TakeLast(40))}"))
        + (Prometheus is null ? "" : "\n--- prometheus ---\n" + Prometheus.Output);

    public async Task DisposeAsync()
    {
        if (Prometheus is not null) await Prometheus.DisposeAsync();
        foreach (var process in _processes) await process.DisposeAsync();
        Admin.Dispose();
    }
}

/// <summary>Runs a class's tests in the order of their names (they share one cluster, and the last one kills a node).</summary>
public sealed class ByNameOrderer : Xunit.Sdk.ITestCaseOrderer
{
    public const string TypeName = "OpenChat.Observability.Tests.ByNameOrderer";
    public const string AssemblyName = "OpenChat.Observability.Tests";

    public IEnumerable<TTestCase> OrderTestCases<TTestCase>(IEnumerable<TTestCase> testCases) where TTestCase : Xunit.Abstractions.ITestCase =>
        testCases.OrderBy(t => t.TestMethod.Method.Name, StringComparer.Ordinal);
}

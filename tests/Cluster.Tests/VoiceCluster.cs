using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using OpenChat.TestSupport;
using Xunit.Abstractions;

namespace OpenChat.Cluster.Tests;

/// <summary>
/// A cluster of real server processes on 127.0.0.1: a seed that runs the channels (and, unless told otherwise, a
/// gateway), further gateways, and media nodes. Every node is addressed by the port it was given, so a test
/// knows which process a room's mixer runs in.
/// </summary>
public sealed class VoiceCluster : IAsyncDisposable
{
    public const string AdminKey = "cluster-admin-key-0123456789abcdefghij";

    private readonly ITestOutputHelper _output;
    private readonly string _signingKey = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
    private readonly List<ServerProcess> _processes = new();
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(15) };
    private readonly int _seedPort = Probe.FreeTcpPort();

    public VoiceCluster(ITestOutputHelper output)
    {
        _output = output;
        _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", AdminKey);
    }

    public string Seed => $"akka.tcp://openchat@127.0.0.1:{_seedPort}";

    public int SeedPort => _seedPort;

    /// <summary>The cluster address of the node listening on <paramref name="port"/>.</summary>
    public static string NodeAddress(int port) => $"akka.tcp://openchat@127.0.0.1:{port}";

    /// <summary>Starts the seed: the channels role with its SQLite journal, and a gateway when <paramref name="gateway"/>.</summary>
    public Task<ServerProcess> StartSeedAsync(bool gateway = true) =>
        StartAsync("seed", gateway ? ["channels", "gateway"] : ["channels"], _seedPort);

    public Task<ServerProcess> StartGatewayAsync(string name) => StartAsync(name, ["gateway"], Probe.FreeTcpPort());

    /// <summary>Starts a media node; its cluster address is <see cref="NodeAddress"/> of the returned port.</summary>
    public async Task<(ServerProcess Process, string Node)> StartMediaAsync(string name, IDictionary<string, string>? settings = null)
    {
        var port = Probe.FreeTcpPort();
        var process = await StartAsync(name, ["media"], port, settings);
        return (process, NodeAddress(port));
    }

    private async Task<ServerProcess> StartAsync(string name, string[] roles, int port, IDictionary<string, string>? settings = null)
    {
        var env = new Dictionary<string, string>
        {
            ["OpenChat__DataDirectory"] = Probe.NewTempDirectory("voice-" + name),
            ["OpenChat__Cluster__Port"] = port.ToString(),
            ["OpenChat__Cluster__SeedNodes__0"] = Seed,
            ["OpenChat__Auth__SigningKey"] = _signingKey,
            ["OpenChat__Auth__AdminKey"] = AdminKey,
            ["OpenChat__Media__LoadReportInterval"] = "00:00:00.500",
        };
        for (var i = 0; i < roles.Length; i++) env[$"OpenChat__Roles__{i}"] = roles[i];
        if (settings is not null)
        {
            foreach (var (k, v) in settings) env[k] = v;
        }
        var process = ServerProcess.Start(name, env);
        _processes.Add(process);
        await process.WaitReadyAsync(TimeSpan.FromSeconds(90));
        return process;
    }

    /// <summary>Creates a voice channel through the admin API of <paramref name="gateway"/>; returns its id.</summary>
    public async Task<string> CreateVoiceChannelAsync(ServerProcess gateway, string name) =>
        (await AdminApi.CreateChannelAsync(gateway.BaseUrl, AdminKey, name, "voice")).Id;

    /// <summary>Which media node each voice room's mixer runs on, as the channels report it.</summary>
    public async Task<Dictionary<string, VoiceRoomDto>> VoiceRoomsAsync(ServerProcess gateway)
    {
        var rooms = await _http.GetFromJsonAsync<VoiceRoomDto[]>(gateway.BaseUrl + "/api/admin/voice");
        return rooms!.ToDictionary(r => r.ChannelId);
    }

    /// <summary>The media nodes' load reports as a gateway sees them.</summary>
    public async Task<MediaNodeDto[]> MediaNodesAsync(ServerProcess gateway) =>
        (await _http.GetFromJsonAsync<MediaNodeDto[]>(gateway.BaseUrl + "/api/admin/media"))!;

    /// <summary>Waits until <paramref name="gateway"/> sees exactly these media nodes report, none draining.</summary>
    public Task WaitForMediaNodesAsync(ServerProcess gateway, params string[] nodes) =>
        Probe.UntilAsync(async () =>
        {
            var reports = await MediaNodesAsync(gateway);
            return reports.Select(r => r.Node).Order().SequenceEqual(nodes.Order())
                && reports.All(r => !r.Draining && DateTimeOffset.UtcNow - r.ReportedAt < TimeSpan.FromSeconds(3));
        }, TimeSpan.FromSeconds(30), $"media nodes {string.Join(", ", nodes)} to report");

    public async ValueTask DisposeAsync()
    {
        foreach (var process in _processes)
        {
            _output.WriteLine($"--- {process.Name} ---\n{Tail(process.Output, 60)}");
            await process.DisposeAsync();
        }
        _http.Dispose();
    }

    private static string Tail(string text, int lines) => string.Join('\n', text.Split('\n').TakeLast(lines));

    public sealed record VoiceRoomDto(string ChannelId, string? Node, VoiceMemberDto[] Members);

    public sealed record MediaNodeDto(string Node, int Rooms, int Members, int MaxMembers, double MixCpuPercent, double TickP99Ms,
        long LateTicks, bool Draining, DateTimeOffset ReportedAt);
}

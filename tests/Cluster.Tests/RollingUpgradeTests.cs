using System.Diagnostics;
using System.Security.Cryptography;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;
using OpenChat.SimulatedClients;
using OpenChat.SimulatedClients.Network;
using OpenChat.TestSupport;
using Xunit;
using Xunit.Abstractions;

namespace OpenChat.Cluster.Tests;

/// <summary>
/// A rolling update runs the previous release and this build in one cluster at once: every message between nodes,
/// and everything one build stored, must be understood by the other. The previous release is the commit named in
/// <c>deploy/compatibility/previous-release</c>, built from this clone (cached under <c>.artifacts/</c>). The
/// cluster shares a throwaway PostgreSQL journal, as a real multi-node deployment does.
/// </summary>
[Collection(ProcessCollection.Name)]
public sealed class RollingUpgradeTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const string AdminKey = "upgrade-admin-key-0123456789abcdefghijkl";
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);
    private readonly string _signingKey = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
    private readonly List<ServerProcess> _processes = [];
    private readonly List<IAsyncDisposable> _clients = [];
    private PostgresServer? _postgres;

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var client in _clients) await client.DisposeAsync();
        foreach (var process in _processes)
        {
            output.WriteLine($"--- {process.Name} ---\n{string.Join('\n', process.Output.Split('\n').TakeLast(40))}");
            await process.DisposeAsync();
        }
        if (_postgres is not null) await _postgres.DisposeAsync();
    }

    private ServerProcess Start(string name, string role, int port, string[] seeds, string? serverDll)
    {
        var env = new Dictionary<string, string>
        {
            ["OpenChat__Roles__0"] = role,
            ["OpenChat__DataDirectory"] = Probe.NewTempDirectory("upgrade-" + name),
            ["OpenChat__Cluster__Port"] = port.ToString(),
            ["OpenChat__Persistence__Provider"] = "PostgreSql",
            ["OpenChat__Persistence__ConnectionString"] = _postgres!.ConnectionString,
            ["OpenChat__Auth__SigningKey"] = _signingKey,
            ["OpenChat__Auth__AdminKey"] = AdminKey,
            ["OpenChat__Media__LoadReportInterval"] = "00:00:00.500",
            // Snapshots every 10 messages, so the new build also recovers from snapshots the old one wrote.
            ["OpenChat__Channels__SnapshotEvery"] = "10",
            ["OpenChat__Gateway__PostsPerWindow"] = "1000",
            ["OpenChat__Gateway__UserPostsPerWindow"] = "1000",
            ["OpenChat__Channels__PostsPerUserWindow"] = "1000",
        };
        for (var i = 0; i < seeds.Length; i++) env[$"OpenChat__Cluster__SeedNodes__{i}"] = seeds[i];
        var process = ServerProcess.Start(name, env, serverDll);
        _processes.Add(process);
        return process;
    }

    private async Task<ChatClient> ConnectAsync(ServerProcess gateway, string name)
    {
        var client = await ChatClient.ConnectAsync(gateway.BaseUrl, name, source: SourceAddress.Next());
        _clients.Add(client);
        await client.OpenChannelAsync("general");
        return client;
    }

    /// <summary>
    /// Posts, retrying with the same nonce while the channel answers <c>unavailable</c> (its shard moving between
    /// nodes); then waits until <paramref name="reader"/> is pushed that very message.
    /// </summary>
    private static async Task<MessageDto> PostAndDeliverAsync(ChatClient writer, ChatClient reader, string text)
    {
        var nonce = ChatClient.NewNonce();
        MessageDto? posted = null;
        await Probe.UntilAsync(async () =>
        {
            try
            {
                posted = await writer.PostAsync("general", text, nonce);
                return true;
            }
            catch (HubException e) when (e.Message.Contains("unavailable"))
            {
                return false;
            }
        }, Patience, $"the post '{text}' to be stored");
        MessageDto pushed;
        do pushed = await reader.NextMessageAsync(Patience);
        while (pushed.Id < posted!.Id);
        Assert.Equal(posted, pushed);
        return posted;
    }

    /// <summary>Two simulated members join <paramref name="channel"/>, one through each gateway, and hear each other.</summary>
    private async Task VoiceThroughAsync(ServerProcess first, ServerProcess second, string channel, string phase)
    {
        int[] tones = [700, 1100];
        var members = new[] { first, second }.Select((gateway, i) => new SimulatedMember(new SimulatedMemberOptions
        {
            Gateways = [gateway.BaseUrl],
            DisplayName = $"{phase}-{gateway.Name}",
            ChannelId = channel,
            Signal = VoiceSignal.Tone(tones[i]),
            CandidateFrequencies = tones.Select(t => (double)t).ToArray(),
            SourceAddress = SourceAddress.Next(),
        })).ToArray();
        try
        {
            await Task.WhenAll(members.Select(m => m.StartAsync()));
            await Task.WhenAll(members.Select((m, i) => m.WaitUntilHearingAsync([(double)tones[1 - i]], Patience)));
            foreach (var member in members)
            {
                var heard = member.Stats.HeardFrequencies.Select(f => (int)Math.Round(f.FrequencyHz)).ToArray();
                output.WriteLine($"{phase}: {member.DisplayName} hears [{string.Join(", ", heard)}] Hz");
                Assert.False(member.Stats.HeardOwnTone, $"{member.DisplayName} hears itself");
            }
            foreach (var member in members) await member.LeaveVoiceAsync();
        }
        finally
        {
            foreach (var member in members) await member.DisposeAsync();
        }
    }

    /// <summary>The snapshots in the journal database, as <c>persistence id @ sequence number</c>.</summary>
    private async Task<List<string>> SnapshotsAsync()
    {
        await using var connection = new Npgsql.NpgsqlConnection(_postgres!.ConnectionString);
        await connection.OpenAsync();
        await using var command = new Npgsql.NpgsqlCommand("SELECT persistence_id, sequence_number FROM snapshot ORDER BY 1, 2", connection);
        await using var reader = await command.ExecuteReaderAsync();
        var result = new List<string>();
        while (await reader.ReadAsync()) result.Add($"{reader.GetString(0)} @ {reader.GetInt64(1)}");
        return result;
    }

    private static (long, string, string, string) Key(MessageDto m) => (m.Id, m.AuthorId, m.AuthorName, m.Text);

    private static async Task<MessageDto[]> GeneralHistoryAsync(ChatClient client)
    {
        var page = await client.HistoryAsync("general", null, 100);
        Assert.False(page.HasMore);
        return page.Messages.OrderBy(m => m.Id).ToArray();
    }

    [Fact]
    public async Task The_previous_release_and_this_build_serve_one_cluster_and_a_channels_node_replaced_by_this_build_carries_on_its_history()
    {
        var watch = Stopwatch.StartNew();
        var oldServer = await PreviousRelease.ServerDllAsync(output.WriteLine);
        output.WriteLine($"[{watch.Elapsed.TotalSeconds:0.0} s] previous release {PreviousRelease.Commit()[..12]} ready");
        _postgres = await PostgresServer.StartAsync();

        // Both seeds are nodes that stay for a while: the old channels node founds the cluster, and the new gateway
        // lets the replacement channels node join once the old one has gone.
        var channelsOldPort = Probe.FreeTcpPort();
        var gatewayNewPort = Probe.FreeTcpPort();
        string[] seeds = [VoiceCluster.NodeAddress(channelsOldPort), VoiceCluster.NodeAddress(gatewayNewPort)];
        var channelsOld = Start("channels-old", "channels", channelsOldPort, seeds, oldServer);
        var gatewayNew = Start("gateway-new", "gateway", gatewayNewPort, seeds, null);
        var gatewayOld = Start("gateway-old", "gateway", Probe.FreeTcpPort(), seeds, oldServer);
        var mediaNew = Start("media-new", "media", Probe.FreeTcpPort(), seeds, null);
        await Task.WhenAll(new[] { channelsOld, gatewayNew, gatewayOld, mediaNew }.Select(p => p.WaitReadyAsync(TimeSpan.FromSeconds(90))));
        output.WriteLine($"[{watch.Elapsed.TotalSeconds:0.0} s] old channels, new and old gateway, new media node ready");

        // 1. Text through both gateways, stored by the old channels node: each side is pushed the other's posts.
        var alice = await ConnectAsync(gatewayNew, "Alice");
        var bob = await ConnectAsync(gatewayOld, "Bob");
        var written = new List<MessageDto>();
        for (var i = 0; i < 6; i++)
        {
            written.Add(await PostAndDeliverAsync(alice, bob, $"new gateway, old channels {i}"));
            written.Add(await PostAndDeliverAsync(bob, alice, $"old gateway, old channels {i}"));
        }
        var room = (await AdminApi.CreateChannelAsync(gatewayNew.BaseUrl, AdminKey, "Upgrade Room", "voice")).Id;
        output.WriteLine($"[{watch.Elapsed.TotalSeconds:0.0} s] 12 posts across versions, voice channel {room} created");

        // 2. Voice: a member through each gateway, the old channels node placing the room on the new media node.
        await VoiceThroughAsync(gatewayNew, gatewayOld, room, "old channels");
        output.WriteLine($"[{watch.Elapsed.TotalSeconds:0.0} s] voice through old channels and new media");

        // The old build wrote a snapshot of the channel as well as its events; the new one will recover from both.
        var snapshots = await SnapshotsAsync();
        output.WriteLine($"snapshots written by the previous release: {string.Join(", ", snapshots)}");
        Assert.Contains(snapshots, s => s.Contains("general", StringComparison.Ordinal));

        // 3. The rolling step: a new channels node joins (old and new share the shards for a moment), then the
        //    old one gets SIGTERM, hands its shards and the directory over, and exits cleanly.
        var channelsNew = Start("channels-new", "channels", Probe.FreeTcpPort(), seeds, null);
        await channelsNew.WaitReadyAsync(TimeSpan.FromSeconds(90));
        Assert.Equal(0, await channelsOld.StopAsync());
        output.WriteLine($"[{watch.Elapsed.TotalSeconds:0.0} s] channels node replaced by this build");

        // 4. What the old build stored (events and snapshots), read by the new one, through either gateway.
        written.Add(await PostAndDeliverAsync(alice, bob, "new gateway, new channels"));
        written.Add(await PostAndDeliverAsync(bob, alice, "old gateway, new channels"));
        Assert.Equal(written.Select(Key), (await GeneralHistoryAsync(alice)).Select(Key));
        Assert.Equal(written.Select(Key), (await GeneralHistoryAsync(bob)).Select(Key));
        foreach (var client in new[] { alice, bob })
        {
            var channels = await client.Connection.InvokeAsync<ChannelDto[]>("GetChannels");
            Assert.Contains(channels, c => c.Id == room && c.Kind == "voice");
        }
        // A reader connecting now recovers the channel from the journal in full.
        var carol = await ConnectAsync(gatewayOld, "Carol");
        Assert.Equal(written.Select(Key), (await GeneralHistoryAsync(carol)).Select(Key));

        // 5. Voice again, the room now owned by the new channels node, joined through the old and the new gateway.
        await VoiceThroughAsync(gatewayOld, gatewayNew, room, "new channels");
        output.WriteLine($"[{watch.Elapsed.TotalSeconds:0.0} s] voice through new channels; done");
    }
}

using System.Globalization;
using System.Net;
using System.Text.Json;
using Microsoft.Playwright;
using OpenChat.SimulatedClients;
using OpenChat.SimulatedClients.Network;
using OpenChat.TestSupport;
using Xunit;
using Xunit.Abstractions;

namespace OpenChat.Observability.Tests;

/// <summary>
/// How an operator sees the service: a real Prometheus scrapes a three-process cluster while simulated members talk
/// and text is posted; what Prometheus reports must agree with what the test did, every dashboard query must return
/// data, and killing a media node must fire the unreachable-member alert.
/// </summary>
[Collection(MonitoringCollection.Name)]
[TestCaseOrderer(ByNameOrderer.TypeName, ByNameOrderer.AssemblyName)]
public sealed class MonitoringTests(MonitoredCluster cluster, ITestOutputHelper output) : IClassFixture<MonitoredCluster>, IAsyncLifetime
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);
    /// <summary>Writers, each posting <see cref="PostsPerWriter"/> messages (a user may post 5 in 5 s).</summary>
    private const int Writers = 4;
    private const int PostsPerWriter = 5;
    private const int Messages = Writers * PostsPerWriter;

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync()
    {
        output.WriteLine(cluster.Logs);
        return Task.CompletedTask;
    }

    private Task UntilAsync(string expression, Func<double, bool> holds, string what) =>
        Probe.UntilAsync(async () => await cluster.Prometheus.ScalarAsync(expression) is { } value && holds(value), Patience,
            $"Prometheus: {what} ({expression})");

    [Fact]
    public async Task A1_metrics_and_probes_are_served_on_the_management_port_only()
    {
        using var http = new HttpClient();
        var management = cluster.Seed.ManagementUrl!;
        var metrics = await http.GetStringAsync(management + "/metrics");
        Assert.Contains("openchat_gateway_connections", metrics);
        Assert.Contains("openchat_cluster_members{", metrics);
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync(management + "/healthz/ready")).StatusCode);
        // The public port does not serve metrics; the management port serves nothing of the public service.
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync(cluster.Seed.BaseUrl + "/metrics")).StatusCode);
        foreach (var path in new[] { "/", "/api/info", "/hub/negotiate", "/api/admin/cluster" })
            Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync(management + path)).StatusCode);
    }

    [Fact]
    public async Task A2_the_admin_cluster_view_lists_every_node_with_its_roles()
    {
        var view = await cluster.ClusterAsync();
        Assert.Equal(3, view.Members.Length);
        Assert.All(view.Members, m => Assert.Equal("up", m.Status));
        Assert.All(view.Members, m => Assert.True(m.Reachable));
        Assert.All(view.Members, m => Assert.NotNull(m.UpSince));
        Assert.Equal(["channels", "gateway"], view.Members.Single(m => m.Address == view.Self).Roles);
        Assert.Equal(2, view.Members.Count(m => m.Roles.SequenceEqual(["media"])));
        Assert.Contains(view.Members, m => m.Address == MonitoredCluster.NodeAddress(cluster.MediaBPort));
        Assert.Contains(view.Members, m => m.Address == view.Leader);
        // The seed is the one channels node: every allocated shard is there.
        Assert.True(view.ShardsComplete);
        Assert.Equal(view.Self, Assert.Single(view.Shards).Node);
        await Probe.UntilAsync(async () => (await cluster.ClusterAsync()).MediaNodes.Length == 2, Patience, "both media nodes' load in the view");
        // Every node's cluster gauges say the same: one channels node, one gateway, two media nodes, all up.
        foreach (var (role, count) in new[] { ("channels", 1), ("gateway", 1), ("media", 2) })
        {
            await UntilAsync($"min(openchat_cluster_members{{member_role=\"{role}\",status=\"up\"}})", v => v == count, $"{count} {role} up on every node");
            await UntilAsync($"max(openchat_cluster_members{{member_role=\"{role}\",status=\"up\"}})", v => v == count, $"{count} {role} up on every node");
        }
        Assert.Equal(0, await cluster.Prometheus.ScalarAsync("max(openchat_cluster_members_unreachable)"));
    }

    [Fact]
    public async Task B_prometheus_figures_agree_with_what_members_sent_and_received_and_what_was_posted()
    {
        var rooms = new string[2];
        for (var r = 0; r < rooms.Length; r++)
            rooms[r] = (await AdminApi.CreateChannelAsync(cluster.Seed.BaseUrl, MonitoredCluster.AdminKey, $"Monitored {r + 1}", "voice")).Id;
        var tones = new[] { 500, 700, 900, 1100, 1300, 1500 };
        var members = tones.Select((tone, i) => new SimulatedMember(new SimulatedMemberOptions
        {
            Gateways = [cluster.Seed.BaseUrl],
            DisplayName = $"member-{i}",
            ChannelId = rooms[i % 2],
            Signal = VoiceSignal.Tone(tone),
            CandidateFrequencies = tones.Select(t => (double)t).ToArray(),
            SourceAddress = SourceAddress.Next(),
        })).ToArray();
        try
        {
            await Task.WhenAll(members.Select(m => m.StartAsync()));
            await Task.WhenAll(members.Select((m, i) =>
                m.WaitUntilHearingAsync(tones.Where((_, j) => j != i && j % 2 == i % 2).Select(t => (double)t), Patience)));

            // Gauges: what is in the rooms now.
            await UntilAsync("sum(openchat_media_members)", v => v == members.Length, "6 members on the media nodes");
            await UntilAsync("sum(openchat_media_rooms)", v => v == rooms.Length, "2 rooms");
            await UntilAsync("sum(openchat_channels_voice_members)", v => v == members.Length, "6 voice members in the channels");
            await UntilAsync("count(openchat_media_rooms > 0)", v => v == 2, "the rooms spread over both media nodes");

            // Text: every post stored once and counted once as a successful hub call.
            await Task.WhenAll(Enumerable.Range(0, Writers).Select(async w =>
            {
                await using var writer = await ChatClient.ConnectAsync(cluster.Seed.BaseUrl, $"writer-{w}", source: SourceAddress.Next());
                await writer.OpenChannelAsync("general");
                for (var i = 0; i < PostsPerWriter; i++) await writer.PostAsync("general", $"message {i} from writer {w}");
            }));
            await UntilAsync("sum(openchat_channels_messages_stored_total)", v => v == Messages, $"{Messages} messages stored");
            await UntilAsync("sum(openchat_gateway_hub_calls_total{method=\"PostMessage\",outcome=\"ok\"})", v => v == Messages,
                $"{Messages} PostMessage calls answered");
            await UntilAsync("sum(openchat_rtc_dtls_handshakes_total{outcome=\"completed\"})", v => v == members.Length, "one handshake per member");
            // Members echo the nodes' sender reports, so the nodes learn each member's round trip.
            await UntilAsync("sum(openchat_media_rtcp_round_trip_seconds_count)", v => v > 0, "round trips from members' RTCP reports");

            // Packets: let every member send at least 8 s of audio, then leave so that the counters stop.
            await Task.WhenAll(members.Select(m => m.WaitUntilAsync(s => s.PacketsSent >= 400, Patience)));
            await Task.WhenAll(members.Select(m => m.LeaveVoiceAsync()));
            await UntilAsync("sum(openchat_media_members)", v => v == 0, "no members left");
            long sent = members.Sum(m => m.Stats.PacketsSent), received = members.Sum(m => m.Stats.PacketsReceived);
            output.WriteLine($"members sent {sent} packets and received {received}");
            // The nodes' counters are final once members have left; wait for a scrape after that, then compare.
            var inExpr = "sum(openchat_media_packets_received_total)";
            var outExpr = "sum(openchat_media_packets_sent_total)";
            double? nodeIn = null, nodeOut = null;
            await Probe.UntilAsync(async () =>
            {
                var (previousIn, previousOut) = (nodeIn, nodeOut);
                nodeIn = await cluster.Prometheus.ScalarAsync(inExpr);
                nodeOut = await cluster.Prometheus.ScalarAsync(outExpr);
                return nodeIn is not null && nodeIn == previousIn && nodeOut == previousOut;
            }, Patience, "the packet counters to settle");
            output.WriteLine($"nodes received {nodeIn} packets and sent {nodeOut}");
            // On loopback nothing is lost on the way. The node counts a packet when it reaches a room, so the few a
            // member sends between its DTLS handshake and the mixer adding it, and the last ones in flight when it
            // leaves, are the only difference: a couple of percent of 8 s of audio at most. At the leave itself the
            // two counts of one packet race (a member's frame clock sending its last packet as the leave stops its
            // count; the node's tick sending one as the member is removed), so either side may be one packet per
            // member ahead.
            Assert.InRange(nodeIn!.Value, 0.97 * sent, sent + members.Length);
            Assert.InRange(received, 0.97 * nodeOut!.Value, nodeOut.Value + members.Length);
            Assert.Equal(0, await cluster.Prometheus.ScalarAsync("sum(openchat_media_packets_lost_total)"));
        }
        finally
        {
            foreach (var member in members) await member.DisposeAsync();
        }
    }

    [Fact]
    public async Task C_every_dashboard_query_returns_data()
    {
        using var dashboard = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(RepoPaths.Root, "deploy", "grafana", "openchat-dashboard.json")));
        var queries = dashboard.RootElement.GetProperty("panels").EnumerateArray()
            .Where(p => p.TryGetProperty("targets", out _))
            .SelectMany(p => p.GetProperty("targets").EnumerateArray().Select(t => (Panel: p.GetProperty("title").GetString()!, Expr: t.GetProperty("expr").GetString()!)))
            .ToList();
        Assert.True(queries.Count >= 30, $"{queries.Count} queries");
        var empty = new List<string>();
        foreach (var (panel, expr) in queries)
        {
            // Grafana's variables, as Grafana would fill them for this Prometheus (1 s scrapes).
            var query = expr.Replace("$__rate_interval", "1m").Replace("$job", "openchat");
            var samples = await cluster.Prometheus.QueryAsync(query);
            output.WriteLine($"{panel}: {query} -> {string.Join(", ", samples.Select(s => s.Value.ToString("G4", CultureInfo.InvariantCulture)))}");
            if (samples.Count == 0) empty.Add($"{panel}: {query}");
        }
        if (empty.Count > 0)
        {
            using var http = new HttpClient();
            foreach (var node in new[] { cluster.Seed, cluster.MediaA })
                output.WriteLine($"--- {node.Name} /metrics ---\n" + await http.GetStringAsync(node.ManagementUrl + "/metrics"));
        }
        Assert.True(empty.Count == 0, "Queries returning no data:\n" + string.Join('\n', empty));
    }

    [Fact]
    public async Task D_a_screenshot_of_prometheus_graphing_the_voice_load()
    {
        var target = Environment.GetEnvironmentVariable("OPENCHAT_SCREENSHOTS_DIR") is { Length: > 0 } dir
            ? dir
            : Probe.NewTempDirectory("prometheus-screenshot");
        Directory.CreateDirectory(target);
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await Chromium.LaunchAsync(playwright);
        var page = await browser.NewPageAsync(new() { ViewportSize = new() { Width = 1280, Height = 900 } });
        var query = string.Join('&',
            "g0.expr=" + Uri.EscapeDataString("sum by (instance) (openchat_media_members)"), "g0.tab=0", "g0.range_input=1m",
            "g1.expr=" + Uri.EscapeDataString("sum by (instance) (rate(openchat_media_packets_sent_total[10s]))"), "g1.tab=0", "g1.range_input=1m");
        await page.GotoAsync($"{cluster.Prometheus.Url}/graph?{query}");
        // Debian's Prometheus serves the classic console: each graph is an SVG drawn by Rickshaw, with a legend of its series.
        await page.Locator(".rickshaw_graph svg path").First.WaitForAsync(new() { State = WaitForSelectorState.Attached, Timeout = 30_000 });
        foreach (var graph in await page.Locator(".graph_wrapper").AllAsync())
            await Assertions.Expect(graph).ToContainTextAsync("instance=");
        var file = Path.Combine(target, "prometheus-voice.png");
        await page.ScreenshotAsync(new() { Path = file, FullPage = true });
        Assert.True(new FileInfo(file).Length > 10_000);
    }

    [Fact]
    public async Task E_killing_a_media_node_fires_the_unreachable_member_alert_and_the_view_shows_it_go()
    {
        var node = MonitoredCluster.NodeAddress(cluster.MediaBPort);
        Assert.DoesNotContain(await cluster.Prometheus.AlertsAsync(), a => a.Name == "OpenChatClusterMemberUnreachable");
        await cluster.MediaB.KillAsync();

        await Probe.UntilAsync(async () => (await cluster.ClusterAsync()).Members.Any(m => m.Address == node && !m.Reachable),
            Patience, "the view to show the killed node unreachable");
        // The surviving nodes' gauges saw it unreachable (the rule's window keeps that visible after its removal).
        await UntilAsync("max(max_over_time(openchat_cluster_members_unreachable[2m]))", v => v == 1, "one member seen unreachable");
        // The rule looks at the last minute, so it fires whether or not the cluster has removed the node by then.
        await Probe.UntilAsync(async () => (await cluster.Prometheus.AlertsAsync()).Contains(("OpenChatClusterMemberUnreachable", "firing")),
            TimeSpan.FromSeconds(90), "the unreachable-member alert to fire");
        await Probe.UntilAsync(async () => (await cluster.ClusterAsync()).Members.All(m => m.Address != node),
            Patience, "the view to show the killed node gone");
        var view = await cluster.ClusterAsync();
        Assert.Equal(2, view.Members.Length);
        Assert.All(view.Members, m => Assert.True(m.Reachable));
    }
}

[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class MonitoringCollection
{
    public const string Name = "monitoring";
}

using Microsoft.Playwright;
using OpenChat.Kubernetes.Tests.Simulation;
using OpenChat.SimulatedClients;
using OpenChat.SimulatedClients.Network;
using OpenChat.TestSupport;
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
[Collection(SimulatedNetworks.Name)]
public sealed class ManifestClusterTests(ManifestCluster cluster, ITestOutputHelper output) : IClassFixture<ManifestCluster>
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(90);
    private const int RoomSize = 4;

    /// <summary>
    /// Member m of room r takes step 6·g(m) + r mod 6 on a 110 Hz grid from 400 Hz, g being the marks 0, 1, 4, 6 of a
    /// Golomb ruler: no two pairs of room-mates' steps have the same sum, so no third-order intermodulation product of
    /// the others' tones (2a − b, a + b − c, which the mixer's limiter and the codec make) falls on a member's own tone,
    /// and since 400 Hz is no whole number of steps, no second-order one (a + b, a − b) does either. Room-mates are at
    /// least 660 Hz apart; rooms six apart share tones (each member listens for its room-mates).
    /// </summary>
    private static int ToneOf(int room, int member) => 400 + 110 * (6 * GolombMarks[member] + room % 6);

    private static readonly int[] GolombMarks = [0, 1, 4, 6];

    private async Task<ManifestCluster.Room[]> StartRoomsAsync(string[] channels, int firstRoom)
    {
        var rooms = channels.Select((channel, i) =>
        {
            var tones = Enumerable.Range(0, RoomSize).Select(m => ToneOf(firstRoom + i, m)).ToArray();
            var members = tones.Select((tone, m) => new SimulatedMember(new SimulatedMemberOptions
            {
                Gateways = [cluster.GatewayUrl],
                DisplayName = $"r{firstRoom + i}-m{m}",
                ChannelId = channel,
                Signal = VoiceSignal.Tone(tone),
                CandidateFrequencies = tones.Select(t => (double)t).ToArray(),
                SourceAddress = cluster.NextClientAddress(),
            })).ToArray();
            return new ManifestCluster.Room(channel, members, tones);
        }).ToArray();
        cluster.Rooms.AddRange(rooms);
        await Task.WhenAll(rooms.SelectMany(r => r.Members).Select(m => m.StartAsync()));
        await HearOthersAsync(rooms);
        return rooms;
    }

    /// <summary>
    /// Every member of <paramref name="rooms"/> hears every room-mate's tone. On failure it names every member that
    /// did not, with what each member of those rooms sent, so that one silent talker shows as such.
    /// </summary>
    private static async Task HearOthersAsync(IReadOnlyList<ManifestCluster.Room> rooms)
    {
        var waits = rooms.SelectMany(room => room.Members.Select((m, i) =>
            (Room: room, Wait: m.WaitUntilHearingAsync(room.Tones.Where((_, j) => j != i).Select(t => (double)t), Patience)))).ToList();
        try
        {
            await Task.WhenAll(waits.Select(w => w.Wait));
        }
        catch
        {
            var failed = waits.Where(w => w.Wait.IsFaulted).ToList();
            var senders = failed.Select(w => w.Room).Distinct().SelectMany(room => room.Members.Select((m, i) =>
                $"{m.Stats.DisplayName} ({room.Tones[i]} Hz): {m.Stats.PacketsSent} packets sent, {m.Stats.Reconnects.Count} media reconnects"));
            throw new TimeoutException($"{failed.Count} members did not hear every room-mate: " +
                string.Join(" | ", failed.Select(w => w.Wait.Exception!.InnerException!.Message)) +
                " || the rooms' members: " + string.Join("; ", senders));
        }
    }

    /// <summary>How a member that heard its own tone heard it and every other candidate, and what happened to its streams.</summary>
    private static string OwnToneReport(OpenChat.SimulatedClients.MemberStats stats, int tone) =>
        $"{stats.DisplayName} heard its own {tone} Hz over {stats.Window.TotalSeconds:0.0} s: " +
        string.Join(", ", stats.Frequencies.Select(f => $"{f.FrequencyHz:0} Hz in {f.Frames} frames (mean {f.MeanDb:0} dB, peak {f.PeakDb:0} dB)")) +
        $"; dominant {string.Join(", ", stats.DominantFrequencies.Select(d => $"{d.FrequencyHz:0} Hz x{d.Frames}"))}; " +
        $"{stats.FramesDecoded} frames decoded, {stats.FramesConcealed} concealed, {stats.PacketsLost} lost, {stats.PacketsLate} late, " +
        $"{stats.Reconnects.Count} media reconnects, {stats.SignallingReconnects.Count} signalling reconnects";

    private async Task<string[]> CreateRoomsAsync(string prefix, int count)
    {
        var ids = new string[count];
        for (var i = 0; i < count; i++) ids[i] = await cluster.CreateChannelAsync($"{prefix} {i + 1}", "voice");
        return ids;
    }

    private static async Task<T> RetryUnavailableAsync<T>(Func<Task<T>> call)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await call();
            }
            catch (Microsoft.AspNetCore.SignalR.HubException e) when (e.Message.Contains("unavailable:", StringComparison.Ordinal) && attempt < 10)
            {
                // As a client does: a little later each time (the journal's circuit breaker fails calls fast for 2 s).
                await Task.Delay(TimeSpan.FromMilliseconds(250 * attempt));
            }
        }
    }

    private async Task<ChatClient> ConnectTextAsync(string name) =>
        await ChatClient.ConnectAsync(cluster.GatewayUrl, name, source: cluster.NextClientAddress());

    /// <summary>The whole history of a channel, oldest first, paged as a client pages it.</summary>
    private static async Task<List<(long Id, string Text)>> HistoryAsync(ChatClient client, string channel)
    {
        var all = new List<(long, string)>();
        long? before = null;
        while (true)
        {
            var page = await RetryUnavailableAsync(() => client.HistoryAsync(channel, before, 100));
            all.InsertRange(0, page.Messages.Select(m => (m.Id, m.Text)));
            if (!page.HasMore || page.Messages.Length == 0) return all;
            before = page.Messages[0].Id;
        }
    }
    /// <summary>
    /// Waits until every channels and gateway pod sees all three channels nodes Up: one cluster. A channels pod that
    /// founded a cluster of its own (a restarted first seed that gave up on the others) would see only itself, and
    /// the gateways that joined it would see one.
    /// </summary>
    private Task WaitForOneClusterAsync() =>
        cluster.Kube.WaitUntilAsync(() => cluster.Kube.PodsOf("openchat-channels").Concat(cluster.Kube.PodsOf("openchat-gateway")).All(p =>
                ManifestCluster.MetricAsync(p, "openchat_cluster_members", ("member_role", "channels"), ("status", "up")).GetAwaiter().GetResult() == 3),
            Patience, "every channels and gateway pod to see the three channels nodes Up in one cluster");

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

    [Fact]
    public async Task B_members_in_several_rooms_hear_each_other_and_text_history_is_stored_in_PostgreSQL()
    {
        var channels = await CreateRoomsAsync("Room", 10);
        var rooms = await StartRoomsAsync(channels, 0);
        var placed = await cluster.VoiceRoomsAsync();
        var media = cluster.Nodes.Take(2).ToArray();
        foreach (var node in media)
            output.WriteLine($"{node.Name}: {channels.Count(c => ManifestCluster.IsOn(placed[c].Node, node))} rooms");
        Assert.All(channels, c => Assert.Contains(media, n => ManifestCluster.IsOn(placed[c].Node, n)));
        Assert.All(media, n => Assert.Contains(channels, c => ManifestCluster.IsOn(placed[c].Node, n)));
        var hearingThemselves = rooms.SelectMany(r => r.Members.Select((m, i) => (Member: m, Tone: r.Tones[i], Stats: m.Stats)))
            .Where(x => x.Stats.HeardOwnTone).ToList();
        Assert.True(hearingThemselves.Count == 0, string.Join("\n", hearingThemselves.Select(x => OwnToneReport(x.Stats, x.Tone))));

        var marker = "k8s-" + Guid.NewGuid().ToString("N")[..8];
        await using var writer = await ConnectTextAsync("Writer");
        // A channel's first start reads its journal; a call that meets it still starting is answered `unavailable`,
        // which the protocol says to try again (a post with the same nonce).
        await RetryUnavailableAsync(() => writer.OpenChannelAsync("general"));
        var nonces = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            var (text, nonce) = ($"{marker} message {i}", Guid.NewGuid().ToString("N"));
            var message = await RetryUnavailableAsync(() => writer.PostAsync("general", text, nonce));
            cluster.Posted.Add((message.Id, message.Text));
            nonces.Add(nonce);
        }
        // The journal is PostgreSQL's: the events are rows there (found by their nonces), their texts sealed under keys
        // kept in the same database.
        var rows = await cluster.QueryDatabaseAsync("SELECT count(*) FROM journal WHERE " +
            string.Join(" OR ", nonces.Select(n => $"position(convert_to('{n}', 'UTF8') in message) > 0")));
        Assert.Equal("5", rows);
        Assert.Equal("0", await cluster.QueryDatabaseAsync($"SELECT count(*) FROM journal WHERE position(convert_to('{marker}', 'UTF8') in message) > 0"));
        Assert.True(int.Parse(await cluster.QueryDatabaseAsync("SELECT count(*) FROM message_keys"), System.Globalization.CultureInfo.InvariantCulture) >= 5);
    }

    [Fact]
    public async Task C_a_third_media_node_added_takes_the_next_rooms()
    {
        var node3 = cluster.Nodes[2];
        await cluster.Kube.LabelNodeAsync(node3.Name, ManifestCluster.MediaLabel, "true");
        await cluster.Kube.WaitUntilAsync(() => cluster.Kube.PodsOf("openchat-media").Any(p => p.Node == node3 && p.Ready),
            TimeSpan.FromMinutes(2), "the DaemonSet's pod on node-3 to be ready");
        await cluster.WaitForMediaNodesAsync(3);
        var channels = await CreateRoomsAsync("Late", 2);
        await StartRoomsAsync(channels, 10);
        var placed = await cluster.VoiceRoomsAsync();
        var reports = string.Join("; ", (await cluster.MediaNodesAsync()).Select(r => $"{r.Node}: {r.Rooms} rooms, {r.Members} members"));
        Assert.All(channels, c => Assert.True(ManifestCluster.IsOn(placed[c].Node, node3), $"{c} went to {placed[c].Node} ({reports})"));
    }

    [Fact]
    public async Task D_a_deleted_media_pod_hands_its_rooms_over_with_gaps_under_a_second()
    {
        var placed = await cluster.VoiceRoomsAsync();
        var pods = cluster.Kube.PodsOf("openchat-media");
        var victim = pods.OrderByDescending(p => cluster.Rooms.Count(r => ManifestCluster.IsOn(placed[r.ChannelId].Node, p.Node))).First();
        var moving = cluster.Rooms.Where(r => ManifestCluster.IsOn(placed[r.ChannelId].Node, victim.Node)).ToArray();
        var members = moving.SelectMany(r => r.Members).ToArray();
        output.WriteLine($"deleting {victim}: {moving.Length} rooms, {members.Length} members");
        Assert.True(members.Length >= 12, $"only {members.Length} members on {victim}");
        foreach (var room in cluster.Rooms) foreach (var m in room.Members) m.ResetWindow();

        var stopwatch = System.Diagnostics.Stopwatch.StartNew();
        await cluster.Kube.DeletePodAsync(victim);
        output.WriteLine($"{victim.Name} exited with {victim.ExitCode} after {stopwatch.Elapsed.TotalSeconds:0.0} s");
        Assert.Equal(0, victim.ExitCode); // it drained and left within the grace period; no SIGKILL

        await Task.WhenAll(members.Select(m => m.WaitUntilAsync(s => s.Reconnects.Any(x => x.FirstAudio is not null), Patience)));
        await HearOthersAsync(moving);
        var gaps = members.Select(m => m.Stats.LongestGap.TotalMilliseconds).Order().ToArray();
        var p95 = gaps[(int)Math.Ceiling(gaps.Length * 0.95) - 1];
        output.WriteLine($"gaps of the {gaps.Length} moved members: p50 {gaps[gaps.Length / 2]:0} ms, p95 {p95:0} ms, max {gaps[^1]:0} ms");
        Assert.True(p95 < 1000, $"p95 gap {p95:0} ms");
        var after = await cluster.VoiceRoomsAsync();
        Assert.All(moving, r => Assert.False(ManifestCluster.IsOn(after[r.ChannelId].Node, victim.Node)));

        // The DaemonSet puts a new media pod on the node; it joins and reports.
        await cluster.Kube.WaitUntilAsync(() => cluster.Kube.PodsOf("openchat-media").Count(p => p.Ready) == 3, TimeSpan.FromMinutes(2),
            "the DaemonSet to replace the deleted pod");
        await cluster.WaitForMediaNodesAsync(3);
    }

    [Fact]
    public async Task E_a_killed_channels_pod_keeps_history_and_voice_resumes()
    {
        await using var reader = await ConnectTextAsync("Reader");
        // Posts of its own as well as what the tests before it stored: it holds whatever happened to them.
        await RetryUnavailableAsync(() => reader.OpenChannelAsync("general"));
        for (var i = 0; i < 3; i++)
        {
            var message = await RetryUnavailableAsync(() => reader.PostAsync("general", $"before the channels pod is killed {i}", Guid.NewGuid().ToString("N")));
            cluster.Posted.Add((message.Id, message.Text));
        }
        var before = await HistoryAsync(reader, "general");
        Assert.Equal(cluster.Posted, before.Where(m => cluster.Posted.Contains(m)).ToList());
        var victim = cluster.Kube.PodsOf("openchat-channels")[0];
        var restarts = victim.Restarts;
        cluster.Kube.KillContainer(victim);
        await cluster.Kube.WaitUntilAsync(() => victim.Restarts > restarts && victim.Ready, TimeSpan.FromMinutes(3),
            $"{victim.Name} to restart and become ready");
        output.WriteLine($"{victim.Name} restarted ({victim.Restarts} restarts) and is ready");
        await WaitForOneClusterAsync();

        // Voice: every member hears its room again (rooms whose channel lived on the killed node are placed anew).
        foreach (var room in cluster.Rooms) foreach (var m in room.Members) m.ResetWindow();
        await HearOthersAsync(cluster.Rooms);
        // Text: the history is intact, and posting works.
        await using var again = await ConnectTextAsync("Reader again");
        await RetryUnavailableAsync(() => again.OpenChannelAsync("general"));
        Assert.Equal(before, await HistoryAsync(again, "general"));
        var nonce = Guid.NewGuid().ToString("N");
        var posted = await RetryUnavailableAsync(() => again.PostAsync("general", "after the channels pod was killed", nonce));
        cluster.Posted.Add((posted.Id, posted.Text));
    }

    [Fact]
    public async Task F_the_gateways_roll_one_at_a_time_and_clients_reconnect_without_losing_anything()
    {
        var oldGateways = cluster.Kube.PodsOf("openchat-gateway").Select(p => p.Name).ToHashSet();
        using var stop = new CancellationTokenSource();
        var sent = new List<(string Text, string Nonce)>();
        // A client posting all through the roll-out: a post that fails for a lost gateway is sent again, with its nonce,
        // by the same user (a nonce is the author's own: another user's post with it is another post).
        var posterAddress = cluster.NextClientAddress();
        var poster = Task.Run(async () =>
        {
            SessionDto? session = null;
            ChatClient? client = null;
            for (var i = 0; !stop.IsCancellationRequested || i < 3; i++)
            {
                var (text, nonce) = ($"during the roll-out {i}", Guid.NewGuid().ToString("N"));
                lock (sent) sent.Add((text, nonce));
                var failing = System.Diagnostics.Stopwatch.StartNew();
                while (true)
                {
                    try
                    {
                        session ??= await ChatClient.CreateSessionAsync(cluster.GatewayUrl, "Poster", source: posterAddress);
                        client ??= await ChatClient.ConnectAsync(cluster.GatewayUrl, "Poster", session, source: posterAddress);
                        await client.PostAsync("general", text, nonce);
                        break;
                    }
                    catch (Exception e) when (e is not OperationCanceledException || !stop.IsCancellationRequested)
                    {
                        if (client is not null) await client.DisposeAsync();
                        client = null;
                        // A roll-out takes seconds from a client's view; a post that cannot get through for longer is a fault.
                        if (failing.Elapsed > Patience) throw new TimeoutException($"'{text}' could not be posted for {Patience.TotalSeconds} s", e);
                        await Task.Delay(200);
                    }
                }
                await Task.Delay(250);
            }
            if (client is not null) await client.DisposeAsync();
        });
        foreach (var room in cluster.Rooms) foreach (var m in room.Members) m.ResetWindow();
        await cluster.Kube.RolloutRestartAsync("openchat-gateway", TimeSpan.FromMinutes(3),
            (old, fresh) => output.WriteLine($"rolled {old.Name} -> {fresh.Name}"));
        await stop.CancelAsync();
        await poster;
        Assert.DoesNotContain(cluster.Kube.PodsOf("openchat-gateway"), p => oldGateways.Contains(p.Name));
        Assert.Equal(2, cluster.Kube.PodsOf("openchat-gateway").Count);
        await WaitForOneClusterAsync();

        // Every post is stored exactly once, in order.
        await using var reader = await ConnectTextAsync("Auditor");
        var history = await HistoryAsync(reader, "general");
        var texts = history.Select(m => m.Text).ToList();
        foreach (var (text, nonce) in sent)
        {
            var copies = texts.Count(t => t == text);
            if (copies == 1) continue;
            // Where the journal itself holds the post tells a lost write from a history that does not show it.
            var rows = await cluster.QueryDatabaseAsync(
                $"SELECT string_agg(persistence_id || '#' || sequence_number || (CASE WHEN deleted THEN ' deleted' ELSE '' END), ', ') " +
                $"FROM journal WHERE position(convert_to('{nonce}', 'UTF8') in message) > 0");
            var newest = await cluster.QueryDatabaseAsync(
                "SELECT persistence_id || ': ' || count(*) || ' rows, highest ' || max(sequence_number) FROM journal " +
                "WHERE persistence_id = (SELECT persistence_id FROM journal ORDER BY ordering DESC LIMIT 1) GROUP BY persistence_id");
            Assert.Fail($"'{text}' (nonce {nonce}) is stored {copies} times; the journal holds its nonce at [{rows}] ({newest}); " +
                        $"the last of the {texts.Count} messages: " + string.Join(" | ", history.TakeLast(12).Select(m => $"{m.Id}: {m.Text}")));
        }
        Assert.Equal(sent.Select(s => s.Text), texts.Where(t => t.StartsWith("during the roll-out ", StringComparison.Ordinal)));
        Assert.All(cluster.Posted, m => Assert.Contains(m, history));

        // Every member's signalling moved to a new gateway with its voice session intact, and it still hears its room.
        var members = cluster.Rooms.SelectMany(r => r.Members).ToArray();
        Assert.All(members, m => Assert.True(m.Stats.SignallingReconnects.Count > 0, $"{m.Stats.DisplayName} never reconnected"));
        await HearOthersAsync(cluster.Rooms);
        output.WriteLine($"{sent.Count} posts during the roll-out; {members.Length} members reconnected");
    }

    [Fact]
    public async Task G_two_Chromium_users_on_different_gateway_replicas_chat_and_talk_without_sticky_sessions()
    {
        await cluster.StopMembersAsync();
        var gateways = cluster.Kube.PodsOf("openchat-gateway");
        async Task<double[]> ConnectionsAsync() =>
            await Task.WhenAll(gateways.Select(async g => await ManifestCluster.MetricAsync(g, "openchat_gateway_connections") ?? 0));
        await cluster.Kube.WaitUntilAsync(() => ConnectionsAsync().GetAwaiter().GetResult().Sum() == 0, Patience, "the simulated members to be gone");

        await cluster.CreateChannelAsync("Duet", "voice");
        // Playwright's driver runs in the client namespace too: it fetches the pages the audio probes amend.
        using var playwright = await Chromium.PlaywrightInNamespaceAsync(cluster.Clients.Namespace);
        var work = Directory.CreateTempSubdirectory("openchat-k8s-browser-").FullName;
        var app = new WebClientDriver(playwright, cluster.GatewayUrl, work);
        try
        {
            var alice = await app.SignInAsync(await app.LaunchAsync(440, networkNamespace: cluster.Clients.Namespace), "Alice", audioProbes: true);
            await cluster.Kube.WaitUntilAsync(() => ConnectionsAsync().GetAwaiter().GetResult().Sum() == 1, Patience, "Alice's hub connection");
            var bob = await app.SignInAsync(await app.LaunchAsync(660, networkNamespace: cluster.Clients.Namespace), "Bob", audioProbes: true);
            // The Service spreads connections over the replicas; Bob reloads until his hub connection is on the other one.
            for (var attempt = 0; ; attempt++)
            {
                await cluster.Kube.WaitUntilAsync(() => ConnectionsAsync().GetAwaiter().GetResult().Sum() == 2, Patience, "both hub connections");
                var counts = await ConnectionsAsync();
                output.WriteLine($"hub connections per gateway: {string.Join(", ", counts)}");
                if (counts.All(c => c == 1)) break;
                Assert.True(attempt < 10, "Bob's connection kept landing on Alice's gateway");
                await bob.ReloadAsync();
                await Assertions.Expect(bob.GetByRole(AriaRole.Textbox, new() { Name = "Message" })).ToBeVisibleAsync(new() { Timeout = 30_000 });
            }

            // Chat: each sees the other's message, although their gateways differ.
            await alice.GetByRole(AriaRole.Textbox, new() { Name = "Message" }).FillAsync("hello from Alice");
            await alice.Keyboard.PressAsync("Enter");
            await SeesAsync(bob, "Bob", "hello from Alice");
            await bob.GetByRole(AriaRole.Textbox, new() { Name = "Message" }).FillAsync("hello from Bob");
            await bob.Keyboard.PressAsync("Enter");
            await SeesAsync(alice, "Alice", "hello from Bob");

            // Talk: each hears the other's tone through the mixer on a media node.
            await WebClientDriver.JoinVoiceAsync(alice, "Duet");
            await WebClientDriver.JoinVoiceAsync(bob, "Duet");
            var atAlice = new AudioProbe(alice, 440, 660);
            var atBob = new AudioProbe(bob, 440, 660);
            var fromAlice = new AudioProbe(alice, AudioProbe.Sent, 440, 660);
            var fromBob = new AudioProbe(bob, AudioProbe.Sent, 440, 660);
            foreach (var probe in new[] { atAlice, atBob, fromAlice, fromBob }) await probe.StartAsync();
            // What each page sends and plays, and where the room is, for a failure to tell which leg was silent.
            async Task<string> StateAsync()
            {
                static string Levels(AudioProbe.Sample[] all)
                {
                    var recent = all.TakeLast(400).ToArray();
                    if (recent.Length == 0) return "no samples";
                    double Median(Func<AudioProbe.Sample, double> of) => recent.Select(of).Order().ElementAt(recent.Length / 2);
                    return $"{all.Length} samples, last {recent.Length}: median 440 Hz {Median(s => s.Db[0]):0} dB, 660 Hz {Median(s => s.Db[1]):0} dB, rms {Median(s => s.Rms):0} dB";
                }
                var rooms = await cluster.VoiceRoomsAsync();
                var duet = rooms.Values.SingleOrDefault(r => r.Members.Any(m => m.DisplayName is "Alice" or "Bob"));
                var nodes = await cluster.MediaNodesAsync();
                return $"Alice plays {Levels(await atAlice.SamplesAsync())}; sends {Levels(await fromAlice.SamplesAsync())}. " +
                       $"Bob plays {Levels(await atBob.SamplesAsync())}; sends {Levels(await fromBob.SamplesAsync())}. " +
                       $"Voice phases: Alice {await alice.Locator("[data-voice-phase]").GetAttributeAsync("data-voice-phase")}, " +
                       $"Bob {await bob.Locator("[data-voice-phase]").GetAttributeAsync("data-voice-phase")}. " +
                       $"Room: {(duet is null ? "none" : $"on {duet.Node} with {string.Join(", ", duet.Members.Select(m => m.DisplayName))}")}. " +
                       $"Media nodes: {string.Join("; ", nodes.Select(n => $"{n.Node} {n.Rooms} rooms {n.Members} members{(n.Draining ? " draining" : "")}"))}";
            }
            async Task HearsAsync(AudioProbe probe, int tone, int own, string what)
            {
                try
                {
                    await Probe.UntilAsync(async () => (await probe.SamplesAsync()).Count(s => s.Db[tone] > AudioProbe.ToneHeardDb && s.Db[tone] - s.Db[own] >= 20) > 25,
                        Patience, what);
                }
                catch (TimeoutException e)
                {
                    throw new TimeoutException($"{e.Message} {await StateAsync()}", e);
                }
            }
            await HearsAsync(atAlice, 1, 0, "Alice to hear Bob's 660 Hz over her own 440 Hz");
            await HearsAsync(atBob, 0, 1, "Bob to hear Alice's 440 Hz over his own 660 Hz");
            output.WriteLine(await StateAsync());
            Assert.Empty(app.TakeCspViolations());
        }
        finally
        {
            await app.CloseBrowsersAsync();
            Directory.Delete(work, recursive: true);
        }
    }

    /// <summary>Waits until <paramref name="page"/> shows <paramref name="text"/>; a failure tells what the page showed instead.</summary>
    private static async Task SeesAsync(IPage page, string who, string text)
    {
        try
        {
            await Assertions.Expect(page.GetByText(text)).ToBeVisibleAsync(new() { Timeout = 30_000 });
        }
        catch (Exception e)
        {
            var shown = await page.Locator("body").InnerTextAsync();
            throw new Xunit.Sdk.XunitException($"{who} did not see '{text}' ({e.Message.Split('\n')[0]}); the page showed:\n{(shown.Length > 3000 ? shown[..3000] : shown)}");
        }
    }
}

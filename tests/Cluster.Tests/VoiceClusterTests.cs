using OpenChat.SimulatedClients.Network;
using OpenChat.SimulatedClients;
using OpenChat.SimulatedClients.Measurement;
using OpenChat.TestSupport;
using Xunit;
using Xunit.Abstractions;

namespace OpenChat.Cluster.Tests;

/// <summary>
/// Voice across real processes on 127.0.0.1: one gateway with the channels, media nodes, and simulated members
/// (support/SimulatedClients: SignalR, our WebRTC client, Opus tones) that measure what they hear. Rooms spread over the
/// media nodes by load; a media node killed mid-call, or shut down, costs its members a short gap and nothing
/// else; a media node that joins takes the next rooms.
/// </summary>
[Collection(ProcessCollection.Name)]
public sealed class VoiceClusterTests(ITestOutputHelper output) : IAsyncLifetime
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);
    private VoiceCluster _cluster = null!;
    private readonly List<SimulatedMember> _members = [];

    public Task InitializeAsync()
    {
        _cluster = new VoiceCluster(output);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        foreach (var member in _members) await member.DisposeAsync();
        await _cluster.DisposeAsync();
    }

    /// <summary>A room of three members, each sending its own tone; every tone of every room is a candidate they listen for.</summary>
    private sealed record Room(string ChannelId, SimulatedMember[] Members, int[] Tones);

    /// <summary>
    /// Tones on a 170 Hz grid from 500 Hz, so the 20 ms Goertzel measure of one never picks up a neighbour. Member m of
    /// room r takes step 6·g(m) + r, g being the marks 0, 1, 3 of a Golomb ruler: room-mates' steps are no arithmetic
    /// progression, so no third-order intermodulation product of two room-mates' tones (2a − b, which the mixer's
    /// limiter and the codec make) falls on the third one's tone, nor on any room's (steps 12 to 17 stay unused), and
    /// since 500 Hz is no whole number of steps, no second-order one (a + b, a − b) falls on any tone.
    /// </summary>
    private const int TotalRooms = 6;

    private static readonly int[] GolombMarks = [0, 1, 3];

    private static int ToneOf(int room, int member) => 500 + 170 * (GolombMarks[member] * TotalRooms + room);

    private static readonly double[] AllTones =
        Enumerable.Range(0, TotalRooms).SelectMany(r => Enumerable.Range(0, 3).Select(m => (double)ToneOf(r, m))).Order().ToArray();

    private async Task<Room[]> StartRoomsAsync(string gatewayUrl, string[] channels, int firstRoom)
    {
        var rooms = channels.Select((channel, i) =>
        {
            var r = firstRoom + i;
            var tones = Enumerable.Range(0, 3).Select(m => ToneOf(r, m)).ToArray();
            var members = tones.Select((tone, m) => new SimulatedMember(new SimulatedMemberOptions
            {
                Gateways = [gatewayUrl],
                DisplayName = $"{channel}-m{m}",
                ChannelId = channel,
                Signal = VoiceSignal.Tone(tone),
                CandidateFrequencies = AllTones,
                SourceAddress = SourceAddress.Next(),
            })).ToArray();
            _members.AddRange(members);
            return new Room(channel, members, tones);
        }).ToArray();
        // Everybody joins at once: placement has to spread rooms it has not seen in any load report yet.
        await Task.WhenAll(rooms.SelectMany(r => r.Members).Select(m => m.StartAsync()));
        await Task.WhenAll(rooms.SelectMany(HearOthersAsync));
        return rooms;
    }

    private static IEnumerable<Task> HearOthersAsync(Room room) =>
        room.Members.Select((m, i) => m.WaitUntilHearingAsync(room.Tones.Where((_, j) => j != i).Select(t => (double)t), Patience));

    /// <summary>Each member hears exactly the other two of its room: not itself, and nothing of another room.</summary>
    private void AssertHearsExactlyItsRoom(Room room)
    {
        for (var i = 0; i < room.Members.Length; i++)
        {
            var stats = room.Members[i].Stats;
            var heard = stats.HeardFrequencies.Select(f => (int)Math.Round(f.FrequencyHz)).Order().ToArray();
            var expected = room.Tones.Where((_, j) => j != i).Order().ToArray();
            output.WriteLine($"{stats.DisplayName} (sends {room.Tones[i]} Hz) hears [{string.Join(", ", heard)}] Hz");
            Assert.Equal(expected, heard);
            Assert.False(stats.HeardOwnTone, $"{stats.DisplayName} hears itself");
        }
    }

    [Fact]
    public async Task Rooms_spread_over_media_nodes_and_a_killed_node_s_rooms_come_back_within_seconds()
    {
        var gateway = await _cluster.StartSeedAsync();
        var (mediaA, nodeA) = await _cluster.StartMediaAsync("media-a");
        var (mediaB, nodeB) = await _cluster.StartMediaAsync("media-b");
        await _cluster.WaitForMediaNodesAsync(gateway, nodeA, nodeB);
        var channels = new string[6];
        for (var i = 0; i < channels.Length; i++) channels[i] = await _cluster.CreateVoiceChannelAsync(gateway, $"Room {i + 1}");

        // 1. Six rooms of three: spread over both nodes, everyone hears the other two and not itself.
        var rooms = await StartRoomsAsync(gateway.BaseUrl, channels, 0);
        var placed = await _cluster.VoiceRoomsAsync(gateway);
        var perNode = channels.GroupBy(c => placed[c].Node!).ToDictionary(g => g.Key, g => g.ToArray());
        output.WriteLine(string.Join("; ", perNode.Select(kv => $"{kv.Key}: {string.Join(", ", kv.Value)}")));
        Assert.Equal(new[] { nodeA, nodeB }.Order(), perNode.Keys.Order());
        Assert.All(perNode.Values, held => Assert.InRange(held.Length, 2, 4));
        foreach (var member in _members) member.ResetWindow();
        await Task.WhenAll(rooms.SelectMany(HearOthersAsync));
        foreach (var room in rooms) AssertHearsExactlyItsRoom(room);

        // 2. kill -9 of the node with the first room: its members reconnect by themselves and hear again;
        //    members of rooms on the other node notice nothing.
        var (victim, victimNode) = placed[channels[0]].Node == nodeA ? (mediaA, nodeA) : (mediaB, nodeB);
        var affected = rooms.Where(r => placed[r.ChannelId].Node == victimNode).ToArray();
        var unaffected = rooms.Except(affected).ToArray();
        foreach (var member in _members) member.ResetWindow();
        FrameClock.Shared.ResetLongestHoldUp();
        await victim.KillAsync();

        await Task.WhenAll(affected.SelectMany(r => r.Members).Select(m =>
            m.WaitUntilAsync(s => s.Reconnects.Any(x => x.FirstAudio is not null), Patience)));
        await Task.WhenAll(affected.SelectMany(HearOthersAsync));
        var gaps = new List<double>();
        foreach (var member in affected.SelectMany(r => r.Members))
        {
            var stats = member.Stats;
            var reconnect = stats.Reconnects.Last(x => x.FirstAudio is not null);
            gaps.Add(stats.LongestGap.TotalSeconds);
            output.WriteLine($"{stats.DisplayName}: gap {stats.LongestGap.TotalMilliseconds:0} ms " +
                             $"(reconnect asked for after {reconnect.At:HH:mm:ss.fff}, audio again {reconnect.FirstAudio?.TotalMilliseconds:0} ms later)");
            Assert.False(stats.HeardOwnTone);
        }
        output.WriteLine($"Members of rooms on the killed node: gap p50 {Percentiles.Of(gaps, 0.50):0.00} s, p95 {Percentiles.Of(gaps, 0.95):0.00} s, max {gaps.Max():0.00} s");
        // A functional bound, not a target (the figures are in docs/benchmarks.md). On the project's two-core machine
        // this p95 gap measured 0.16 s in the suite and 0.36 to 0.54 s in the failover benchmark runs; with other
        // work keeping the load average near 10 it was 0.26 to 0.42 s (3 runs), with two busy loops added on top
        // (load average 14 to 18) 0.90 to 1.22 s (3 runs). 1.5 s holds on such a busy machine and still fails a
        // regression to three to nine times the usual gap. (At load averages of 30 to 40 the reconnect's handshakes
        // starve and the gap reached 1.7 to 6 s, past the old bound of 3 s too; the earlier steps of this test fail
        // there as well.)
        Assert.True(Percentiles.Of(gaps, 0.95) < 1.5, $"p95 gap {Percentiles.Of(gaps, 0.95):0.00} s");
        var after = await _cluster.VoiceRoomsAsync(gateway);
        Assert.All(affected, r => Assert.NotEqual(victimNode, after[r.ChannelId].Node));
        var others = unaffected.SelectMany(r => r.Members).Select(m => m.Stats).ToArray();
        foreach (var stats in others)
            output.WriteLine($"{stats.DisplayName} (other node): longest gap {stats.LongestGap.TotalMilliseconds:0} ms, {stats.Reconnects.Count} reconnects, coverage {stats.ExpectedCoverage:P1}");
        Assert.All(others, stats => Assert.Empty(stats.Reconnects));
        // No renegotiation and no break: nothing lost, and no silence beyond what scheduling on this shared
        // two-core machine causes while the surviving node takes on the moved rooms (0 to 60 ms measured).
        Assert.All(others, stats => Assert.True(stats.LossRatio < 0.01, $"{stats.DisplayName} lost {stats.LossRatio:P1}"));
        // While this process was held up (its members neither sent nor listened), a silence is its own, not the
        // node's: the bound allows for the longest such hold-up of the members' clock.
        var heldUp = FrameClock.Shared.LongestHoldUp;
        output.WriteLine($"the members' clock was held up for at most {heldUp.TotalMilliseconds:0} ms meanwhile");
        Assert.All(others, stats => Assert.True(stats.LongestGap < TimeSpan.FromMilliseconds(500) + heldUp,
            $"{stats.DisplayName}: gap {stats.LongestGap}, the members' clock held up for at most {heldUp.TotalMilliseconds:0} ms"));
    }

    [Fact]
    public async Task A_joining_media_node_takes_the_next_rooms_and_a_draining_one_hands_its_rooms_over_quickly()
    {
        var gateway = await _cluster.StartSeedAsync();
        var (mediaA, nodeA) = await _cluster.StartMediaAsync("media-a");
        var (_, nodeB) = await _cluster.StartMediaAsync("media-b");
        await _cluster.WaitForMediaNodesAsync(gateway, nodeA, nodeB);
        var first = new string[4];
        for (var i = 0; i < first.Length; i++) first[i] = await _cluster.CreateVoiceChannelAsync(gateway, $"Early {i + 1}");
        var early = await StartRoomsAsync(gateway.BaseUrl, first, 0);

        // 4. A third node joins: the next new rooms go to it.
        var (_, nodeC) = await _cluster.StartMediaAsync("media-c");
        await _cluster.WaitForMediaNodesAsync(gateway, nodeA, nodeB, nodeC);
        var next = new[] { await _cluster.CreateVoiceChannelAsync(gateway, "Late 1"), await _cluster.CreateVoiceChannelAsync(gateway, "Late 2") };
        var late = await StartRoomsAsync(gateway.BaseUrl, next, first.Length);
        var placed = await _cluster.VoiceRoomsAsync(gateway);
        Assert.All(next, c => Assert.Equal(nodeC, placed[c].Node));

        // 3. SIGTERM on node A: its rooms move with a gap under a second per member, and it exits cleanly.
        var moving = early.Concat(late).Where(r => placed[r.ChannelId].Node == nodeA).ToArray();
        Assert.NotEmpty(moving);
        foreach (var member in _members) member.ResetWindow();
        FrameClock.Shared.ResetLongestHoldUp();
        Assert.Equal(0, await mediaA.StopAsync(TimeSpan.FromSeconds(60)));

        await Task.WhenAll(moving.SelectMany(r => r.Members).Select(m =>
            m.WaitUntilAsync(s => s.Reconnects.Any(x => x.FirstAudio is not null), Patience)));
        await Task.WhenAll(moving.SelectMany(HearOthersAsync));
        var after = await _cluster.VoiceRoomsAsync(gateway);
        Assert.All(moving, r => Assert.NotEqual(nodeA, after[r.ChannelId].Node));
        // A silence while this process was held up (its members neither sent nor listened) is its own, not the nodes'.
        var heldUp = FrameClock.Shared.LongestHoldUp;
        output.WriteLine($"the members' clock was held up for at most {heldUp.TotalMilliseconds:0} ms meanwhile");
        var moved = moving.SelectMany(r => r.Members).Select(m => m.Stats).ToArray();
        foreach (var stats in moved)
            output.WriteLine($"{stats.DisplayName}: moved off the draining node with a gap of {stats.LongestGap.TotalMilliseconds:0} ms");
        Assert.All(moved, stats =>
        {
            Assert.True(stats.LongestGap < TimeSpan.FromSeconds(1) + heldUp,
                $"{stats.DisplayName}: gap {stats.LongestGap}, the members' clock held up for at most {heldUp.TotalMilliseconds:0} ms");
            Assert.False(stats.HeardOwnTone);
        });
        foreach (var room in early.Concat(late)) Assert.NotNull(after[room.ChannelId].Node);
        Assert.Equal(18, after.Values.Sum(r => r.Members.Length));
    }
}

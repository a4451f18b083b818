using Akka.Actor;
using OpenChat.Channels.Placement;
using OpenChat.Protocol.Media;
using Xunit;

namespace OpenChat.Channels.Tests;

public sealed class PlacementTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 25, 12, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan MaxAge = TimeSpan.FromSeconds(5);

    private static MediaNodeLoad Node(string name, int members = 0, int rooms = 0, double cpu = 0, bool draining = false,
        double ageSeconds = 1, int maxMembers = 100) =>
        new(name, ActorRefs.Nobody, rooms, members, 0, cpu, 1, 0, draining, maxMembers, Now - TimeSpan.FromSeconds(ageSeconds));

    private static PlacementContext Context(IReadOnlySet<string>? unreachable = null, PendingPlacements? pending = null) =>
        new(Now, unreachable ?? new HashSet<string>(), l => pending?.CountAfter(l.Node, l.ReportedAt) ?? 0);

    private static TwoChoicePlacement Strategy(int seed = 1) => new(MaxAge, new Random(seed));

    [Fact]
    public void With_two_eligible_nodes_the_less_loaded_one_is_chosen()
    {
        for (var seed = 0; seed < 20; seed++)
            Assert.Equal("b", Strategy(seed).Choose([Node("a", members: 40), Node("b", members: 10)], Context())!.Node);
    }

    [Fact]
    public void A_node_whose_mixing_cpu_is_past_the_guard_goes_last()
    {
        for (var seed = 0; seed < 20; seed++)
            Assert.Equal("a", Strategy(seed).Choose([Node("a", members: 40, rooms: 10, cpu: 20), Node("b", members: 5, rooms: 2, cpu: 85)], Context())!.Node);
    }

    [Fact]
    public void A_node_with_one_room_is_not_held_back_by_its_cpu_reading()
    {
        // One room cannot fill a node's ticks: a high reading there is the host's scheduling (a node warming up).
        for (var seed = 0; seed < 20; seed++)
            Assert.Equal("b", Strategy(seed).Choose([Node("a", members: 40, rooms: 10, cpu: 20), Node("b", members: 4, rooms: 1, cpu: 95)], Context())!.Node);
    }

    [Fact]
    public void When_every_node_is_past_the_cpu_guard_members_decide()
    {
        for (var seed = 0; seed < 20; seed++)
            Assert.Equal("b", Strategy(seed).Choose([Node("a", members: 40, rooms: 10, cpu: 85), Node("b", members: 10, rooms: 3, cpu: 95)], Context())!.Node);
    }

    [Fact]
    public void Mixing_cpu_below_the_guard_does_not_outweigh_members()
    {
        // On a busy host a mixing tick measures whatever the scheduler adds to it: readings of tens of percent
        // say nothing about the node's rooms.
        for (var seed = 0; seed < 20; seed++)
            Assert.Equal("b", Strategy(seed).Choose([Node("a", members: 40, rooms: 10, cpu: 3), Node("b", members: 10, rooms: 3, cpu: 60)], Context())!.Node);
    }

    [Fact]
    public void Stale_draining_unreachable_and_full_nodes_are_never_chosen()
    {
        var loads = new[]
        {
            Node("stale", ageSeconds: 6),
            Node("draining", draining: true),
            Node("unreachable"),
            Node("full", members: 100),
            Node("busy", members: 90),
        };
        for (var seed = 0; seed < 50; seed++)
            Assert.Equal("busy", Strategy(seed).Choose(loads, Context(new HashSet<string> { "unreachable" }))!.Node);
    }

    [Fact]
    public void No_eligible_node_means_no_placement()
    {
        Assert.Null(Strategy().Choose([], Context()));
        Assert.Null(Strategy().Choose([Node("old", ageSeconds: 30), Node("leaving", draining: true)], Context()));
    }

    [Fact]
    public void Placements_not_yet_in_the_reports_count_against_their_node()
    {
        var pending = new PendingPlacements(TimeSpan.FromSeconds(10));
        var loads = new[] { Node("a"), Node("b") };
        var chosen = new List<string>();
        for (var i = 0; i < 6; i++)
        {
            var node = Strategy(i).Choose(loads, Context(pending: pending))!.Node;
            pending.Record(node, Now);
            chosen.Add(node);
        }
        // Reports still say both are empty, yet the six rooms split evenly.
        Assert.Equal(3, chosen.Count(n => n == "a"));
        Assert.Equal(3, chosen.Count(n => n == "b"));
    }

    [Fact]
    public void Pending_placements_are_forgotten_once_a_newer_report_exists_or_the_horizon_passes()
    {
        var pending = new PendingPlacements(TimeSpan.FromSeconds(10));
        pending.Record("a", Now);
        Assert.Equal(1, pending.CountAfter("a", Now - TimeSpan.FromSeconds(1)));
        Assert.Equal(0, pending.CountAfter("a", Now + TimeSpan.FromSeconds(1)));
        pending.Prune(Now + TimeSpan.FromSeconds(11));
        Assert.Equal(0, pending.CountAfter("a", DateTimeOffset.MinValue));
    }

    [Fact]
    public void Two_choices_spread_rooms_over_many_nodes_without_herding()
    {
        var pending = new PendingPlacements(TimeSpan.FromSeconds(10));
        var loads = Enumerable.Range(0, 10).Select(i => Node($"n{i}", maxMembers: 1000)).ToArray();
        var strategy = Strategy(7);
        for (var i = 0; i < 200; i++) pending.Record(strategy.Choose(loads, Context(pending: pending))!.Node, Now);
        var perNode = loads.Select(l => pending.CountAfter(l.Node, l.ReportedAt)).ToArray();
        Assert.Equal(200, perNode.Sum());
        Assert.True(perNode.Max() - perNode.Min() <= 4, string.Join(",", perNode));
    }

    [Fact]
    public void A_node_that_just_joined_takes_the_next_rooms_until_it_has_caught_up()
    {
        var pending = new PendingPlacements(TimeSpan.FromSeconds(10));
        var loads = new[] { Node("a", members: 9, rooms: 3, cpu: 2), Node("b", members: 9, rooms: 3, cpu: 2), Node("new") };
        for (var seed = 0; seed < 3; seed++)
        {
            var node = Strategy(seed).Choose(loads, Context(pending: pending))!.Node;
            Assert.Equal("new", node);
            pending.Record(node, Now);
        }
        // Now level with the others on rooms: the fourth room may go anywhere.
        var spread = Enumerable.Range(0, 30).Select(seed => Strategy(seed).Choose(loads, Context(pending: pending))!.Node).ToHashSet();
        Assert.Equal(["a", "b", "new"], spread.Order());
    }

    [Fact]
    public void One_high_cpu_reading_does_not_hold_a_node_back_but_readings_that_stay_high_do()
    {
        var readings = new CpuReadings(keep: 3);
        var quiet = Node("quiet", members: 30, rooms: 10, cpu: 10);
        PlacementContext Seen(params MediaNodeLoad[] loads)
        {
            readings.Observe(loads.ToDictionary(l => l.Node));
            return new PlacementContext(Now, new HashSet<string>(), _ => 0, readings.Sustained);
        }
        MediaNodeLoad Busy(double cpu, double ageSeconds) => Node("busy", members: 5, rooms: 2, cpu: cpu, ageSeconds: ageSeconds);

        // A spike after quiet reports: still the node with fewer members.
        Seen(quiet, Busy(5, ageSeconds: 3));
        Seen(quiet, Busy(6, ageSeconds: 2));
        var spike = Busy(95, ageSeconds: 1);
        Assert.Equal("busy", Strategy().Choose([quiet, spike], Seen(quiet, spike))!.Node);
        // Three reports in a row at the guard or above: it goes last.
        Seen(quiet, Busy(90, ageSeconds: 0.5));
        var still = Busy(85, ageSeconds: 0.2);
        Assert.Equal("quiet", Strategy().Choose([quiet, still], Seen(quiet, still))!.Node);
        // An older report read late changes nothing; a node that stopped reporting is forgotten.
        readings.Observe(new Dictionary<string, MediaNodeLoad> { ["quiet"] = quiet, ["busy"] = Busy(1, ageSeconds: 5) });
        Assert.Equal(85, readings.Sustained(still));
        readings.Observe(new Dictionary<string, MediaNodeLoad> { ["quiet"] = quiet });
        Assert.Equal(0, readings.Sustained(Busy(12, ageSeconds: 0)));
        // Until a node has reported three readings, it is not judged: it is warming up.
        readings.Observe(new Dictionary<string, MediaNodeLoad> { ["busy"] = Busy(97, ageSeconds: 0.1) });
        Assert.Equal(0, readings.Sustained(Busy(99, ageSeconds: 0)));
    }

    [Fact]
    public void An_empty_node_that_just_joined_takes_the_next_rooms_however_noisy_the_cpu_readings()
    {
        // A member limit of 500 as by default: the old nodes' members are a few percent of it, so any ordering by
        // CPU share would let a momentary spike on the new node (its first ticks, a preemption) send the rooms
        // to the old ones.
        var pending = new PendingPlacements(TimeSpan.FromSeconds(10));
        var loads = new[]
        {
            Node("a", members: 6, rooms: 2, cpu: 4, maxMembers: 500),
            Node("b", members: 6, rooms: 2, cpu: 7, maxMembers: 500),
            Node("new", cpu: 35, maxMembers: 500),
        };
        for (var seed = 0; seed < 2; seed++)
        {
            var node = Strategy(seed).Choose(loads, Context(pending: pending))!.Node;
            Assert.Equal("new", node);
            pending.Record(node, Now);
        }
        // The same once the new node reports its first room, with a reading of its first mixing ticks.
        var reported = new[] { loads[0], loads[1], Node("new", members: 1, rooms: 1, cpu: 60, maxMembers: 500) };
        for (var seed = 0; seed < 20; seed++)
            Assert.Equal("new", Strategy(seed).Choose(reported, Context())!.Node);
    }

    [Fact]
    public void A_single_eligible_node_is_chosen_and_the_only_rival_being_stale_does_not_matter()
    {
        Assert.Equal("ok", Strategy().Choose([Node("ok", members: 99), Node("stale", ageSeconds: 9)], Context())!.Node);
    }
}

using System.Net.Sockets;
using Akka.Actor;
using Akka.Cluster;
using Akka.Event;
using OpenChat.Protocol.Cluster;

namespace OpenChat.Hosting;

/// <summary>
/// How a node joins its cluster. With no seeds it is a cluster of its own. A node that is not the first seed joins
/// through the seeds (Akka's seed process, which never forms a cluster). The first seed is where a cluster begins,
/// but only when no other seed is in one: Akka's own rule for it (form a new cluster when no other seed answered
/// within <c>seed-node-timeout</c>, 5 s) lets a first seed that restarts on a busy machine found a second cluster
/// beside the running one, with its own shard coordinator, singletons and incarnations of the same channels writing
/// the same journal, and nodes that join next may land in either. So the first seed asks the other seeds first
/// (<see cref="FirstSeedJoiner"/>) and forms a cluster only when each is absent or says it is in none.
/// </summary>
public static class SeedJoin
{
    /// <summary>The actor on every node that answers <see cref="ClusterMembershipQuery"/>.</summary>
    public const string MembershipActorName = "cluster-membership";

    public static void Start(ActorSystem system, IReadOnlyList<string> seeds, FirstSeedTiming? timing = null)
    {
        var cluster = Cluster.Get(system);
        system.ActorOf(Props.Create(() => new MembershipResponder()), MembershipActorName);
        var addresses = seeds.Select(Address.Parse).ToList();
        var others = addresses.Where(a => !a.Equals(cluster.SelfAddress)).Distinct().ToArray();
        if (others.Length == 0)
        {
            // No seeds, or only this node's own address: a cluster of its own (the all-in-one server).
            cluster.Join(cluster.SelfAddress);
        }
        else if (!addresses[0].Equals(cluster.SelfAddress))
        {
            cluster.JoinSeedNodes(addresses);
        }
        else
        {
            system.ActorOf(Props.Create(() => new FirstSeedJoiner(others, timing ?? FirstSeedTiming.Default)), "first-seed-joiner");
        }
    }

    /// <summary>Whether a node with this status is in a cluster that another node could join through it.</summary>
    public static bool IsMember(MemberStatus status) => status is MemberStatus.Joining or MemberStatus.WeaklyUp or MemberStatus.Up;

    private sealed class MembershipResponder : ReceiveActor
    {
        public MembershipResponder()
        {
            var cluster = Cluster.Get(Context.System);
            Receive<ClusterMembershipQuery>(_ => Sender.Tell(new ClusterMembershipAnswer(IsMember(cluster.SelfMember.Status))));
        }
    }
}

/// <summary>How long the first seed waits for another seed's port and answer, and between rounds of asking.</summary>
public sealed record FirstSeedTiming(TimeSpan ConnectTimeout, TimeSpan AnswerTimeout, TimeSpan Pause)
{
    public static readonly FirstSeedTiming Default = new(TimeSpan.FromSeconds(3), TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(2));
}

/// <summary>What the first seed learnt of another seed.</summary>
public enum SeedState
{
    /// <summary>No node is there: its name does not resolve or its port refuses connections.</summary>
    Absent,

    /// <summary>A node is there and says it is in no cluster (it is starting, like this one).</summary>
    NotMember,

    /// <summary>A node is there and is joining or up in a cluster.</summary>
    Member,

    /// <summary>Its port accepts connections (or does not answer at all) but no answer came in time: it may be busy.</summary>
    NoAnswer,
}

/// <summary>
/// The first seed's way in: it asks every other seed, in rounds, whether it is in a cluster. One that is makes this
/// node join through the other seeds (as any node does, retrying until let in); when every other seed is absent or in
/// no cluster, this node forms the cluster. While some seed does not answer, nothing is decided: a busy seed is not
/// taken for a missing one.
/// </summary>
public sealed class FirstSeedJoiner : ReceiveActor, IWithTimers
{
    private readonly Address[] _others;
    private readonly FirstSeedTiming _timing;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private int _round;

    public ITimerScheduler Timers { get; set; } = null!;

    private sealed record Probed((Address Seed, SeedState State)[] Seeds);

    private sealed record ProbeAgain;

    public FirstSeedJoiner(Address[] others, FirstSeedTiming timing)
    {
        _others = others;
        _timing = timing;
        Receive<Probed>(Decide);
        Receive<ProbeAgain>(_ => Probe());
    }

    /// <summary>What the first seed does with what it learnt of the other seeds.</summary>
    public enum Decision
    {
        JoinOthers,
        FormCluster,
        AskAgain,
    }

    public static Decision Decide(IEnumerable<SeedState> others)
    {
        var states = others.ToList();
        if (states.Contains(SeedState.Member)) return Decision.JoinOthers;
        return states.All(s => s is SeedState.Absent or SeedState.NotMember) ? Decision.FormCluster : Decision.AskAgain;
    }

    protected override void PreStart() => Probe();

    private void Probe()
    {
        _round++;
        var system = Context.System;
        var timing = _timing;
        Task.WhenAll(_others.Select(async seed => (seed, await ProbeAsync(system, seed, timing))))
            .PipeTo(Self, success: seeds => new Probed(seeds),
                failure: _ => new Probed(_others.Select(seed => (seed, SeedState.NoAnswer)).ToArray()));
    }

    private void Decide(Probed probed)
    {
        var cluster = Cluster.Get(Context.System);
        var seen = string.Join(", ", probed.Seeds.Select(s => $"{s.Seed}: {s.State}"));
        switch (Decide(probed.Seeds.Select(s => s.State)))
        {
            case Decision.JoinOthers:
                _log.Info("First seed: another seed is in a cluster ({0}); joining it", seen);
                cluster.JoinSeedNodes(_others);
                Context.Stop(Self);
                break;
            case Decision.FormCluster:
                _log.Info("First seed: no other seed is in a cluster ({0}); forming the cluster", seen);
                cluster.Join(cluster.SelfAddress);
                Context.Stop(Self);
                break;
            default:
                _log.Warning("First seed, round {0}: not every other seed answered ({1}); not forming a cluster of its own, asking again",
                    _round, seen);
                Timers.StartSingleTimer("probe", new ProbeAgain(), _timing.Pause);
                break;
        }
    }

    /// <summary>Whether a node listens at <paramref name="seed"/>, and if so whether it says it is in a cluster.</summary>
    public static async Task<SeedState> ProbeAsync(ActorSystem system, Address seed, FirstSeedTiming timing)
    {
        using (var cts = new CancellationTokenSource(timing.ConnectTimeout))
        using (var socket = new Socket(SocketType.Stream, ProtocolType.Tcp))
        {
            try
            {
                await socket.ConnectAsync(seed.Host!, seed.Port!.Value, cts.Token);
            }
            catch (SocketException e) when (e.SocketErrorCode is SocketError.ConnectionRefused or SocketError.HostNotFound or SocketError.NoData)
            {
                return SeedState.Absent;
            }
            catch (Exception e) when (e is SocketException or OperationCanceledException)
            {
                // Unreachable or silent: a node cut off by the network may well be in a cluster.
                return SeedState.NoAnswer;
            }
        }
        try
        {
            var answer = await system.ActorSelection(new RootActorPath(seed) / "user" / SeedJoin.MembershipActorName)
                .Ask<ClusterMembershipAnswer>(new ClusterMembershipQuery(), timing.AnswerTimeout);
            return answer.Member ? SeedState.Member : SeedState.NotMember;
        }
        catch (AskTimeoutException)
        {
            return SeedState.NoAnswer;
        }
    }
}

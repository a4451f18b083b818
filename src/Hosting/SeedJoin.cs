using System.Net.Sockets;
using Akka.Actor;
using Akka.Cluster;
using Akka.Event;
using Akka.Remote;
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

    /// <summary>How long a node tries to join through its seeds before it stops (and is started again).</summary>
    public static readonly TimeSpan GiveUpAfter = TimeSpan.FromSeconds(120);

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

/// <summary>How long the first seed waits for another seed's answer, and between rounds of asking.</summary>
public sealed record FirstSeedTiming(TimeSpan AnswerTimeout, TimeSpan Pause)
{
    public static readonly FirstSeedTiming Default = new(TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(2));
}

/// <summary>What the first seed learnt of another seed.</summary>
public enum SeedState
{
    /// <summary>No node is there: its name does not resolve, or remoting's connection to it was refused.</summary>
    Absent,

    /// <summary>A node is there and says it is in no cluster (it is starting, like this one).</summary>
    NotMember,

    /// <summary>A node is there and is joining or up in a cluster.</summary>
    Member,

    /// <summary>No answer in time and no sign that nothing is there: it may be busy.</summary>
    NoAnswer,
}

/// <summary>
/// The first seed's way in. It starts Akka's join through the other seeds at once (which never forms a cluster and
/// keeps trying until a seed lets it in), and meanwhile asks every other seed, in rounds, whether it is in a cluster.
/// When every other seed is absent or in no cluster, this node forms the cluster. While some seed does not answer,
/// nothing more is decided: a busy seed is not taken for a missing one. The asking uses remoting only (nothing
/// connects to a seed's port outside it), and stops once this node is in a cluster.
/// </summary>
public sealed class FirstSeedJoiner : ReceiveActor, IWithTimers
{
    private readonly Address[] _others;
    private readonly FirstSeedTiming _timing;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly HashSet<Address> _refused = [];
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
        Receive<AssociationErrorEvent>(e =>
        {
            if (_others.Contains(e.RemoteAddress) && IsRefusal(e.Cause)) _refused.Add(e.RemoteAddress);
        });
    }

    /// <summary>What the first seed does with what it learnt of the other seeds.</summary>
    public enum Decision
    {
        FormCluster,
        AskAgain,
        Joining,
    }

    public static Decision Decide(IEnumerable<SeedState> others)
    {
        var states = others.ToList();
        if (states.Contains(SeedState.Member)) return Decision.Joining;
        return states.All(s => s is SeedState.Absent or SeedState.NotMember) ? Decision.FormCluster : Decision.AskAgain;
    }

    protected override void PreStart()
    {
        Context.System.EventStream.Subscribe(Self, typeof(AssociationErrorEvent));
        Cluster.Get(Context.System).JoinSeedNodes(_others);
        Probe();
    }

    protected override void PostStop() => Context.System.EventStream.Unsubscribe(Self);

    private void Probe()
    {
        if (SeedJoin.IsMember(Cluster.Get(Context.System).SelfMember.Status))
        {
            Context.Stop(Self);
            return;
        }
        _round++;
        _refused.Clear();
        var system = Context.System;
        var timing = _timing;
        Task.WhenAll(_others.Select(async seed => (seed, await AskAsync(system, seed, timing))))
            .PipeTo(Self, success: seeds => new Probed(seeds),
                failure: _ => new Probed(_others.Select(seed => (seed, SeedState.NoAnswer)).ToArray()));
    }

    private void Decide(Probed probed)
    {
        var cluster = Cluster.Get(Context.System);
        if (SeedJoin.IsMember(cluster.SelfMember.Status))
        {
            Context.Stop(Self);
            return;
        }
        // No answer, but remoting's connection was refused: no node listens there.
        var seeds = probed.Seeds.Select(s => (s.Seed, State: s.State == SeedState.NoAnswer && _refused.Contains(s.Seed) ? SeedState.Absent : s.State)).ToArray();
        var seen = string.Join(", ", seeds.Select(s => $"{s.Seed}: {s.State}"));
        switch (Decide(seeds.Select(s => s.State)))
        {
            case Decision.FormCluster:
                _log.Info("First seed: no other seed is in a cluster ({0}); forming the cluster", seen);
                cluster.Join(cluster.SelfAddress);
                Context.Stop(Self);
                break;
            case Decision.Joining:
                _log.Info("First seed: another seed is in a cluster ({0}); joining it", seen);
                Context.Stop(Self);
                break;
            default:
                _log.Warning("First seed, round {0}: not every other seed answered ({1}); not forming a cluster of its own, asking again",
                    _round, seen);
                Timers.StartSingleTimer("probe", new ProbeAgain(), _timing.Pause);
                break;
        }
    }

    /// <summary>Whether the node at <paramref name="seed"/> says it is in a cluster; <see cref="SeedState.Absent"/> when its name does not resolve.</summary>
    public static async Task<SeedState> AskAsync(ActorSystem system, Address seed, FirstSeedTiming timing)
    {
        try
        {
            await System.Net.Dns.GetHostAddressesAsync(seed.Host!);
        }
        catch (SocketException e) when (e.SocketErrorCode is SocketError.HostNotFound or SocketError.NoData)
        {
            return SeedState.Absent;
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

    /// <summary>Whether an association failed because the connection was refused or the name does not resolve.</summary>
    public static bool IsRefusal(Exception? cause)
    {
        for (var e = cause; e is not null; e = e.InnerException)
        {
            if (e is SocketException { SocketErrorCode: SocketError.ConnectionRefused or SocketError.HostNotFound or SocketError.NoData }) return true;
            if (e is AggregateException aggregate && aggregate.InnerExceptions.Any(IsRefusal)) return true;
            if (e.Message.Contains("Connection refused", StringComparison.OrdinalIgnoreCase)) return true;
        }
        return false;
    }
}

using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Runtime.CompilerServices;
using Akka.Actor;
using Akka.Cluster;
using Akka.Cluster.Sharding;
using Akka.Hosting;
using Akka.Remote;
using OpenChat.Protocol.Cluster;

namespace OpenChat.Hosting;

/// <summary>
/// What a node sees of the cluster: when each member became Up (as this node observed it), which members' connections
/// to this node closed (a killed process's sockets close at once, long before the failure detector gives up on its
/// heartbeats), and the channel shards this node hosts. It feeds the cluster meter (<c>OpenChat.Cluster</c>: members by role and status, unreachable
/// members, shards and entities hosted here) and the admin cluster view.
/// </summary>
public sealed class ClusterObserver
{
    public const string MeterName = "OpenChat.Cluster";

    private static readonly ConditionalWeakTable<ActorSystem, ClusterObserver> Observers = new();
    private static readonly Lock Gate = new();
    private static readonly List<ClusterObserver> Live = [];

    /// <summary>The statuses the members gauge always reports (zero when none), so a status's series never goes stale.</summary>
    private static readonly MemberStatus[] Statuses =
        [MemberStatus.Joining, MemberStatus.WeaklyUp, MemberStatus.Up, MemberStatus.Leaving, MemberStatus.Exiting, MemberStatus.Down];

    private static readonly Meter Meter = new(MeterName);

    private readonly ActorSystem _system;
    private readonly Cluster _cluster;
    private readonly ConcurrentDictionary<Address, DateTimeOffset> _upSince = new();
    private readonly ConcurrentDictionary<Address, DateTimeOffset> _connectionClosed = new();
    private volatile ShardCounts _shards = new(0, 0);

    private sealed record ShardCounts(int Shards, int Entities);

    static ClusterObserver()
    {
        Meter.CreateObservableGauge("openchat.cluster.members", MembersByRoleAndStatus, "{member}",
            "Cluster members by role and status, as this node sees them (a member with several roles counts once per role). " +
            "The label is member_role, not role, which scrape configurations use for the scraped node's own role.");
        Meter.CreateObservableGauge("openchat.cluster.members.unreachable", () => Each(o => o._cluster.State.Unreachable.Count), "{member}",
            "Members this node's failure detector marks unreachable.");
        Meter.CreateObservableGauge("openchat.cluster.shards", () => Each(o => o._shards.Shards), "{shard}",
            "Channel shards this node hosts (channels nodes).");
        Meter.CreateObservableGauge("openchat.cluster.entities", () => Each(o => o._shards.Entities), "{entity}",
            "Channel entities in the shards this node hosts.");
    }

    private ClusterObserver(ActorSystem system)
    {
        _system = system;
        _cluster = Cluster.Get(system);
    }

    /// <summary>The observer of <paramref name="system"/>, once <see cref="Start"/> has run there.</summary>
    public static ClusterObserver? For(ActorSystem system) => Observers.TryGetValue(system, out var observer) ? observer : null;

    /// <summary>Starts observing: cluster events, and on channels nodes the hosted shards every few seconds.</summary>
    public static void Start(ActorSystem system, IActorRegistry registry, bool channelsNode)
    {
        var observer = Observers.GetValue(system, s => new ClusterObserver(s));
        lock (Gate) Live.Add(observer);
        system.ActorOf(Props.Create(() => new Watcher(observer, registry, channelsNode)), "cluster-observer");
        system.WhenTerminated.ContinueWith(_ =>
        {
            lock (Gate) Live.Remove(observer);
        }, TaskScheduler.Default);
    }

    /// <summary>When this node saw <paramref name="member"/> become Up (or first saw it Up, if it was before this node joined).</summary>
    public DateTimeOffset? UpSince(Address member) => _upSince.TryGetValue(member, out var at) ? at : null;

    /// <summary>
    /// Whether this node's connection to <paramref name="member"/> closed and has not been opened again: the process is
    /// gone or its network is. Cleared when the connection is back or the member leaves the cluster.
    /// </summary>
    public bool ConnectionClosed(Address member) => _connectionClosed.ContainsKey(member);

    private static int Each(Func<ClusterObserver, int> read)
    {
        lock (Gate)
        {
            int sum = 0;
            foreach (var observer in Live) sum += read(observer);
            return sum;
        }
    }

    private static IEnumerable<Measurement<int>> MembersByRoleAndStatus()
    {
        var counts = new Dictionary<(string Role, MemberStatus Status), int>();
        lock (Gate)
        {
            foreach (var observer in Live)
            {
                foreach (var member in observer._cluster.State.Members)
                {
                    foreach (var role in member.Roles)
                    {
                        if (!OpenChatRoles.All.Contains(role)) continue; // data-center roles and the like
                        counts[(role, member.Status)] = counts.GetValueOrDefault((role, member.Status)) + 1;
                    }
                }
            }
        }
        foreach (var role in OpenChatRoles.All)
        {
            foreach (var status in Statuses)
            {
                yield return new Measurement<int>(counts.GetValueOrDefault((role, status)),
                    new KeyValuePair<string, object?>("member_role", role), new KeyValuePair<string, object?>("status", StatusLabel(status)));
            }
        }
    }

    /// <summary>A member status as a label: <c>up</c>, <c>weakly_up</c>, <c>leaving</c>, ...</summary>
    public static string StatusLabel(MemberStatus status) => status switch
    {
        MemberStatus.WeaklyUp => "weakly_up",
        _ => status.ToString().ToLowerInvariant(),
    };

    /// <summary>Keeps the Up times current and, on a channels node, counts the shards it hosts.</summary>
    private sealed class Watcher : ReceiveActor, IWithTimers
    {
        private sealed record Refresh;

        private static readonly TimeSpan ShardInterval = TimeSpan.FromSeconds(5);

        public ITimerScheduler Timers { get; set; } = null!;

        public Watcher(ClusterObserver observer, IActorRegistry registry, bool channelsNode)
        {
            Receive<ClusterEvent.CurrentClusterState>(state =>
            {
                foreach (var member in state.Members)
                    if (member.Status == MemberStatus.Up) observer._upSince.TryAdd(member.Address, DateTimeOffset.UtcNow);
            });
            Receive<ClusterEvent.MemberUp>(up => observer._upSince[up.Member.Address] = DateTimeOffset.UtcNow);
            Receive<ClusterEvent.MemberRemoved>(removed =>
            {
                observer._upSince.TryRemove(removed.Member.Address, out _);
                observer._connectionClosed.TryRemove(removed.Member.Address, out _);
            });
            Receive<DisassociatedEvent>(e =>
            {
                if (Cluster.Get(Context.System).State.Members.Any(m => m.Address == e.RemoteAddress))
                    observer._connectionClosed[e.RemoteAddress] = DateTimeOffset.UtcNow;
            });
            Receive<AssociatedEvent>(e => observer._connectionClosed.TryRemove(e.RemoteAddress, out _));
            Receive<AssociationEvent>(_ => { });
            Receive<ClusterEvent.IMemberEvent>(_ => { });
            Receive<Refresh>(_ =>
            {
                if (registry.TryGet<ChannelRegion>(out var region) && !region.IsNobody())
                    region.Ask<CurrentShardRegionState>(GetShardRegionState.Instance, TimeSpan.FromSeconds(3))
                        .PipeTo(Self, failure: _ => new Status.Failure(new TimeoutException()));
            });
            Receive<CurrentShardRegionState>(state =>
                observer._shards = new ShardCounts(state.Shards.Count, state.Shards.Sum(s => s.EntityIds.Count)));
            Receive<Status.Failure>(_ => { });
            if (channelsNode) Timers.StartPeriodicTimer("shards", new Refresh(), TimeSpan.FromSeconds(1), ShardInterval);
        }

        protected override void PreStart()
        {
            Cluster.Get(Context.System).Subscribe(Self, ClusterEvent.SubscriptionInitialStateMode.InitialStateAsSnapshot, typeof(ClusterEvent.IMemberEvent));
            Context.System.EventStream.Subscribe(Self, typeof(AssociationEvent));
        }

        protected override void PostStop()
        {
            Cluster.Get(Context.System).Unsubscribe(Self);
            Context.System.EventStream.Unsubscribe(Self);
        }
    }
}

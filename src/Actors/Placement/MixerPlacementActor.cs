using OpenChat.Hosting;
using Akka.Actor;
using Akka.Cluster;
using Akka.DistributedData;
using Akka.Event;
using Akka.Remote;
using OpenChat.Protocol.Cluster;
using OpenChat.Protocol;
using OpenChat.Protocol.Commands;
using OpenChat.Protocol.Media;

namespace OpenChat.Channels.Placement;

/// <summary>
/// One per channels node (<c>/user/mixer-placement</c>): follows the media nodes' load reports and the cluster's
/// reachability, places room mixers with an <see cref="IMixerPlacement"/> strategy, and remembers what it placed
/// until the reports show it. It also tells the node's channel entities (<see cref="MediaNodeLost"/> on the local
/// event stream) the moment a media node is lost: when its transport association closes (a crashed process's
/// sockets close at once), when it becomes unreachable, or when it leaves.
/// </summary>
public sealed class MixerPlacementActor : ReceiveActor, IWithTimers
{
    private readonly IMixerPlacement _strategy;
    private readonly TimeSpan _createTimeout;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly PendingPlacements _pending = new(TimeSpan.FromSeconds(10));
    private readonly CpuReadings _cpu = new();
    private readonly HashSet<string> _unreachable = new();
    private readonly Dictionary<string, DateTimeOffset> _disassociated = new();
    private readonly List<(PlaceMixer Request, IActorRef ReplyTo, DateTimeOffset GiveUpAt)> _waiting = new();
    private readonly TimeSpan _waitForNode;
    private IReadOnlyDictionary<string, MediaNodeLoad> _loads = new Dictionary<string, MediaNodeLoad>();

    private sealed record RetryWaiting;

    /// <summary>A placement request waiting for the replica's current reports.</summary>
    private sealed record Placing(PlaceMixer Request, IActorRef ReplyTo, DateTimeOffset GiveUpAt);

    /// <param name="strategy">Chooses the node.</param>
    /// <param name="createTimeout">How long the chosen node may take to create the mixer.</param>
    /// <param name="waitForNode">
    /// How long a request waits for a node that can take it (a cluster that just started, or whose only media
    /// node was just lost while another is joining) before it is refused.
    /// </param>
    public MixerPlacementActor(IMixerPlacement strategy, TimeSpan createTimeout, TimeSpan waitForNode)
    {
        _strategy = strategy;
        _createTimeout = createTimeout;
        _waitForNode = waitForNode;

        Receive<Changed>(changed =>
        {
            if (!changed.Key.Equals(MediaLoad.Key)) return;
            TakeLoads(changed.Get(MediaLoad.Key).Entries);
            RetryWaitingRequests();
        });
        // A placement reads the replica's current reports first: subscribers hear of changes only every
        // notify interval, and a node that has just reported (one that just joined) should take the next room.
        Receive<GetSuccess>(success =>
        {
            TakeLoads(success.Get(MediaLoad.Key).Entries);
            PlaceOrRetry(success.Request);
        });
        Receive<NotFound>(missing => PlaceOrRetry(missing.Request));
        Receive<GetFailure>(failure => PlaceOrRetry(failure.Request));
        Receive<RetryWaiting>(retry => DistributedData.Get(Context.System).Replicator.Tell(Dsl.Get(MediaLoad.Key, ReadLocal.Instance, retry)));
        Receive<ClusterEvent.UnreachableMember>(e =>
        {
            var node = e.Member.Address.ToString();
            _unreachable.Add(node);
            if (e.Member.HasRole(OpenChatRoles.Media)) Lost(node, "unreachable");
        });
        Receive<ClusterEvent.ReachableMember>(e => _unreachable.Remove(e.Member.Address.ToString()));
        Receive<ClusterEvent.MemberRemoved>(e =>
        {
            var node = e.Member.Address.ToString();
            _unreachable.Add(node);
            _disassociated.Remove(node);
            if (e.Member.HasRole(OpenChatRoles.Media)) Lost(node, "left the cluster");
        });
        Receive<DisassociatedEvent>(e =>
        {
            var node = e.RemoteAddress.ToString();
            if (!_loads.ContainsKey(node) || _disassociated.ContainsKey(node)) return;
            _disassociated[node] = DateTimeOffset.UtcNow;
            Lost(node, "connection closed");
        });
        Receive<ClusterEvent.MemberUp>(e =>
        {
            // A node that left and came back at the same address (a media pod restarted on its node's host network)
            // is a new member: what was known of the old one no longer holds.
            var node = e.Member.Address.ToString();
            _unreachable.Remove(node);
            _disassociated.Remove(node);
        });
        Receive<AssociationEvent>(_ => { });
        Receive<ClusterEvent.CurrentClusterState>(state =>
        {
            foreach (var m in state.Unreachable) _unreachable.Add(m.Address.ToString());
        });
        Receive<ClusterEvent.IMemberEvent>(_ => { });
        Receive<PlaceMixer>(request => DistributedData.Get(Context.System).Replicator.Tell(
            Dsl.Get(MediaLoad.Key, ReadLocal.Instance, new Placing(request, Sender, DateTimeOffset.UtcNow + _waitForNode))));
    }

    /// <summary>Goes on with what asked for the replica's reports.</summary>
    private void PlaceOrRetry(object? request)
    {
        if (request is Placing placing) Place(placing.Request, placing.ReplyTo, placing.GiveUpAt);
        else if (request is RetryWaiting) RetryWaitingRequests();
    }

    private void TakeLoads(IReadOnlyDictionary<string, MediaNodeLoad> loads)
    {
        _loads = loads;
        _cpu.Observe(loads);
        // A node that reports again after its association closed is back.
        if (_disassociated.Count == 0) return;
        foreach (var (node, since) in _disassociated.ToList())
        {
            if (_loads.TryGetValue(node, out var load) && load.ReportedAt > since) _disassociated.Remove(node);
        }
    }

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(IMixerPlacement strategy, TimeSpan createTimeout, TimeSpan waitForNode) =>
        Akka.Actor.Props.Create(() => new MixerPlacementActor(strategy, createTimeout, waitForNode));

    protected override void PreStart()
    {
        DistributedData.Get(Context.System).Replicator.Tell(Dsl.Subscribe(MediaLoad.Key, Self));
        Context.System.EventStream.Subscribe(Self, typeof(DisassociatedEvent));
        Cluster.Get(Context.System).Subscribe(Self, ClusterEvent.SubscriptionInitialStateMode.InitialStateAsSnapshot,
            typeof(ClusterEvent.IReachabilityEvent), typeof(ClusterEvent.MemberRemoved), typeof(ClusterEvent.MemberUp));
    }

    protected override void PostStop()
    {
        Cluster.Get(Context.System).Unsubscribe(Self);
        Context.System.EventStream.Unsubscribe(Self);
    }

    private void Lost(string node, string reason)
    {
        _log.Warning("Media node {0} lost: {1}", node, reason);
        Context.System.EventStream.Publish(new MediaNodeLost(node, reason));
    }

    private void RetryWaitingRequests()
    {
        if (_waiting.Count == 0) return;
        var waiting = _waiting.ToList();
        _waiting.Clear();
        foreach (var (request, replyTo, giveUpAt) in waiting) Place(request, replyTo, giveUpAt);
    }

    private void Place(PlaceMixer request, IActorRef replyTo, DateTimeOffset giveUpAt)
    {
        var now = DateTimeOffset.UtcNow;
        _pending.Prune(now);
        var candidates = request.AvoidNode is null ? _loads.Values : _loads.Values.Where(l => l.Node != request.AvoidNode);
        var excluded = _disassociated.Count == 0 ? _unreachable : new HashSet<string>(_unreachable.Concat(_disassociated.Keys));
        var context = new PlacementContext(now, excluded, l => _pending.CountAfter(l.Node, l.ReportedAt), _cpu.Sustained);
        var chosen = _strategy.Choose(candidates, context);
        using var span = chosen is null ? null : ChannelTracing.Source.StartChild("placement.place_mixer", request.TraceParent);
        span?.SetTag("openchat.media_node", chosen!.Node);
        if (chosen is null)
        {
            if (now < giveUpAt)
            {
                _waiting.Add((request, replyTo, giveUpAt));
                if (!Timers.IsTimerActive("retry")) Timers.StartSingleTimer("retry", new RetryWaiting(), TimeSpan.FromMilliseconds(250));
                return;
            }
            _log.Warning("No media node can take room {0} ({1} known)", request.Room, _loads.Count);
            replyTo.Tell(new CommandRejected(ErrorCode.Unavailable, "No media node is available for voice right now."));
            return;
        }
        _pending.Record(chosen.Node, now);
        chosen.Manager.Ask<MixerReady>(new CreateMixer(request.Room, request.Owner, span.Context(request.TraceParent)), _createTimeout)
            .PipeTo(replyTo, failure: e => new CommandRejected(ErrorCode.Unavailable, $"Media node {chosen.Node} did not create the mixer: {e.Message}"));
    }
}

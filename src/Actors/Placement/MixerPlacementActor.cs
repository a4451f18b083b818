using Akka.Actor;
using Akka.Cluster;
using Akka.DistributedData;
using Akka.Event;
using Akka.Remote;
using OpenChat.Actors.Hosting;
using OpenChat.Actors.Protocol;
using OpenChat.Actors.Protocol.Commands;
using OpenChat.Actors.Protocol.Media;

namespace OpenChat.Actors.Placement;

/// <summary>
/// One per channels node (<c>/user/mixer-placement</c>): follows the media nodes' load reports and the cluster's
/// reachability, places room mixers with an <see cref="IMixerPlacement"/> strategy, and remembers what it placed
/// until the reports show it. It also tells the node's channel entities (<see cref="MediaNodeLost"/> on the local
/// event stream) the moment a media node is lost: when its transport association closes (a crashed process's
/// sockets close at once), when it becomes unreachable, or when it leaves.
/// </summary>
public sealed class MixerPlacementActor : ReceiveActor
{
    private readonly IMixerPlacement _strategy;
    private readonly TimeSpan _createTimeout;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly PendingPlacements _pending = new(TimeSpan.FromSeconds(10));
    private readonly HashSet<string> _unreachable = new();
    private readonly Dictionary<string, DateTimeOffset> _disassociated = new();
    private IReadOnlyDictionary<string, MediaNodeLoad> _loads = new Dictionary<string, MediaNodeLoad>();

    public MixerPlacementActor(IMixerPlacement strategy, TimeSpan createTimeout)
    {
        _strategy = strategy;
        _createTimeout = createTimeout;

        Receive<Changed>(changed =>
        {
            if (!changed.Key.Equals(MediaLoad.Key)) return;
            _loads = changed.Get(MediaLoad.Key).Entries;
            // A node that reports again after its association closed is back.
            foreach (var (node, since) in _disassociated.ToList())
            {
                if (_loads.TryGetValue(node, out var load) && load.ReportedAt > since) _disassociated.Remove(node);
            }
        });
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
            if (e.Member.HasRole(OpenChatRoles.Media)) Lost(node, "left the cluster");
        });
        Receive<DisassociatedEvent>(e =>
        {
            var node = e.RemoteAddress.ToString();
            if (!_loads.ContainsKey(node) || _disassociated.ContainsKey(node)) return;
            _disassociated[node] = DateTimeOffset.UtcNow;
            Lost(node, "connection closed");
        });
        Receive<AssociationEvent>(_ => { });
        Receive<ClusterEvent.CurrentClusterState>(state =>
        {
            foreach (var m in state.Unreachable) _unreachable.Add(m.Address.ToString());
        });
        Receive<ClusterEvent.IMemberEvent>(_ => { });
        Receive<PlaceMixer>(Place);
    }

    public static Props Props(IMixerPlacement strategy, TimeSpan createTimeout) =>
        Akka.Actor.Props.Create(() => new MixerPlacementActor(strategy, createTimeout));

    protected override void PreStart()
    {
        DistributedData.Get(Context.System).Replicator.Tell(Dsl.Subscribe(MediaLoad.Key, Self));
        Context.System.EventStream.Subscribe(Self, typeof(DisassociatedEvent));
        Cluster.Get(Context.System).Subscribe(Self, ClusterEvent.SubscriptionInitialStateMode.InitialStateAsSnapshot,
            typeof(ClusterEvent.IReachabilityEvent), typeof(ClusterEvent.MemberRemoved));
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

    private void Place(PlaceMixer request)
    {
        var now = DateTimeOffset.UtcNow;
        _pending.Prune(now);
        var candidates = request.AvoidNode is null ? _loads.Values : _loads.Values.Where(l => l.Node != request.AvoidNode);
        var excluded = _disassociated.Count == 0 ? _unreachable : new HashSet<string>(_unreachable.Concat(_disassociated.Keys));
        var context = new PlacementContext(now, excluded, l => _pending.CountAfter(l.Node, l.ReportedAt));
        var chosen = _strategy.Choose(candidates, context);
        if (chosen is null)
        {
            _log.Warning("No media node can take room {0} ({1} known)", request.Room, _loads.Count);
            Sender.Tell(new CommandRejected(ErrorCode.Unavailable, "No media node is available for voice right now."));
            return;
        }
        _pending.Record(chosen.Node, now);
        chosen.Manager.Ask<MixerReady>(new CreateMixer(request.Room, request.Owner), _createTimeout)
            .PipeTo(Sender, failure: e => new CommandRejected(ErrorCode.Unavailable, $"Media node {chosen.Node} did not create the mixer: {e.Message}"));
    }
}

using Akka.Actor;
using Akka.Cluster;
using Akka.DistributedData;
using Akka.Event;
using OpenChat.Actors.Protocol;
using OpenChat.Actors.Protocol.Commands;
using OpenChat.Actors.Protocol.Media;

namespace OpenChat.Actors.Placement;

/// <summary>
/// One per channels node (<c>/user/mixer-placement</c>): follows the media nodes' load reports and the cluster's
/// reachability, places room mixers with an <see cref="IMixerPlacement"/> strategy, and remembers what it placed
/// until the reports show it.
/// </summary>
public sealed class MixerPlacementActor : ReceiveActor
{
    private readonly IMixerPlacement _strategy;
    private readonly TimeSpan _createTimeout;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly PendingPlacements _pending = new(TimeSpan.FromSeconds(10));
    private readonly HashSet<string> _unreachable = new();
    private IReadOnlyDictionary<string, MediaNodeLoad> _loads = new Dictionary<string, MediaNodeLoad>();

    public MixerPlacementActor(IMixerPlacement strategy, TimeSpan createTimeout)
    {
        _strategy = strategy;
        _createTimeout = createTimeout;

        Receive<Changed>(changed =>
        {
            if (changed.Key.Equals(MediaLoad.Key)) _loads = changed.Get(MediaLoad.Key).Entries;
        });
        Receive<ClusterEvent.UnreachableMember>(e => _unreachable.Add(e.Member.Address.ToString()));
        Receive<ClusterEvent.ReachableMember>(e => _unreachable.Remove(e.Member.Address.ToString()));
        Receive<ClusterEvent.MemberRemoved>(e => _unreachable.Add(e.Member.Address.ToString()));
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
        Cluster.Get(Context.System).Subscribe(Self, ClusterEvent.SubscriptionInitialStateMode.InitialStateAsSnapshot,
            typeof(ClusterEvent.IReachabilityEvent), typeof(ClusterEvent.MemberRemoved));
    }

    protected override void PostStop() => Cluster.Get(Context.System).Unsubscribe(Self);

    private void Place(PlaceMixer request)
    {
        var now = DateTimeOffset.UtcNow;
        _pending.Prune(now);
        var candidates = request.AvoidNode is null ? _loads.Values : _loads.Values.Where(l => l.Node != request.AvoidNode);
        var context = new PlacementContext(now, _unreachable, l => _pending.CountAfter(l.Node, l.ReportedAt));
        var chosen = _strategy.Choose(candidates, context);
        if (chosen is null)
        {
            _log.Warning("No media node can take room {0} ({1} known)", request.Room, _loads.Count);
            Sender.Tell(new CommandRejected(ErrorCode.Unavailable, "No media node is available for voice right now."));
            return;
        }
        _pending.Record(chosen.Node, now);
        chosen.Manager.Ask<MixerReady>(new CreateMixer(request.Room), _createTimeout)
            .PipeTo(Sender, failure: e => new CommandRejected(ErrorCode.Unavailable, $"Media node {chosen.Node} did not create the mixer: {e.Message}"));
    }
}

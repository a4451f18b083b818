using Akka.Actor;
using Akka.Cluster;
using Akka.DistributedData;
using Akka.Event;
using OpenChat.Actors.Ids;
using OpenChat.Actors.Protocol.Media;

namespace OpenChat.MediaNode.Mixers;

/// <summary>
/// One per media node (<c>/user/mixer-manager</c>): creates and stops the room mixers on request, and publishes the
/// node's load to distributed data about once a second.
/// </summary>
public sealed class MixerManagerActor : ReceiveActor, IWithTimers
{
    private readonly MediaEngineService _media;
    private readonly MediaTransportService _transport;
    private readonly MediaNodeOptions _options;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly Dictionary<ChannelId, IActorRef> _mixers = new();
    private readonly Dictionary<IActorRef, ChannelId> _rooms = new();
    private readonly IActorRef _replicator;
    private readonly Cluster _self;
    private readonly string _node;
    private bool _draining;
    private long _created;

    private sealed record Publish;

    /// <summary>Marks this node draining: it takes no new rooms and says so in its load reports.</summary>
    public sealed record SetDraining(bool Draining);

    public MixerManagerActor(MediaEngineService media, MediaTransportService transport, MediaNodeOptions options)
    {
        _media = media;
        _transport = transport;
        _options = options;
        var cluster = Cluster.Get(Context.System);
        _self = cluster;
        _node = cluster.SelfAddress.ToString();
        _replicator = DistributedData.Get(Context.System).Replicator;

        Receive<CreateMixer>(create =>
        {
            if (!_mixers.TryGetValue(create.Room, out var mixer))
            {
                var room = _media.Engine.CreateRoom(MixerActor.RoomIdFor(create.Room));
                // A fresh name each time: the previous mixer of this room may still be stopping.
                mixer = Context.ActorOf(MixerActor.Props(create.Room, room, _transport.Endpoint), $"mixer-{create.Room.Value}-{++_created}");
                Context.Watch(mixer);
                _mixers[create.Room] = mixer;
                _rooms[mixer] = create.Room;
            }
            Sender.Tell(new MixerReady(create.Room, mixer, _node));
        });
        Receive<StopMixer>(stop =>
        {
            if (_mixers.Remove(stop.Room, out var mixer))
            {
                _rooms.Remove(mixer);
                Context.Unwatch(mixer);
                Context.Stop(mixer);
                _media.Engine.RemoveRoom(MixerActor.RoomIdFor(stop.Room));
            }
            Sender.Tell(new MixerStopped(stop.Room));
        });
        Receive<GetMixers>(_ => Sender.Tell(new MixerList(_node, _mixers.Keys.OrderBy(k => k.Value).ToList())));
        Receive<Terminated>(t =>
        {
            // A mixer that stopped on its own takes its engine room with it.
            if (_rooms.Remove(t.ActorRef, out var room))
            {
                _mixers.Remove(room);
                _media.Engine.RemoveRoom(MixerActor.RoomIdFor(room));
            }
        });
        Receive<SetDraining>(d =>
        {
            _draining = d.Draining;
            Self.Tell(new Publish());
        });
        Receive<Publish>(_ => PublishLoad());
        Receive<UpdateSuccess>(_ => { });
        Receive<IUpdateFailure>(f => _log.Warning("Load report not stored: {0}", f));
    }

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(MediaEngineService media, MediaTransportService transport, MediaNodeOptions options) =>
        Akka.Actor.Props.Create(() => new MixerManagerActor(media, transport, options));

    protected override void PreStart()
    {
        Timers.StartPeriodicTimer("publish", new Publish(), TimeSpan.Zero, _options.LoadReportInterval);
    }

    private void PublishLoad()
    {
        var engine = _media.Engine;
        var (encodes, cpu, p99, late) = _media.Sample();
        var members = 0;
        foreach (var room in _mixers.Keys)
        {
            if (engine.TryGetRoom(MixerActor.RoomIdFor(room), out var mixerRoom)) members += mixerRoom.MemberCount;
        }
        var load = new MediaNodeLoad(_node, Self, _mixers.Count, members, encodes, cpu, p99, late, _draining,
            _options.MaxMembers, DateTimeOffset.UtcNow);
        _replicator.Tell(Dsl.Update(MediaLoad.Key, LWWDictionary<string, MediaNodeLoad>.Empty, WriteLocal.Instance,
            map => map.SetItem(_self, _node, load)));
    }

    protected override void PostStop()
    {
        // Leave no stale entry: readers also ignore reports older than a few seconds.
        _replicator.Tell(Dsl.Update(MediaLoad.Key, LWWDictionary<string, MediaNodeLoad>.Empty, WriteLocal.Instance,
            map => map.Remove(_self, _node)));
    }
}

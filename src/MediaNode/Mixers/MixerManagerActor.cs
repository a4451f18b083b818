using OpenChat.Hosting;
using Akka.Actor;
using Akka.Cluster;
using Akka.DistributedData;
using Akka.Event;
using OpenChat.Protocol.Ids;
using OpenChat.Protocol.Media;

namespace OpenChat.MediaNode.Mixers;

/// <summary>
/// One per media node (<c>/user/mixer-manager</c>): creates and stops the room mixers on request, publishes the
/// node's load to distributed data about once a second, and drains the node before it leaves: it stops taking
/// rooms, asks the rooms' owners to move them, a turn of rooms at a time (<see cref="MediaNodeOptions.DrainMembersAtOnce"/>),
/// and answers <see cref="Drained"/> once no mixer is left (or the drain timeout passed).
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
    private readonly List<IActorRef> _drainWaiters = new();
    private bool _draining;
    private long _created;
    // While draining: rooms not yet asked to move, and those asked, with when and how many members they had then.
    private readonly Queue<IActorRef> _toMove = new();
    private readonly Dictionary<IActorRef, (long Since, int Members)> _moving = new();
    private int _membersPerTurn;
    // The engine's tick counts when the drain started: the log says how the node kept time while it handed over.
    private (long Ticks, long Late, long Missed, long StartedAt) _atDrainStart;

    /// <summary>
    /// Publishes the load report. Only the periodic one measures (<paramref name="Measure"/>): the engine's rates are
    /// per interval, so a report sent in between (a new room, draining) repeats the last measurement with the
    /// node's current rooms, members and draining state instead of measuring a few milliseconds.
    /// </summary>
    private sealed record Publish(bool Measure = false);

    private (double EncodesPerSecond, double MixCpuPercent, double TickP99Ms, long LateTicks, double InboundLossPercent) _lastSample;

    private sealed record DrainTimedOut;

    private sealed record DrainStep;

    /// <summary>Marks this node draining: it takes no new rooms and says so in its load reports.</summary>
    public sealed record SetDraining(bool Draining);

    /// <summary>Drains the node: answered with <see cref="Drained"/> once every room has moved away.</summary>
    public sealed record Drain(TimeSpan Timeout);

    /// <summary>The node runs no mixer any more (or the drain timed out with <paramref name="RoomsLeft"/> rooms).</summary>
    public sealed record Drained(int RoomsLeft);

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
            using var span = MediaTracing.Source.StartChild("mixer.create", create.TraceParent);
            if (_mixers.TryGetValue(create.Room, out var mixer))
            {
                mixer.Tell(create);
            }
            else
            {
                if (_draining)
                {
                    Sender.Tell(new Protocol.Commands.CommandRejected(Protocol.ErrorCode.Unavailable, $"Media node {_node} is draining."));
                    return;
                }
                var room = _media.Engine.CreateRoom(MixerActor.RoomIdFor(create.Room));
                // A fresh name each time: the previous mixer of this room may still be stopping.
                mixer = Context.ActorOf(MixerActor.Props(create.Room, room, _transport.Endpoint, create.Owner, _transport.Paths), $"mixer-{create.Room.Value}-{++_created}");
                Context.Watch(mixer);
                _mixers[create.Room] = mixer;
                _rooms[mixer] = create.Room;
                Self.Tell(new Publish());
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
                if (_moving.Count > 0) MoveNextRooms();
                CheckDrained();
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
                if (_moving.Count > 0) MoveNextRooms();
                CheckDrained();
            }
        });
        Receive<Drain>(drain =>
        {
            _draining = true;
            PublishLoad();
            _drainWaiters.Add(Sender);
            // Where could the rooms go? Read the other nodes' reports before asking anyone to move.
            _replicator.Tell(Dsl.Get(MediaLoad.Key, ReadLocal.Instance, drain));
        });
        Receive<GetSuccess>(success =>
        {
            if (success.Request is not Drain drain) return;
            var loads = success.Get(MediaLoad.Key).Entries.Values;
            // Somewhere placement would put a room: the same eligibility, counting only members of the cluster that are Up.
            var notUp = loads.Select(l => l.Node)
                .Where(node => !_self.State.Members.Any(m => m.Address.ToString() == node && m.Status == MemberStatus.Up))
                .ToHashSet();
            var now = DateTimeOffset.UtcNow;
            StartDrain(drain, loads.Any(l => l.Node != _node
                && MediaLoadRules.CanTakeRoom(l, now, MediaLoadRules.MaxReportAge, notUp.Contains(l.Node), pendingRooms: 0)));
        });
        Receive<NotFound>(notFound =>
        {
            if (notFound.Request is Drain drain) StartDrain(drain, anotherNode: false);
        });
        Receive<GetFailure>(failure =>
        {
            if (failure.Request is Drain drain) StartDrain(drain, anotherNode: true);
        });
        Receive<DrainTimedOut>(_ =>
        {
            _log.Warning("Drain timed out with {0} rooms left", _mixers.Count);
            Timers.Cancel("drain-step");
            AnswerDrainWaiters();
        });
        Receive<DrainStep>(_ => MoveNextRooms());
        Receive<SetDraining>(d =>
        {
            _draining = d.Draining;
            Self.Tell(new Publish());
        });
        Receive<Publish>(publish => PublishLoad(publish.Measure));
        Receive<UpdateSuccess>(_ => { });
        Receive<IUpdateFailure>(f => _log.Warning("Load report not stored: {0}", f));
    }

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(MediaEngineService media, MediaTransportService transport, MediaNodeOptions options) =>
        Akka.Actor.Props.Create(() => new MixerManagerActor(media, transport, options));

    protected override void PreStart()
    {
        Timers.StartPeriodicTimer("publish", new Publish(Measure: true), TimeSpan.Zero, _options.LoadReportInterval);
    }

    private void StartDrain(Drain drain, bool anotherNode)
    {
        if (!anotherNode)
        {
            // The last media node: nobody can take the rooms, so waiting would only delay the shutdown.
            if (_mixers.Count > 0)
                _log.Warning("Draining: no other media node can take the {0} rooms; leaving without moving them", _mixers.Count);
            AnswerDrainWaiters();
            return;
        }
        // Rooms move in turns: every member of a room on the move reconnects at once, and a room is split between its
        // old and new mixer until the last of them has. A turn of a few rooms connects in a fraction of a second;
        // everyone at once queues every handshake behind all the others' on the node taking them.
        var rooms = _mixers.Values.Select(m => (Mixer: m, Members: MembersOf(m))).OrderByDescending(r => r.Members).ToList();
        int total = rooms.Sum(r => r.Members);
        int turns = Math.Max(1, (int)(_options.DrainTimeout / 2 / _options.DrainTurn));
        _membersPerTurn = Math.Max(_options.DrainMembersAtOnce, (total + turns - 1) / turns);
        _log.Info("Draining: moving {0} rooms with {1} members to other media nodes, about {2} members at a time",
            rooms.Count, total, _membersPerTurn);
        foreach (var room in rooms) _toMove.Enqueue(room.Mixer);
        var counters = _media.Engine.Counters;
        _atDrainStart = (counters.Ticks, counters.LateTicks, counters.MissedTicks, Environment.TickCount64);
        Timers.StartSingleTimer("drain", new DrainTimedOut(), drain.Timeout);
        Timers.StartPeriodicTimer("drain-step", new DrainStep(), _options.DrainTurn / 4);
        MoveNextRooms();
        CheckDrained();
    }

    private int MembersOf(IActorRef mixer) =>
        _rooms.TryGetValue(mixer, out var room) && _media.Engine.TryGetRoom(MixerActor.RoomIdFor(room), out var mixerRoom) ? mixerRoom.MemberCount : 0;

    /// <summary>Asks the next rooms' owners to move them while the rooms on the move hold fewer members than a turn.</summary>
    private void MoveNextRooms()
    {
        long now = Environment.TickCount64;
        int inTurn = 0;
        foreach (var (mixer, moving) in _moving.ToList())
        {
            if (!_rooms.ContainsKey(mixer)) _moving.Remove(mixer);
            else if (now - moving.Since < (long)_options.DrainTurn.TotalMilliseconds) inTurn += moving.Members;
        }
        while (_toMove.TryPeek(out var next))
        {
            if (!_rooms.ContainsKey(next))
            {
                _toMove.Dequeue();
                continue;
            }
            int members = MembersOf(next);
            if (inTurn > 0 && inTurn + members > _membersPerTurn) break;
            _toMove.Dequeue();
            _moving[next] = (now, members);
            inTurn += members;
            next.Tell(new MixerActor.Drain(_node));
        }
        if (_toMove.Count == 0 && _moving.Count == 0) Timers.Cancel("drain-step");
    }

    private void CheckDrained()
    {
        if (_drainWaiters.Count == 0 || _mixers.Count > 0) return;
        Timers.Cancel("drain");
        Timers.Cancel("drain-step");
        var counters = _media.Engine.Counters;
        _log.Info("Drained: no room left on this node after {0} ms; {1} ticks meanwhile, {2} late, {3} missed",
            Environment.TickCount64 - _atDrainStart.StartedAt, counters.Ticks - _atDrainStart.Ticks,
            counters.LateTicks - _atDrainStart.Late, counters.MissedTicks - _atDrainStart.Missed);
        AnswerDrainWaiters();
    }

    private void AnswerDrainWaiters()
    {
        foreach (var waiter in _drainWaiters) waiter.Tell(new Drained(_mixers.Count));
        _drainWaiters.Clear();
    }

    private void PublishLoad(bool measure = false)
    {
        var engine = _media.Engine;
        if (measure) _lastSample = _media.Sample();
        var (encodes, cpu, p99, late, loss) = _lastSample;
        var members = 0;
        foreach (var room in _mixers.Keys)
        {
            if (engine.TryGetRoom(MixerActor.RoomIdFor(room), out var mixerRoom)) members += mixerRoom.MemberCount;
        }
        var load = new MediaNodeLoad(_node, Self, _mixers.Count, members, encodes, cpu, p99, late, _draining,
            _options.MaxMembers, DateTimeOffset.UtcNow, loss);
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

using Akka.Actor;
using Akka.Cluster.Sharding;
using Akka.Event;
using OpenChat.Protocol;
using OpenChat.Protocol.Commands;
using OpenChat.Protocol.Ids;
using OpenChat.Protocol.Queries;

namespace OpenChat.Channels;

/// <summary>
/// The sharded entity of a channel: a parent that runs the <see cref="ChannelActor"/> and starts it again, after a
/// growing pause, when it stops on its own (its journal failed a write or a recovery). While the channel is down
/// every command is answered at once with <c>unavailable</c>, so callers retry instead of waiting out a timeout, and
/// a journal outage costs the store one recovery attempt per pause rather than one per message.
/// It looks the channel up first: a voice channel keeps nothing worth storing, so it runs on an in-memory journal and
/// carries its calls through an outage of the store.
/// </summary>
public sealed class ChannelEntity : ReceiveActor, IWithTimers, IWithUnboundedStash
{
    /// <summary>The pause after the first failure; it doubles with each failure in a row up to <see cref="MaxBackoff"/>.</summary>
    public static readonly TimeSpan MinBackoff = TimeSpan.FromMilliseconds(500);

    public static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(5);

    /// <summary>A channel that ran this long before it failed starts the pauses over.</summary>
    private static readonly TimeSpan StableAfter = TimeSpan.FromSeconds(30);

    private static readonly CommandRejected Restarting = new(ErrorCode.Unavailable, "The channel is restarting after a storage failure; try again.");

    private readonly ChannelId _id;
    private readonly IActorRef _directory;
    private readonly IActorRef _placement;
    private readonly ChannelOptions _options;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private IActorRef? _child;
    private bool _inMemory;
    private int _failures;
    private DateTime _startedAt;
    private bool _passivating;

    private sealed record KindKnown(bool InMemory);

    private sealed record LookupFailed(string Reason);

    private sealed record Start;

    private readonly Keys.MessageKeyStore? _keys;

    public ChannelEntity(ChannelId id, IActorRef directory, IActorRef placement, ChannelOptions options, Keys.MessageKeyStore? keys = null)
    {
        _keys = keys;
        _id = id;
        _directory = directory;
        _placement = placement;
        _options = options;
        LookingUp();
    }

    public ITimerScheduler Timers { get; set; } = null!;

    public IStash Stash { get; set; } = null!;

    /// <summary>A channel entity; <paramref name="keys"/> holds the keys of its sealed texts (null: texts are stored in plain).</summary>
    public static Props Props(ChannelId id, IActorRef directory, IActorRef placement, ChannelOptions options, Keys.MessageKeyStore? keys = null) =>
        Akka.Actor.Props.Create(() => new ChannelEntity(id, directory, placement, options, keys));

    /// <summary>The pause before start number <paramref name="failures"/> + 1: 0.5 s doubling to 5 s, each ±20 %.</summary>
    public static TimeSpan Backoff(int failures, double random)
    {
        var pause = Math.Min(MinBackoff.TotalMilliseconds * Math.Pow(2, Math.Max(0, failures - 1)), MaxBackoff.TotalMilliseconds);
        return TimeSpan.FromMilliseconds(pause * (0.8 + 0.4 * random));
    }

    protected override void PreStart() => LookUp();

    private void LookUp() =>
        _directory.Ask<ChannelInfoResult>(new GetChannelInfo(_id), _options.DirectoryTimeout)
            .PipeTo(Self, success: r => new KindKnown(r.Info?.Kind == ChannelKind.Voice), failure: e => new LookupFailed(e.Message));

    private void LookingUp()
    {
        Receive<KindKnown>(known =>
        {
            _inMemory = known.InMemory;
            StartChild();
            Become(Running);
            Stash.UnstashAll();
        });
        Receive<LookupFailed>(failed =>
        {
            _log.Warning("Channel {0}: directory lookup failed ({1}); retrying", _id, failed.Reason);
            Timers.StartSingleTimer("lookup", new Start(), TimeSpan.FromSeconds(1));
        });
        Receive<Start>(_ => LookUp());
        ReceiveAny(_ => Stash.Stash());
    }

    private void Running()
    {
        Receive<Passivate>(_ => Sender.Equals(_child), _ => PassivateSelf());
        Receive<Terminated>(t => t.ActorRef.Equals(_child), _ => ChildStopped());
        Receive<Start>(_ => { if (_child is null && !_passivating) StartChild(); });
        ReceiveAny(message =>
        {
            if (_child is not null)
            {
                _child.Forward(message);
                return;
            }
            // Settings changes are read afresh when the channel starts again; everything else gets an answer.
            if (message is not ChannelInfoChanged && !Sender.IsNobody()) Sender.Tell(Restarting);
        });
    }

    private void StartChild()
    {
        _child = Context.ActorOf(ChannelActor.Props(_id, _directory, _placement, _options, _inMemory, _keys), "channel");
        Context.Watch(_child);
        _startedAt = DateTime.UtcNow;
    }

    private void PassivateSelf()
    {
        // The shard stops this entity (and so the channel) once it has drained the messages already routed to it.
        _passivating = true;
        Context.Parent.Tell(new Passivate(PoisonPill.Instance));
    }

    private void ChildStopped()
    {
        _child = null;
        if (_passivating)
        {
            Context.Stop(Self);
            return;
        }
        if (DateTime.UtcNow - _startedAt > StableAfter) _failures = 0;
        _failures++;
        var pause = Backoff(_failures, Random.Shared.NextDouble());
        _log.Warning("Channel {0} stopped after a storage failure (failure {1} in a row); starting it again in {2:0.0} s",
            _id, _failures, pause.TotalSeconds);
        Timers.StartSingleTimer("restart", new Start(), pause);
    }
}

using Akka.Actor;
using Akka.Cluster.Sharding;
using Akka.Event;
using Akka.Persistence;
using Akka.Persistence.Query;
using Akka.Streams;
using Akka.Streams.Dsl;
using OpenChat.Channels.Voice;
using OpenChat.Protocol.Text;
using OpenChat.Protocol.Ids;
using OpenChat.Protocol;
using OpenChat.Protocol.Commands;
using OpenChat.Protocol.Events;
using OpenChat.Protocol.Queries;

namespace OpenChat.Channels;

/// <summary>
/// One channel, sharded by id and event-sourced: its journal is the message history. It death-watches its
/// subscribers (sessions) and carries out the decisions of its rules, which are plain classes: posts and history
/// (<see cref="ChannelText"/>), who is online (<see cref="ChannelPresence"/>) and voice (<see cref="VoiceRoom"/>,
/// carried out in ChannelActor.Voice.cs).
/// </summary>
public sealed partial class ChannelActor : ReceivePersistentActor, IWithTimers
{
    private readonly ChannelId _id;
    private readonly IActorRef _directory;
    private readonly IActorRef _placement;
    private readonly ChannelOptions _options;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly ChannelText _text;
    private readonly ChannelPresence _presence;
    private ChannelInfo? _info;
    private IMaterializer? _materializer;

    public ChannelActor(ChannelId id, IActorRef directory, IActorRef placement, ChannelOptions options)
    {
        _id = id;
        _directory = directory;
        _placement = placement;
        _options = options;
        _text = new ChannelText(id, options);
        _presence = new ChannelPresence(options.MaxSubscribers);
        _voice = new VoiceRoom(id, options);

        Recover<SnapshotOffer>(offer =>
        {
            if (offer.Snapshot is ChannelStateSnapshot snapshot) _text.Restore(snapshot, offer.Metadata.SequenceNr);
        });
        Recover<MessageStored>(stored => _text.Apply(LastSequenceNr, stored));
        Recover<RecoveryCompleted>(_ => RequestInfo());

        AwaitingInfo();
    }

    public ITimerScheduler Timers { get; set; } = null!;

    public override string PersistenceId => PersistenceIdFor(_id);

    public static string PersistenceIdFor(ChannelId id) => "channel-" + id.Value;

    public static Props Props(ChannelId id, IActorRef directory, IActorRef placement, ChannelOptions options) =>
        Akka.Actor.Props.Create(() => new ChannelActor(id, directory, placement, options));

    private sealed record InfoLookupFailed(string Reason);

    private sealed record RetryInfoLookup;

    private void AwaitingInfo()
    {
        Command<ChannelInfoResult>(result =>
        {
            if (result.Info is null)
            {
                BecomeRemoved();
            }
            else
            {
                _info = result.Info;
                Become(Active);
            }
            Stash.UnstashAll();
        });
        Command<InfoLookupFailed>(failed =>
        {
            _log.Warning("Channel {0}: directory lookup failed ({1}); retrying", _id, failed.Reason);
            Timers.StartSingleTimer("info-retry", new RetryInfoLookup(), TimeSpan.FromSeconds(1));
        });
        Command<RetryInfoLookup>(_ => RequestInfo());
        CommandAny(_ => Stash.Stash());
    }

    private void RequestInfo()
    {
        _directory.Ask<ChannelInfoResult>(new GetChannelInfo(_id), _options.DirectoryTimeout)
            .PipeTo(Self, failure: e => new InfoLookupFailed(e.Message));
    }

    private void Active()
    {
        UpdateIdleTimeout();
        Command<PostMessage>(Post);
        Command<GetHistory>(History);
        Command<SubscribeChannel>(Subscribe);
        Command<UnsubscribeChannel>(u =>
        {
            RemoveSubscriber(u.Subscriber);
            Sender.Tell(new Unsubscribed(_id));
        });
        Command<Terminated>(t =>
        {
            Carry(_voice.ActorTerminated(t.ActorRef));
            RemoveSubscriber(t.ActorRef, terminated: true);
        });
        VoiceCommands();
        Command<GetPresence>(_ => Sender.Tell(new PresenceList(_id, _presence.Online())));
        Command<ChannelInfoChanged>(changed =>
        {
            if (changed.Info is null)
            {
                BecomeRemoved();
                return;
            }
            _info = changed.Info;
            Broadcast(new ChannelUpdated(changed.Info));
        });
        Command<ReceiveTimeout>(_ => Passivate());
        Command<SaveSnapshotSuccess>(s =>
            DeleteSnapshots(new SnapshotSelectionCriteria(s.Metadata.SequenceNr - 1)));
        Command<SaveSnapshotFailure>(f => _log.Warning("Channel {0}: snapshot failed: {1}", _id, f.Cause.Message));
        Command<DeleteSnapshotsSuccess>(_ => { });
        Command<DeleteSnapshotsFailure>(_ => { });
    }

    private void Post(PostMessage post)
    {
        switch (_text.Post(post, _info!, DateTimeOffset.UtcNow))
        {
            case PostDecision.Refuse refuse:
                Sender.Tell(refuse.Rejection);
                break;
            case PostDecision.Store store:
                var sender = Sender;
                // PersistAsync keeps order and acknowledges only after the write, but lets the journal batch
                // a burst of posts into one round trip.
                PersistAsync(store.Event, stored =>
                {
                    var message = _text.Apply(LastSequenceNr, stored);
                    sender.Tell(new PostAccepted(message));
                    Broadcast(new MessagePosted(message));
                    if (_text.SnapshotDue(LastSequenceNr)) SaveSnapshot(_text.Snapshot());
                });
                break;
        }
    }

    private void History(GetHistory query)
    {
        switch (_text.History(query, _info!))
        {
            case HistoryDecision.Refuse refuse:
                Sender.Tell(refuse.Rejection);
                break;
            case HistoryDecision.Serve serve:
                Sender.Tell(serve.Page);
                break;
            case HistoryDecision.ReadJournal read:
                var journal = PersistenceQuery.Get(Context.System)
                    .ReadJournalFor<ICurrentEventsByPersistenceIdQuery>(_options.ReadJournalPluginId);
                _materializer ??= Context.Materializer();
                var channel = _id;
                journal.CurrentEventsByPersistenceId(PersistenceId, read.From, read.To)
                    .Where(e => e.Event is MessageStored)
                    .Select(e => ChannelText.ToMessage(channel, e.SequenceNr, (MessageStored)e.Event))
                    .RunWith(Sink.Seq<ChatMessage>(), _materializer)
                    .PipeTo(Sender,
                        success: messages => new HistoryPage(channel, messages, read.HasMore),
                        failure: e => new CommandRejected(ErrorCode.Unavailable, "History could not be read: " + e.Message));
                break;
        }
    }

    private void Subscribe(SubscribeChannel sub)
    {
        var name = TextRules.NormalizeDisplayName(sub.DisplayName, out var reason);
        if (name is null)
        {
            Reject(ErrorCode.InvalidArgument, reason);
            return;
        }
        var member = new PresenceMember(sub.User, name);
        switch (_presence.Subscribe(sub.Subscriber, member))
        {
            case ChannelPresence.Subscription.Refused:
                Reject(ErrorCode.Unavailable, "This channel has too many open sessions.");
                return;
            case ChannelPresence.Subscription.CameOnline:
                Context.Watch(sub.Subscriber);
                BroadcastExcept(sub.Subscriber, new MemberOnline(_id, member));
                UpdateIdleTimeout();
                break;
            case ChannelPresence.Subscription.Added:
                Context.Watch(sub.Subscriber);
                UpdateIdleTimeout();
                break;
        }
        var (recent, hasMore) = _text.Newest(sub.HistoryLimit, _info!);
        Sender.Tell(new Subscribed(_info!, _presence.Online(), recent, hasMore, Self, _voice.Members));
    }

    private void RemoveSubscriber(IActorRef subscriber, bool terminated = false)
    {
        if (!_presence.Unsubscribe(subscriber, out var offline)) return;
        if (!terminated) UnwatchIfUnused(subscriber);
        if (offline is { } user) Broadcast(new MemberOffline(_id, user));
        UpdateIdleTimeout();
    }

    private void BecomeRemoved()
    {
        Carry(_voice.End("The channel was deleted."));
        _info = null;
        foreach (var subscriber in _presence.Subscribers)
        {
            subscriber.Tell(new ChannelRemoved(_id));
            Context.Unwatch(subscriber);
        }
        _presence.Clear();
        Become(() =>
        {
            Command<ReceiveTimeout>(_ => Passivate());
            Command<Terminated>(_ => { });
            CommandAny(_ => Reject(ErrorCode.UnknownChannel, $"Channel '{_id}' does not exist."));
        });
        Context.SetReceiveTimeout(TimeSpan.FromSeconds(10));
    }

    private void UpdateIdleTimeout() =>
        Context.SetReceiveTimeout(_presence.Subscribers.Count == 0 && !_voice.IsBusy ? _options.IdleTimeout : null);

    // The shard stops the entity once it has drained the messages already routed to it.
    private void Passivate() => Context.Parent.Tell(new Passivate(PoisonPill.Instance));

    private void UnwatchIfUnused(IActorRef actor)
    {
        if (!_presence.Contains(actor) && !_voice.HoldsSession(actor)) Context.Unwatch(actor);
    }

    private void Broadcast(object message)
    {
        foreach (var subscriber in _presence.Subscribers) subscriber.Tell(message);
    }

    private void BroadcastExcept(IActorRef except, object message)
    {
        foreach (var subscriber in _presence.Subscribers)
        {
            if (!subscriber.Equals(except)) subscriber.Tell(message);
        }
    }

    private void Reject(ErrorCode code, string reason) => Sender.Tell(new CommandRejected(code, reason));

    protected override void OnPersistRejected(Exception cause, object @event, long sequenceNr)
    {
        // The write was refused and nothing was stored; the pending sender times out and retries.
        _log.Error(cause, "Channel {0}: journal rejected event {1}", _id, sequenceNr);
    }
}

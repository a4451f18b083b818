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
/// One channel, sharded by id and event-sourced: its journal is the message history.
/// Holds the subscribers (death-watched sessions) and who is online; its voice side is in ChannelActor.Voice.cs.
/// </summary>
public sealed partial class ChannelActor : ReceivePersistentActor, IWithTimers
{
    private readonly ChannelId _id;
    private readonly IActorRef _directory;
    private readonly IActorRef _placement;
    private readonly ChannelOptions _options;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly RecentMessages _recent;
    private readonly Dictionary<IActorRef, PresenceMember> _subscribers = new();
    private readonly Dictionary<UserId, (string Name, int Sessions)> _online = new();
    private ChannelInfo? _info;
    private long _lastMessageId;
    private IMaterializer? _materializer;

    public ChannelActor(ChannelId id, IActorRef directory, IActorRef placement, ChannelOptions options)
    {
        _id = id;
        _directory = directory;
        _placement = placement;
        _options = options;
        _recent = new RecentMessages(options.RecentCapacity);
        _voice = new VoiceRoom(id, options);

        Recover<SnapshotOffer>(offer =>
        {
            if (offer.Snapshot is ChannelStateSnapshot snapshot)
            {
                _recent.Reset(snapshot.Recent);
                _lastMessageId = offer.Metadata.SequenceNr;
            }
        });
        Recover<MessageStored>(stored =>
        {
            _lastMessageId = LastSequenceNr;
            _recent.Add(ToMessage(LastSequenceNr, stored));
        });
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
        Command<GetPresence>(_ => Sender.Tell(new PresenceList(_id, OnlineList())));
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
        if (_info!.Kind != ChannelKind.Text)
        {
            Reject(ErrorCode.WrongChannelKind, $"'{_info.Name}' is a {_info.Kind.ToString().ToLowerInvariant()} channel.");
            return;
        }
        var text = TextRules.NormalizeMessage(post.Text, out var reason);
        if (text is null)
        {
            Reject(ErrorCode.InvalidText, reason);
            return;
        }
        var author = TextRules.NormalizeDisplayName(post.AuthorName, out reason);
        if (author is null)
        {
            Reject(ErrorCode.InvalidArgument, reason);
            return;
        }

        var sender = Sender;
        var stored = new MessageStored(post.Author, author, text, DateTimeOffset.UtcNow);
        // PersistAsync keeps order and acknowledges only after the write, but lets the journal batch
        // a burst of posts into one round trip.
        PersistAsync(stored, e =>
        {
            var message = ToMessage(LastSequenceNr, e);
            _lastMessageId = message.Id;
            _recent.Add(message);
            sender.Tell(new PostAccepted(message));
            Broadcast(new MessagePosted(message));
            if (LastSequenceNr % _options.SnapshotEvery == 0)
                SaveSnapshot(new ChannelStateSnapshot(_recent.ToList()));
        });
    }

    private void History(GetHistory query)
    {
        if (_info!.Kind != ChannelKind.Text)
        {
            Reject(ErrorCode.WrongChannelKind, $"'{_info.Name}' has no text history.");
            return;
        }
        if (query.Limit < 1 || query.Limit > GetHistory.MaxLimit)
        {
            Reject(ErrorCode.InvalidArgument, $"A history page holds 1 to {GetHistory.MaxLimit} messages.");
            return;
        }
        if (query.Before is < 1)
        {
            Reject(ErrorCode.InvalidArgument, "The cursor must be a message id.");
            return;
        }

        var to = Math.Min(query.Before.HasValue ? query.Before.Value - 1 : _lastMessageId, _lastMessageId);
        if (to < 1)
        {
            Sender.Tell(new HistoryPage(_id, [], false));
            return;
        }
        var from = Math.Max(1, to - query.Limit + 1);
        var hasMore = from > 1;
        if (_recent.Covers(from))
        {
            Sender.Tell(new HistoryPage(_id, _recent.Range(from, to), hasMore));
            return;
        }

        var journal = PersistenceQuery.Get(Context.System)
            .ReadJournalFor<ICurrentEventsByPersistenceIdQuery>(_options.ReadJournalPluginId);
        _materializer ??= Context.Materializer();
        var channel = _id;
        journal.CurrentEventsByPersistenceId(PersistenceId, from, to)
            .Where(e => e.Event is MessageStored)
            .Select(e => ToMessage(channel, e.SequenceNr, (MessageStored)e.Event))
            .RunWith(Sink.Seq<ChatMessage>(), _materializer)
            .PipeTo(Sender,
                success: messages => new HistoryPage(channel, messages, hasMore),
                failure: e => new CommandRejected(ErrorCode.Unavailable, "History could not be read: " + e.Message));
    }

    private void Subscribe(SubscribeChannel sub)
    {
        var name = TextRules.NormalizeDisplayName(sub.DisplayName, out var reason);
        if (name is null)
        {
            Reject(ErrorCode.InvalidArgument, reason);
            return;
        }
        if (!_subscribers.ContainsKey(sub.Subscriber))
        {
            if (_subscribers.Count >= _options.MaxSubscribers)
            {
                Reject(ErrorCode.Unavailable, "This channel has too many open sessions.");
                return;
            }
            var member = new PresenceMember(sub.User, name);
            _subscribers[sub.Subscriber] = member;
            Context.Watch(sub.Subscriber);
            if (_online.TryGetValue(sub.User, out var entry))
            {
                _online[sub.User] = (entry.Name, entry.Sessions + 1);
            }
            else
            {
                _online[sub.User] = (name, 1);
                BroadcastExcept(sub.Subscriber, new MemberOnline(_id, member));
            }
            UpdateIdleTimeout();
        }
        var limit = Math.Clamp(sub.HistoryLimit, 0, GetHistory.MaxLimit);
        var recent = limit == 0 || _info!.Kind != ChannelKind.Text || _lastMessageId == 0
            ? []
            : _recent.Range(Math.Max(1, _lastMessageId - limit + 1), _lastMessageId);
        var hasMore = _info!.Kind == ChannelKind.Text && _lastMessageId > 0 && (recent.Count == 0 || recent[0].Id > 1);
        Sender.Tell(new Subscribed(_info!, OnlineList(), recent, hasMore, Self, _voice.Members));
    }

    private void RemoveSubscriber(IActorRef subscriber, bool terminated = false)
    {
        if (!_subscribers.Remove(subscriber, out var member)) return;
        if (!terminated) UnwatchIfUnused(subscriber);
        var entry = _online[member.User];
        if (entry.Sessions > 1)
        {
            _online[member.User] = (entry.Name, entry.Sessions - 1);
        }
        else
        {
            _online.Remove(member.User);
            Broadcast(new MemberOffline(_id, member.User));
        }
        UpdateIdleTimeout();
    }

    private void BecomeRemoved()
    {
        Carry(_voice.End("The channel was deleted."));
        _info = null;
        foreach (var subscriber in _subscribers.Keys)
        {
            subscriber.Tell(new ChannelRemoved(_id));
            Context.Unwatch(subscriber);
        }
        _subscribers.Clear();
        _online.Clear();
        Become(() =>
        {
            Command<ReceiveTimeout>(_ => Passivate());
            Command<Terminated>(_ => { });
            CommandAny(_ => Reject(ErrorCode.UnknownChannel, $"Channel '{_id}' does not exist."));
        });
        Context.SetReceiveTimeout(TimeSpan.FromSeconds(10));
    }

    private void UpdateIdleTimeout() =>
        Context.SetReceiveTimeout(_subscribers.Count == 0 && !_voice.IsBusy ? _options.IdleTimeout : null);

    // The shard stops the entity once it has drained the messages already routed to it.
    private void Passivate() => Context.Parent.Tell(new Passivate(PoisonPill.Instance));

    private void UnwatchIfUnused(IActorRef actor)
    {
        if (!_subscribers.ContainsKey(actor) && !_voice.HoldsSession(actor)) Context.Unwatch(actor);
    }

    private void Broadcast(object message)
    {
        foreach (var subscriber in _subscribers.Keys) subscriber.Tell(message);
    }

    private void BroadcastExcept(IActorRef except, object message)
    {
        foreach (var subscriber in _subscribers.Keys)
        {
            if (!subscriber.Equals(except)) subscriber.Tell(message);
        }
    }

    private List<PresenceMember> OnlineList() =>
        _online.Select(kv => new PresenceMember(kv.Key, kv.Value.Name)).OrderBy(m => m.DisplayName, StringComparer.OrdinalIgnoreCase).ToList();

    private void Reject(ErrorCode code, string reason) => Sender.Tell(new CommandRejected(code, reason));

    private ChatMessage ToMessage(long id, MessageStored stored) => ToMessage(_id, id, stored);

    private static ChatMessage ToMessage(ChannelId channel, long id, MessageStored stored) =>
        new(id, channel, stored.Author, stored.AuthorName, stored.Text, stored.SentAt);

    protected override void OnPersistRejected(Exception cause, object @event, long sequenceNr)
    {
        // The write was refused and nothing was stored; the pending sender times out and retries.
        _log.Error(cause, "Channel {0}: journal rejected event {1}", _id, sequenceNr);
    }
}

using System.Collections.Immutable;
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

    private IMaterializer Materializer => _materializer ??= Context.Materializer();

    /// <summary>Who waits for a post whose write is under way, by author and nonce: its sender and any repeats.</summary>
    private readonly Dictionary<(UserId, string), List<IActorRef>> _awaitingWrite = new();

    /// <summary>Where the keys of sealed texts live; null: texts are stored in plain (a channel that stores nothing).</summary>
    private readonly Keys.MessageKeyStore? _keys;

    private ChannelInfoResult? _infoPending;
    private bool _keysPending;

    private sealed record KeysLoaded(IReadOnlyDictionary<string, byte[]> Keys);

    public ChannelActor(ChannelId id, IActorRef directory, IActorRef placement, ChannelOptions options, bool inMemory = false, Keys.MessageKeyStore? keys = null)
    {
        _keys = inMemory ? null : keys;
        if (inMemory)
        {
            // A voice channel stores nothing: it must not wait for, or fail with, the journal.
            JournalPluginId = InMemoryJournal;
            SnapshotPluginId = InMemorySnapshots;
        }
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
        Recover<MessageEditStored>(edit => _text.ApplyEdit(LastSequenceNr, edit));
        Recover<MessageDeleteStored>(delete => _text.ApplyDelete(LastSequenceNr, delete));
        Recover<RecoveryCompleted>(_ =>
        {
            RequestInfo();
            LoadKeys();
        });

        AwaitingInfo();
    }

    public ITimerScheduler Timers { get; set; } = null!;

    public override string PersistenceId => PersistenceIdFor(_id);

    public static string PersistenceIdFor(ChannelId id) => "channel-" + id.Value;

    public const string InMemoryJournal = "akka.persistence.journal.inmem";

    public const string InMemorySnapshots = "akka.persistence.snapshot-store.inmem";

    /// <summary>A channel; <paramref name="inMemory"/> for one that keeps no history (a voice channel).</summary>
    public static Props Props(ChannelId id, IActorRef directory, IActorRef placement, ChannelOptions options, bool inMemory = false, Keys.MessageKeyStore? keys = null) =>
        Akka.Actor.Props.Create(() => new ChannelActor(id, directory, placement, options, inMemory, keys));

    /// <summary>After recovery: the keys of the sealed messages held in memory are read before the channel serves them.</summary>
    private void LoadKeys()
    {
        if (!_text.NeedsKeys) return;
        if (_keys is null)
        {
            _text.Unseal(new Dictionary<string, byte[]>());
            return;
        }
        _keysPending = true;
        _keys.GetAsync(_text.PendingKeyIds).PipeTo(Self, success: k => new KeysLoaded(k), failure: e => new InfoLookupFailed("keys: " + e.Message));
    }

    private sealed record InfoLookupFailed(string Reason);

    protected override void PreStart()
    {
        ChannelMetrics.EntityStarted();
        base.PreStart();
    }

    protected override void PostStop()
    {
        ChannelMetrics.EntityStopped();
        ChannelMetrics.VoiceMembersChanged(_voiceMembers, 0);
        base.PostStop();
    }

    private sealed record RetryInfoLookup;

    private void AwaitingInfo()
    {
        Command<ChannelInfoResult>(result =>
        {
            _infoPending = result;
            StartWhenReady();
        });
        Command<KeysLoaded>(loaded =>
        {
            _text.Unseal(loaded.Keys);
            _keysPending = false;
            StartWhenReady();
        });
        Command<InfoLookupFailed>(failed => failed.Reason.StartsWith("keys: ", StringComparison.Ordinal), failed =>
        {
            _log.Warning("Channel {0}: message keys could not be read ({1}); retrying", _id, failed.Reason);
            Timers.StartSingleTimer("keys-retry", new RetryKeys(), TimeSpan.FromSeconds(1));
        });
        Command<RetryKeys>(_ => _keys!.GetAsync(_text.PendingKeyIds)
            .PipeTo(Self, success: k => new KeysLoaded(k), failure: e => new InfoLookupFailed("keys: " + e.Message)));
        Command<InfoLookupFailed>(failed =>
        {
            _log.Warning("Channel {0}: directory lookup failed ({1}); retrying", _id, failed.Reason);
            Timers.StartSingleTimer("info-retry", new RetryInfoLookup(), TimeSpan.FromSeconds(1));
        });
        Command<RetryInfoLookup>(_ => RequestInfo());
        CommandAny(_ => Stash.Stash());
    }

    private sealed record RetryKeys;

    private void StartWhenReady()
    {
        if (_infoPending is not { } result || _keysPending) return;
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
    }

    private void RequestInfo()
    {
        _directory.Ask<ChannelInfoResult>(new GetChannelInfo(_id), _options.DirectoryTimeout)
            .PipeTo(Self, failure: e => new InfoLookupFailed(e.Message));
    }

    private void Active()
    {
        UpdateIdleTimeout();
        TextCommands();
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

    private void Subscribe(SubscribeChannel sub)
    {
        var name = TextRules.NormalizeDisplayName(sub.DisplayName, out var reason);
        if (name is null)
        {
            Reject(ErrorCode.InvalidArgument, reason);
            return;
        }
        var member = new PresenceMember(sub.User, name);
        _text.Observe(sub.User, name);
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
        // The write was refused and nothing was stored: the post may be sent again with its nonce.
        _log.Error(cause, "Channel {0}: journal rejected event {1}", _id, sequenceNr);
        ChannelMetrics.WriteFailed(rejected: true);
        if (@event is MessageStored { Nonce: { } nonce } stored)
        {
            _text.WriteFailed(stored.Author, nonce);
            if (_awaitingWrite.Remove((stored.Author, nonce), out var waiting))
                foreach (var replyTo in waiting) replyTo.Tell(new CommandRejected(ErrorCode.Unavailable, "The message was not stored; try again."));
        }
    }

    protected override void OnPersistFailure(Exception cause, object @event, long sequenceNr)
    {
        // The journal failed: the write may or may not have happened, and this entity stops (its parent starts it
        // again). Whoever waits hears at once that it may retry; the nonce makes a retry safe either way.
        ChannelMetrics.WriteFailed(rejected: false);
        foreach (var waiting in _awaitingWrite.Values)
        {
            foreach (var replyTo in waiting)
                replyTo.Tell(new CommandRejected(ErrorCode.Unavailable, "The message store did not answer; retry with the same nonce."));
        }
        _awaitingWrite.Clear();
        base.OnPersistFailure(cause, @event, sequenceNr);
    }
}

using Akka.Actor;
using Akka.Cluster.Tools.PublishSubscribe;
using Akka.Event;
using OpenChat.Protocol.Text;
using OpenChat.Protocol.Ids;
using OpenChat.Protocol;
using OpenChat.Protocol.Commands;
using OpenChat.Protocol.Events;
using OpenChat.Protocol.Queries;
using OpenChat.Gateway.Auth;
using OpenChat.Gateway.Hub;
using OpenChat.Protocol.Permissions;

namespace OpenChat.Gateway.Sessions;

/// <summary>
/// One per SignalR connection: subscribes to the channels its client opens, forwards their events to the client in
/// order and without duplicates, re-subscribes when a channel entity moves, and enforces the post limit.
/// It also carries the connection's voice membership: at most one voice channel, left before another is joined,
/// resumed when its channel entity moves, and ended when another connection of the same user joins voice
/// elsewhere (announced on the user's distributed pub-sub topic).
/// It never waits on the cluster inside a handler: requests to channels are asked and their answers come back as
/// messages, so events keep reaching the client and posts keep flowing while an open, a join or a resume waits.
/// </summary>
public sealed partial class SessionActor : ReceiveActor, IWithTimers, IWithUnboundedStash
{
    private const int MaxResubscribeAttempts = 30;

    private readonly SessionIdentity _identity;
    private readonly IdentityCache? _identities;
    private readonly IActorRef _region;
    private readonly IClientPush _push;
    private readonly GatewayOptions _options;
    private readonly CallBudgets _budgets;
    private readonly SlidingWindowLimit _postLimit;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly Dictionary<ChannelId, OpenChannel> _open = new();
    private readonly Dictionary<IActorRef, ChannelId> _entities = new();
    private readonly IActorRef _mediator;

    /// <summary>Subscribes in flight, by channel; a close forgets them, so their answers no longer count.</summary>
    private readonly Dictionary<ChannelId, HashSet<long>> _subscribing = new();
    private long _lastSubscribe;

    private static readonly CommandRejected ChannelTimedOut = new(ErrorCode.Unavailable, "The channel did not answer in time; try again.");

    private sealed class OpenChannel(IActorRef entity, long lastSeen)
    {
        public IActorRef Entity { get; set; } = entity;
        public long LastSeen { get; set; } = lastSeen;
    }

    /// <summary>Session to itself: the answer to a request it asked a channel, and what it was waiting to do with it.</summary>
    private sealed record Answered(Action<object> Continue, object Reply);

    public SessionActor(SessionIdentity identity, IActorRef region, IClientPush push, GatewayOptions options, CallBudgets budgets, TimeProvider time,
        IdentityCache? identities = null, ChannelCatalog? catalog = null)
    {
        _identities = identities;
        _catalog = catalog;
        _identity = identity;
        _region = region;
        _push = push;
        _options = options;
        _budgets = budgets;
        _postLimit = new SlidingWindowLimit(options.PostsPerWindow, options.PostWindow, time);
        _mediator = DistributedPubSub.Get(Context.System).Mediator;

        VoiceHandlers();
        AccessHandlers();
        Receive<OpenChannelRequest>(Open);
        Receive<CloseChannelRequest>(Close);
        Receive<PostRequest>(Post);
        Receive<Resubscribe>(Resubscribe);
        Receive<Answered>(answered => answered.Continue(answered.Reply));
        Receive<SubscribeAck>(_ => { });
        // Confirmations of what this session told a channel in passing (closing it).
        Receive<Unsubscribed>(_ => { });

        Receive<MessagePosted>(e =>
        {
            if (!_open.TryGetValue(e.Message.Channel, out var open) || e.Message.Id <= open.LastSeen) return;
            open.LastSeen = e.Message.Id;
            _push.TryPush(e);
        });
        // Edits and deletes carry their journal number, in the same order as message ids: each is pushed once.
        Receive<MessageEdited>(e => PushInOrder(e.Message.Channel, e.Sequence, e));
        Receive<MessageDeleted>(e => PushInOrder(e.Channel, e.Sequence, e));
        Receive<UserTyping>(e =>
        {
            if (e.User != _identity.User) PushIfOpen(e.Channel, e);
        });
        Receive<MemberOnline>(e => PushIfOpen(e.Channel, e));
        Receive<MemberOffline>(e => PushIfOpen(e.Channel, e));
        Receive<ChannelRemoved>(e =>
        {
            // A removal that overtakes the answer to an open in flight ends that open too.
            var opening = _subscribing.Remove(e.Channel);
            if (_open.Remove(e.Channel, out var open))
            {
                _entities.Remove(open.Entity);
                Context.Unwatch(open.Entity);
            }
            if (open is not null || opening) _push.TryPush(e);
        });
        Receive<Terminated>(t =>
        {
            if (_entities.Remove(t.ActorRef, out var channel) && _open.ContainsKey(channel))
                Self.Tell(new Resubscribe(channel, 1));
        });
    }

    public ITimerScheduler Timers { get; set; } = null!;

    public IStash Stash { get; set; } = null!;

    public static Props Props(SessionIdentity identity, IActorRef region, IClientPush push, GatewayOptions options, CallBudgets budgets, TimeProvider time,
        IdentityCache? identities = null, ChannelCatalog? catalog = null) =>
        Akka.Actor.Props.Create(() => new SessionActor(identity, region, push, options, budgets, time, identities, catalog));

    private void Open(OpenChannelRequest request)
    {
        var replyTo = Sender;
        if (!CurrentAccess().CanView(request.Channel))
        {
            replyTo.Tell(new CommandRejected(ErrorCode.UnknownChannel, $"Channel '{request.Channel}' does not exist."));
            return;
        }
        Subscribe(request.Channel, GetHistory.DefaultLimit, (reply, _) =>
        {
            // Without read history, the channel opens with what is posted from now on.
            var permissions = CurrentAccess().In(request.Channel);
            var history = (permissions & Permission.ReadHistory) != 0;
            replyTo.Tell(reply is Subscribed subscribed
                ? new ChannelViewDto(
                    // The catalog's copy is the newer: a running channel is not told when the channels are reordered.
                    ChannelDto.From(_catalog?.Find(request.Channel) ?? subscribed.Channel, permissions),
                    subscribed.Online.Select(MemberDto.From).ToArray(),
                    history ? subscribed.Recent.Select(m => MessageDto.From(m, _identities)).ToArray() : [],
                    history && subscribed.HasMore,
                    // A channel node of an older version sends no voice list.
                    (subscribed.Voice ?? []).Select(VoiceMemberDto.From).ToArray())
                : reply);
        });
    }

    /// <summary>
    /// Subscribes to a channel (again). <paramref name="then"/> gets the channel's <see cref="Subscribed"/> or a
    /// rejection, and whether the answer still counts: it does not when the channel was closed (or removed) after
    /// this subscribe began. An answer that counts is tracked once <paramref name="then"/> has run; one that does
    /// not is undone, unless the channel was opened again meanwhile.
    /// </summary>
    private void Subscribe(ChannelId channel, int historyLimit, Action<object, bool> then)
    {
        // Opening an open channel again returns a fresh view; the subscription itself is idempotent.
        if (!_open.ContainsKey(channel) && !_subscribing.ContainsKey(channel)
            && _open.Count + _subscribing.Keys.Count(c => !_open.ContainsKey(c)) >= _options.MaxOpenChannels)
        {
            then(new CommandRejected(ErrorCode.InvalidArgument, $"At most {_options.MaxOpenChannels} channels can be open at once."), false);
            return;
        }
        var id = ++_lastSubscribe;
        if (!_subscribing.TryGetValue(channel, out var inFlight)) _subscribing[channel] = inFlight = [];
        inFlight.Add(id);
        AskChannel(new SubscribeChannel(channel, _identity.User, _identity.DisplayName, Self, historyLimit), _budgets.Cluster, reply =>
        {
            var counts = _subscribing.TryGetValue(channel, out var pending) && pending.Remove(id);
            if (pending is { Count: 0 }) _subscribing.Remove(channel);
            then(reply, counts);
            if (reply is not Subscribed subscribed) return;
            if (counts) Track(channel, subscribed);
            else if (!_open.ContainsKey(channel) && !_subscribing.ContainsKey(channel))
                subscribed.Entity.Tell(new UnsubscribeChannel(channel, Self));
        });
    }

    private void Resubscribe(Resubscribe request)
    {
        if (!_open.ContainsKey(request.Channel)) return;
        Subscribe(request.Channel, GetHistory.MaxLimit, (reply, counts) =>
        {
            // Closed meanwhile: nothing to resume.
            if (!counts || !_open.TryGetValue(request.Channel, out var open)) return;
            switch (reply)
            {
                case Subscribed subscribed:
                    // Deliver what was posted while the channel was moving (or down), now: the subscription that
                    // follows moves the last id seen past them, so a message queued to this actor would be dropped.
                    foreach (var message in subscribed.Recent.Where(m => m.Id > open.LastSeen))
                    {
                        open.LastSeen = message.Id;
                        _push.TryPush(new MessagePosted(message));
                    }
                    _log.Info("Session {0}: channel {1} re-subscribed", _identity.User, request.Channel);
                    if (_voice == request.Channel) RecoverVoice(request.Channel);
                    break;
                case CommandRejected { Code: ErrorCode.UnknownChannel }:
                    Self.Tell(new ChannelRemoved(request.Channel));
                    break;
                default:
                    if (request.Attempt >= MaxResubscribeAttempts)
                    {
                        _log.Warning("Session {0}: channel {1} could not be re-subscribed; closing the connection", _identity.User, request.Channel);
                        _push.Abort();
                        Context.Stop(Self);
                        return;
                    }
                    Timers.StartSingleTimer(("resubscribe", request.Channel), request with { Attempt = request.Attempt + 1 }, TimeSpan.FromSeconds(1));
                    break;
            }
        });
    }

    private void Track(ChannelId channel, Subscribed subscribed)
    {
        var lastSeen = subscribed.Recent.Count > 0 ? subscribed.Recent[^1].Id : 0;
        if (_open.TryGetValue(channel, out var open))
        {
            if (!open.Entity.Equals(subscribed.Entity))
            {
                _entities.Remove(open.Entity);
                Context.Unwatch(open.Entity);
            }
            open.Entity = subscribed.Entity;
            open.LastSeen = Math.Max(open.LastSeen, lastSeen);
        }
        else
        {
            _open[channel] = new OpenChannel(subscribed.Entity, lastSeen);
        }
        _entities[subscribed.Entity] = channel;
        Context.Watch(subscribed.Entity);
    }

    private void Close(CloseChannelRequest request)
    {
        // An open still in flight is overtaken: its answer will not count.
        _subscribing.Remove(request.Channel);
        if (_open.Remove(request.Channel, out var open))
        {
            _entities.Remove(open.Entity);
            Context.Unwatch(open.Entity);
            open.Entity.Tell(new UnsubscribeChannel(request.Channel, Self));
        }
        Sender.Tell(new Unsubscribed(request.Channel));
    }

    private void Post(PostRequest request)
    {
        if (TextRules.NormalizeMessage(request.Text, out var reason) is null)
        {
            Sender.Tell(new CommandRejected(ErrorCode.InvalidText, reason));
            return;
        }
        if (!_postLimit.TryAcquire(out var retryAfter))
        {
            Sender.Tell(new CommandRejected(ErrorCode.RateLimited,
                $"At most {_options.PostsPerWindow} messages per {_options.PostWindow.TotalSeconds:0.#} s; try again in {Math.Ceiling(retryAfter.TotalSeconds):0} s."));
            return;
        }
        _region.Forward(new PostMessage(request.Channel, _identity.User, _identity.DisplayName, request.Text, request.Nonce, request.ReplyTo));
    }

    private void PushInOrder(ChannelId channel, long sequence, object channelEvent)
    {
        if (!_open.TryGetValue(channel, out var open) || sequence <= open.LastSeen) return;
        open.LastSeen = sequence;
        _push.TryPush(channelEvent);
    }

    private void PushIfOpen(ChannelId channel, object channelEvent)
    {
        if (_open.ContainsKey(channel)) _push.TryPush(channelEvent);
    }

    /// <summary>
    /// Asks the channel region without waiting for it: <paramref name="then"/> runs as a message of this actor with
    /// the answer, or with an <c>unavailable</c> rejection when none came within <paramref name="timeout"/>.
    /// </summary>
    private void AskChannel(object message, TimeSpan timeout, Action<object> then) =>
        _region.Ask<object>(message, timeout).PipeTo(Self,
            success: reply => new Answered(then, reply),
            failure: _ => new Answered(then, ChannelTimedOut));

    protected override void PreStart()
    {
        BaselineAccess();
        _mediator.Tell(new Subscribe(VoiceTopic(_identity.User), Self));
    }

    protected override void PostStop()
    {
        _mediator.Tell(new Unsubscribe(VoiceTopic(_identity.User), Self));
        foreach (var (channel, open) in _open) open.Entity.Tell(new UnsubscribeChannel(channel, Self));
        base.PostStop();
    }
}

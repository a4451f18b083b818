using Akka.Actor;
using Akka.Cluster.Tools.PublishSubscribe;
using Akka.Event;
using OpenChat.Protocol.Text;
using OpenChat.Protocol.Ids;
using OpenChat.Protocol;
using OpenChat.Protocol.Commands;
using OpenChat.Protocol.Events;
using OpenChat.Protocol.Queries;
using OpenChat.Protocol.Voice;
using OpenChat.Gateway.Auth;
using OpenChat.Gateway.Hub;

namespace OpenChat.Gateway.Sessions;

/// <summary>
/// One per SignalR connection: subscribes to the channels its client opens, forwards their events to the client in
/// order and without duplicates, re-subscribes when a channel entity moves, and enforces the post limit.
/// It also carries the connection's voice membership: at most one voice channel, left before another is joined,
/// resumed when its channel entity moves, and ended when another connection of the same user joins voice
/// elsewhere (announced on the user's distributed pub-sub topic).
/// </summary>
public sealed class SessionActor : ReceiveActor, IWithTimers
{
    private const int MaxResubscribeAttempts = 30;

    private readonly SessionIdentity _identity;
    private readonly IActorRef _region;
    private readonly IClientPush _push;
    private readonly GatewayOptions _options;
    private readonly CallBudgets _budgets;
    private readonly SlidingWindowLimit _postLimit;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly Dictionary<ChannelId, OpenChannel> _open = new();
    private readonly Dictionary<IActorRef, ChannelId> _entities = new();
    private readonly IActorRef _mediator;
    private ChannelId? _voice;

    private sealed class OpenChannel(IActorRef entity, long lastSeen)
    {
        public IActorRef Entity { get; set; } = entity;
        public long LastSeen { get; set; } = lastSeen;
    }

    public SessionActor(SessionIdentity identity, IActorRef region, IClientPush push, GatewayOptions options, CallBudgets budgets, TimeProvider time)
    {
        _identity = identity;
        _region = region;
        _push = push;
        _options = options;
        _budgets = budgets;
        _postLimit = new SlidingWindowLimit(options.PostsPerWindow, options.PostWindow, time);
        _mediator = DistributedPubSub.Get(Context.System).Mediator;

        ReceiveAsync<OpenChannelRequest>(Open);
        Receive<CloseChannelRequest>(Close);
        Receive<PostRequest>(Post);
        ReceiveAsync<Resubscribe>(ResubscribeAsync);
        ReceiveAsync<JoinVoiceRequest>(JoinVoiceAsync);
        ReceiveAsync<ResumeVoiceRequest>(ResumeVoiceAsync);
        Receive<LeaveVoiceRequest>(_ =>
        {
            LeaveCurrentVoice();
            Sender.Tell(Akka.Done.Instance);
        });
        Receive<SetVoiceStateRequest>(r => ForwardVoice(channel => new SetVoiceState(channel, _identity.User, r.Muted, r.Deafened)));
        Receive<SetMemberVolumeRequest>(r => ForwardVoice(channel => new SetMemberVolume(channel, _identity.User, r.Target, r.Volume)));
        Receive<VoiceMemberJoined>(e => PushIfOpen(e.Channel, e));
        Receive<VoiceMemberUpdated>(e => PushIfOpen(e.Channel, e));
        Receive<VoiceMemberLeft>(e => PushIfOpen(e.Channel, e));
        Receive<VoiceSpeaking>(e => PushIfOpen(e.Channel, e));
        Receive<VoiceReconnectRequired>(e =>
        {
            if (_voice == e.Channel) _push.TryPush(e);
        });
        Receive<VoiceEnded>(e =>
        {
            if (_voice != e.Channel) return;
            _voice = null;
            _push.TryPush(e);
        });
        Receive<VoiceTakenOver>(e =>
        {
            // Another connection of this user joined voice; it holds the membership now.
            if (e.Session.Equals(Self) || _voice is not { } current) return;
            _voice = null;
            if (current != e.Channel) _region.Tell(new LeaveVoice(current, _identity.User, Self));
            _push.TryPush(new VoiceEnded(current, "You joined voice from another connection."));
        });
        Receive<SubscribeAck>(_ => { });
        // Confirmations of what this session told a channel in passing (closing it, leaving its voice).
        Receive<Unsubscribed>(_ => { });
        Receive<VoiceLeft>(_ => { });

        Receive<MessagePosted>(e =>
        {
            if (!_open.TryGetValue(e.Message.Channel, out var open) || e.Message.Id <= open.LastSeen) return;
            open.LastSeen = e.Message.Id;
            _push.TryPush(e);
        });
        Receive<MemberOnline>(e => PushIfOpen(e.Channel, e));
        Receive<MemberOffline>(e => PushIfOpen(e.Channel, e));
        Receive<ChannelUpdated>(e => PushIfOpen(e.Channel.Id, e));
        Receive<ChannelRemoved>(e =>
        {
            if (_open.Remove(e.Channel, out var open))
            {
                _entities.Remove(open.Entity);
                Context.Unwatch(open.Entity);
                _push.TryPush(e);
            }
        });
        Receive<Terminated>(t =>
        {
            if (_entities.Remove(t.ActorRef, out var channel) && _open.ContainsKey(channel))
                Self.Tell(new Resubscribe(channel, 1));
        });
    }

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(SessionIdentity identity, IActorRef region, IClientPush push, GatewayOptions options, CallBudgets budgets, TimeProvider time) =>
        Akka.Actor.Props.Create(() => new SessionActor(identity, region, push, options, budgets, time));

    private async Task Open(OpenChannelRequest request)
    {
        var sender = Sender;
        var reply = await SubscribeAsync(request.Channel);
        if (reply is not Subscribed subscribed)
        {
            sender.Tell(reply);
            return;
        }
        sender.Tell(new ChannelViewDto(
            ChannelDto.From(subscribed.Channel),
            subscribed.Online.Select(MemberDto.From).ToArray(),
            subscribed.Recent.Select(MessageDto.From).ToArray(),
            subscribed.HasMore,
            // A channel node of an older version sends no voice list.
            (subscribed.Voice ?? []).Select(VoiceMemberDto.From).ToArray()));
    }

    /// <summary>Subscribes to a channel (again) and tracks it; answers the channel's <see cref="Subscribed"/> or a rejection.</summary>
    private async Task<object> SubscribeAsync(ChannelId channel)
    {
        // Opening an open channel again returns a fresh view; the subscription itself is idempotent.
        if (!_open.ContainsKey(channel) && _open.Count >= _options.MaxOpenChannels)
            return new CommandRejected(ErrorCode.InvalidArgument, $"At most {_options.MaxOpenChannels} channels can be open at once.");
        var reply = await AskChannel(new SubscribeChannel(channel, _identity.User, _identity.DisplayName, Self, GetHistory.DefaultLimit));
        if (reply is Subscribed subscribed) Track(channel, subscribed);
        return reply;
    }

    private async Task JoinVoiceAsync(JoinVoiceRequest request)
    {
        var sender = Sender;
        if (!_open.ContainsKey(request.Channel) && await SubscribeAsync(request.Channel) is CommandRejected rejected)
        {
            sender.Tell(rejected);
            return;
        }
        if (_voice is { } current && current != request.Channel) LeaveCurrentVoice();
        var reply = await AskChannel(new JoinVoice(request.Channel, _identity.User, _identity.DisplayName, Self, request.SdpOffer, request.Muted, request.Deafened),
            _budgets.ChannelJoin);
        if (reply is VoiceJoined)
        {
            _voice = request.Channel;
            _mediator.Tell(new Publish(VoiceTopic(_identity.User), new VoiceTakenOver(request.Channel, Self)));
        }
        sender.Tell(reply);
    }

    private async Task ResumeVoiceAsync(ResumeVoiceRequest request)
    {
        var sender = Sender;
        if (!_open.ContainsKey(request.Channel) && await SubscribeAsync(request.Channel) is CommandRejected rejected)
        {
            sender.Tell(rejected);
            return;
        }
        var reply = await AskChannel(new ResumeVoice(request.Channel, _identity.User, Self));
        if (reply is VoiceJoined) _voice = request.Channel;
        sender.Tell(reply);
    }

    private void LeaveCurrentVoice()
    {
        if (_voice is not { } current) return;
        _voice = null;
        _region.Tell(new LeaveVoice(current, _identity.User, Self));
    }

    private void ForwardVoice(Func<ChannelId, object> command)
    {
        if (_voice is not { } channel)
        {
            Sender.Tell(new CommandRejected(ErrorCode.NotInVoice, "You are not in a voice channel."));
            return;
        }
        _region.Forward(command(channel));
    }

    /// <summary>The pub-sub topic on which a user's sessions announce that they took the user's voice membership.</summary>
    public static string VoiceTopic(UserId user) => "voice-user-" + user.Value;

    private async Task ResubscribeAsync(Resubscribe request)
    {
        if (!_open.TryGetValue(request.Channel, out var open)) return;
        var reply = await AskChannel(new SubscribeChannel(request.Channel, _identity.User, _identity.DisplayName, Self, GetHistory.MaxLimit));
        switch (reply)
        {
            case Subscribed subscribed:
                var lastSeen = open.LastSeen;
                Track(request.Channel, subscribed);
                // Deliver what was posted while the channel was moving.
                foreach (var message in subscribed.Recent.Where(m => m.Id > lastSeen))
                    Self.Tell(new MessagePosted(message));
                _log.Info("Session {0}: channel {1} re-subscribed", _identity.User, request.Channel);
                if (_voice == request.Channel) await RecoverVoiceAsync(request.Channel);
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
    }

    /// <summary>
    /// The channel entity moved while this connection was in its voice channel. A new entity knows no members:
    /// the client is asked to join again, which places the room's mixer anew.
    /// </summary>
    private async Task RecoverVoiceAsync(ChannelId channel)
    {
        var reply = await AskChannel(new ResumeVoice(channel, _identity.User, Self));
        if (reply is VoiceJoined || _voice != channel) return;
        _push.TryPush(new VoiceReconnectRequired(channel, "The voice channel moved to another server."));
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
        _region.Forward(new PostMessage(request.Channel, _identity.User, _identity.DisplayName, request.Text));
    }

    private void PushIfOpen(ChannelId channel, object channelEvent)
    {
        if (_open.ContainsKey(channel)) _push.TryPush(channelEvent);
    }

    private async Task<object> AskChannel(object message, TimeSpan? timeout = null)
    {
        try
        {
            return await _region.Ask<object>(message, timeout ?? _budgets.Cluster);
        }
        catch (AskTimeoutException)
        {
            return new CommandRejected(ErrorCode.Unavailable, "The channel did not answer in time; try again.");
        }
    }

    protected override void PreStart() => _mediator.Tell(new Subscribe(VoiceTopic(_identity.User), Self));

    protected override void PostStop()
    {
        _mediator.Tell(new Unsubscribe(VoiceTopic(_identity.User), Self));
        foreach (var (channel, open) in _open) open.Entity.Tell(new UnsubscribeChannel(channel, Self));
        base.PostStop();
    }
}

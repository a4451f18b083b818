using OpenChat.Hosting;
using Akka.Actor;
using Akka.Cluster.Tools.PublishSubscribe;
using OpenChat.Protocol;
using OpenChat.Protocol.Commands;
using OpenChat.Protocol.Ids;
using OpenChat.Protocol.Queries;
using OpenChat.Protocol.Voice;
using OpenChat.Protocol.Permissions;

namespace OpenChat.Gateway.Sessions;

/// <summary>
/// The connection's voice membership. Voice requests are handled one at a time, in the order the client made
/// them: while a join or a resume waits for its channel (placement may take seconds), later voice requests wait in
/// the stash. So do the voice events of the channel being joined, until the hub has taken the answer: the client
/// takes the member list in the answer as a whole, then applies the events that follow it. Everything else
/// (channel events, posts, opening channels) goes on meanwhile.
/// </summary>
public sealed partial class SessionActor
{
    private ChannelId? _voice;

    /// <summary>The join or resume being waited for, or whose answer the hub has not taken yet, if any.</summary>
    private VoiceOperation? _voiceOperation;

    private sealed class VoiceOperation(ChannelId channel, IActorRef replyTo, Task? answerTaken)
    {
        public ChannelId Channel { get; } = channel;
        public IActorRef ReplyTo { get; } = replyTo;
        public Task AnswerTaken { get; } = answerTaken ?? Task.CompletedTask;
    }

    /// <summary>Session to itself: the hub has taken the answer to a voice operation.</summary>
    private sealed record VoiceAnswerTaken(VoiceOperation Operation);

    private void VoiceHandlers()
    {
        Receive<IVoiceRequest>(_ => _voiceOperation is not null, _ => Stash.Stash());
        Receive<object>(m => _voiceOperation is { } pending && VoiceEventChannel(m) == pending.Channel, _ => Stash.Stash());

        Receive<JoinVoiceRequest>(Join);
        Receive<ResumeVoiceRequest>(Resume);
        Receive<VoiceAnswerTaken>(taken =>
        {
            if (!ReferenceEquals(taken.Operation, _voiceOperation)) return;
            _voiceOperation = null;
            Stash.UnstashAll();
            // Permissions may have changed while the join was under way.
            if (_voice == taken.Operation.Channel) ApplyAccess();
        });
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
        Receive<VoiceMoved>(e =>
        {
            // A moderator moved this member: the client joins the other channel.
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
        // The confirmation of a leave this session told a channel in passing.
        Receive<VoiceLeft>(_ => { });
    }

    /// <summary>The channel of a voice event a channel sends its subscribers or members; null for anything else.</summary>
    private static ChannelId? VoiceEventChannel(object message) => message switch
    {
        VoiceMemberJoined e => e.Channel,
        VoiceMemberUpdated e => e.Channel,
        VoiceMemberLeft e => e.Channel,
        VoiceSpeaking e => e.Channel,
        VoiceReconnectRequired e => e.Channel,
        VoiceEnded e => e.Channel,
        VoiceMoved e => e.Channel,
        _ => null,
    };

    /// <summary>The pub-sub topic on which a user's sessions announce that they took the user's voice membership.</summary>
    public static string VoiceTopic(UserId user) => "voice-user-" + user.Value;

    private void Join(JoinVoiceRequest request)
    {
        var operation = _voiceOperation = new VoiceOperation(request.Channel, Sender, request.AnswerTaken);
        WhenOpen(operation, () =>
        {
            // Checked again here: the permissions may have changed since the hub looked. A refused join leaves nothing.
            var access = CurrentAccess();
            if (!access.Can(Permission.Connect, request.Channel))
            {
                Answer(operation, new CommandRejected(ErrorCode.Forbidden, access.TimeOutNotice ?? "You may not connect to this voice channel."));
                return;
            }
            if (_voice is { } current && current != request.Channel) LeaveCurrentVoice();
            using var span = GatewayTracing.Source.StartChild("session.join_voice", request.TraceParent);
            var suppressed = !access.Can(Permission.Speak, request.Channel);
            var deafened = ServerDeafened(access);
            var serverMuted = ServerMuted(access);
            var join = new JoinVoice(request.Channel, _identity.User, _identity.DisplayName, Self, request.SdpOffer, request.Muted, request.Deafened, request.ClientAddress,
                span.Context(request.TraceParent), suppressed, deafened, serverMuted);
            AskChannel(join, _budgets.ChannelJoin, reply =>
            {
                if (reply is VoiceJoined)
                {
                    _voice = request.Channel;
                    _toldVoice = (suppressed, deafened, serverMuted);
                    _mediator.Tell(new Publish(VoiceTopic(_identity.User), new VoiceTakenOver(request.Channel, Self)));
                }
                Answer(operation, reply);
            });
        });
    }

    private void Resume(ResumeVoiceRequest request)
    {
        var operation = _voiceOperation = new VoiceOperation(request.Channel, Sender, request.AnswerTaken);
        WhenOpen(operation, () => AskChannel(new ResumeVoice(request.Channel, _identity.User, Self), _budgets.Cluster, reply =>
        {
            if (reply is VoiceJoined)
            {
                _voice = request.Channel;
                // Permissions may have changed while no connection held the membership.
                _toldVoice = null;
            }
            Answer(operation, reply);
        }));
    }

    /// <summary>Runs <paramref name="next"/> once the operation's channel is open here, opening it first if need be.</summary>
    private void WhenOpen(VoiceOperation operation, Action next)
    {
        if (_open.ContainsKey(operation.Channel))
        {
            next();
            return;
        }
        Subscribe(operation.Channel, GetHistory.DefaultLimit, (reply, _) =>
        {
            if (reply is CommandRejected rejected) Answer(operation, rejected);
            else next();
        });
    }

    /// <summary>Answers the operation's caller; the voice requests and events that waited go on once the hub has taken the answer.</summary>
    private void Answer(VoiceOperation operation, object reply)
    {
        operation.ReplyTo.Tell(reply);
        operation.AnswerTaken.PipeTo(Self, success: () => new VoiceAnswerTaken(operation), failure: _ => new VoiceAnswerTaken(operation));
    }

    /// <summary>
    /// The channel entity moved while this connection was in its voice channel. A new entity knows no members:
    /// the client is asked to join again, which places the room's mixer anew.
    /// </summary>
    private void RecoverVoice(ChannelId channel) =>
        AskChannel(new ResumeVoice(channel, _identity.User, Self), _budgets.Cluster, reply =>
        {
            if (reply is VoiceJoined || _voice != channel) return;
            _push.TryPush(new VoiceReconnectRequired(channel, "The voice channel moved to another server."));
        });

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
}

using OpenChat.Hosting;
using System.Diagnostics;
using Akka.Actor;
using Akka.Event;
using OpenChat.Protocol.Ids;
using OpenChat.Protocol;
using OpenChat.Protocol.Commands;
using OpenChat.Protocol.Media;
using OpenChat.Protocol.Voice;
using OpenChat.MediaNode.Engine;
using OpenChat.Rtc.Sdp;
using OpenChat.Rtc.Transport;

namespace OpenChat.MediaNode.Mixers;

/// <summary>
/// The mixer of one voice room on this node. It accepts each member's WebRTC offer on the node's endpoint and
/// wires the session to the room: packets go straight from the receive thread into the member's jitter buffer,
/// and the room's mixes go straight from the mixing thread into the session; no actor message per packet.
/// The mixer manager creates the engine room before this actor and removes it when this actor stops.
/// Its owner, the room's channel entity, death-watches it and places a new one when it or its node is gone;
/// it watches its owner in turn and stops when the owner is gone (a new owner places a mixer of its own).
/// Once its owner has renewed its lease (<see cref="RenewMixerLease"/>) it also stops when the lease lapses: the
/// owner placed the room elsewhere while this node could not be reached, and the owner is still alive.
/// It tells the owner when a member's media connects (<see cref="MemberMediaConnected"/>): only then does the member count.
/// </summary>
public sealed class MixerActor : ReceiveActor, IWithTimers
{
    /// <summary>Manager to mixer: the node is draining; ask the owner to move the room.</summary>
    public sealed record Drain(string Node);

    private readonly ChannelId _room;
    private readonly MixerRoom _mixerRoom;
    private readonly RtcEndpoint _endpoint;
    private readonly MediaPathClassifier? _paths;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly Dictionary<UserId, Member> _members = new();
    private readonly Dictionary<MemberId, UserId> _users = new();
    private IActorRef _owner;
    private long _nextMemberId;

    private sealed record Member(MemberId Id, RtcSession Session)
    {
        /// <summary>How the session's media reaches the node, once it connected (counted in <see cref="MediaMetrics"/>).</summary>
        public MediaPath? Path { get; set; }
    }

    private sealed record SessionClosed(UserId User, RtcSession Session, string Reason);

    private sealed record SpeakingChanged(MemberId Member, bool Speaking);

    private sealed record SessionConnected(UserId User, RtcSession Session);

    private sealed record LeaseLapsed;

    public ITimerScheduler Timers { get; set; } = null!;

    public MixerActor(ChannelId room, MixerRoom mixerRoom, RtcEndpoint endpoint, IActorRef owner, MediaPathClassifier? paths = null)
    {
        _paths = paths;
        _room = room;
        _mixerRoom = mixerRoom;
        _endpoint = endpoint;
        _owner = owner;

        Receive<ConnectMember>(Connect);
        Receive<DisconnectMember>(d =>
        {
            Remove(d.User, "left");
            Sender.Tell(new MemberDisconnected(_room, d.User, "left", Requested: true));
        });
        Receive<UpdateMember>(update =>
        {
            if (_members.TryGetValue(update.User, out var member)) ApplyMuteState(member.Id, update.Muted, update.Deafened);
        });
        Receive<SetMixVolume>(volume =>
        {
            // The channel validates volumes and sends a member's again whenever it connects, so none are kept here;
            // a NaN would still make the room throw and restart this mixer, dropping every member.
            if (float.IsNaN(volume.Volume)) return;
            if (_members.TryGetValue(volume.Listener, out var listener) && _members.TryGetValue(volume.Talker, out var talker))
                _mixerRoom.SetPersonalVolume(listener.Id, talker.Id, volume.Volume);
        });
        Receive<SpeakingChanged>(changed =>
        {
            if (_users.TryGetValue(changed.Member, out var user)) _owner.Tell(new MemberSpeaking(_room, user, changed.Speaking));
        });
        Receive<SessionConnected>(connected =>
        {
            if (_members.TryGetValue(connected.User, out var member) && ReferenceEquals(member.Session, connected.Session))
            {
                // A session reported twice is counted once.
                if (member.Path is null && _paths?.Classify(connected.Session) is { } path)
                {
                    member.Path = path;
                    MediaMetrics.MemberConnected(path);
                }
                _log.Debug("Room {0}: a member's media connected over {1}", _room, member.Path);
                _owner.Tell(new MemberMediaConnected(_room, connected.User, member.Path));
            }
        });
        Receive<RenewMixerLease>(renew =>
        {
            if (!Sender.Equals(_owner) || renew.ValidFor <= TimeSpan.Zero) return;
            Timers.StartSingleTimer("lease", new LeaseLapsed(), renew.ValidFor);
        });
        Receive<LeaseLapsed>(_ =>
        {
            _log.Warning("Room {0}: its owner stopped renewing this mixer's lease; stopping it", _room);
            Context.Stop(Self);
        });
        Receive<SessionClosed>(closed =>
        {
            // Only the session still registered counts; a replaced one has already been removed.
            if (!_members.TryGetValue(closed.User, out var member) || !ReferenceEquals(member.Session, closed.Session)) return;
            Remove(closed.User, closed.Reason);
            _owner.Tell(new MemberDisconnected(_room, closed.User, closed.Reason, Requested: false));
        });
        Receive<CreateMixer>(create =>
        {
            // A new incarnation of the channel entity adopts this mixer; its lease starts over with its renewals.
            if (create.Owner.Equals(_owner)) return;
            Timers.Cancel("lease");
            Context.Unwatch(_owner);
            _owner = create.Owner;
            Context.Watch(_owner);
        });
        Receive<Drain>(drain => _owner.Tell(new MixerDraining(_room, Self, drain.Node)));
        Receive<StopMixer>(_ =>
        {
            Sender.Tell(new MixerStopped(_room));
            Context.Stop(Self);
        });
        Receive<Terminated>(t =>
        {
            if (t.ActorRef.Equals(_owner))
            {
                _log.Info("Owner of room {0} is gone; stopping its mixer", _room);
                Context.Stop(Self);
            }
        });
    }

    public static Props Props(ChannelId room, MixerRoom mixerRoom, RtcEndpoint endpoint, IActorRef owner, MediaPathClassifier? paths = null) =>
        Akka.Actor.Props.Create(() => new MixerActor(room, mixerRoom, endpoint, owner, paths));

    public static RoomId RoomIdFor(ChannelId room) => new(room.Value);

    private void Connect(ConnectMember request)
    {
        using var span = MediaTracing.Source.StartChild("mixer.connect_member", request.TraceParent);
        if (request.SdpOffer is null || request.SdpOffer.Length > JoinVoice.MaxOfferLength)
        {
            Sender.Tell(new CommandRejected(ErrorCode.InvalidArgument, $"An SDP offer has at most {JoinVoice.MaxOfferLength} characters."));
            return;
        }

        var memberId = new MemberId(++_nextMemberId);
        var room = _mixerRoom;
        RtcAnswer answer;
        try
        {
            answer = _endpoint.AcceptOffer(request.SdpOffer, new RtcSessionOptions
            {
                AudioReceived = (RtcSession _, in RtcAudioFrame frame) => room.OnPacket(
                    memberId, frame.SequenceNumber, frame.Timestamp, frame.Payload,
                    frame.AudioLevel >= 0 ? (byte)frame.AudioLevel : null, Stopwatch.GetTimestamp()),
            });
        }
        catch (Exception e) when (e is SdpException or OfferRejectedException)
        {
            Sender.Tell(new CommandRejected(ErrorCode.InvalidArgument, "The offer cannot be served: " + e.Message));
            return;
        }
        catch (Exception e)
        {
            // Whatever else goes wrong with one offer (the endpoint closing, say) must not restart the mixer and
            // drop everyone in the room.
            _log.Warning("Room {0}: offer of {1} failed: {2}", _room, request.User, e.Message);
            Sender.Tell(new CommandRejected(ErrorCode.Unavailable, "The voice server could not take the offer; try again."));
            return;
        }

        // A member who connects again (a renegotiation) replaces their previous session.
        Remove(request.User, "replaced by a new connection");
        var session = answer.Session;
        _mixerRoom.AddMember(memberId, new SessionSink(session));
        ApplyMuteState(memberId, request.Muted, request.Deafened);
        _members[request.User] = new Member(memberId, session);
        _users[memberId] = request.User;
        var self = Self;
        var user = request.User;
        session.Closed += (s, reason) => self.Tell(new SessionClosed(user, s, reason));
        session.Connected += s => self.Tell(new SessionConnected(user, s));
        // It may have connected before the handler was attached; the owner takes a second report as one.
        if (session.State == RtcSessionState.Connected) self.Tell(new SessionConnected(user, session));
        Sender.Tell(new MemberConnected(_room, request.User, answer.Sdp));
    }

    private void ApplyMuteState(MemberId member, bool muted, bool deafened)
    {
        // A deafened member is not mixed either.
        _mixerRoom.SetMuted(member, muted || deafened);
        _mixerRoom.SetDeafened(member, deafened);
    }

    private void Remove(UserId user, string reason)
    {
        if (!_members.Remove(user, out var member)) return;
        if (member.Path is { } path) MediaMetrics.MemberLeft(path);
        _users.Remove(member.Id);
        _mixerRoom.RemoveMember(member.Id);
        member.Session.Close(reason);
    }

    protected override void PreStart()
    {
        Context.Watch(_owner);
        _mixerRoom.SetSpeakingListener(new SpeakingRelay(Self));
        _log.Info("Mixer for room {0} started", _room);
    }

    protected override void PostStop()
    {
        _mixerRoom.SetSpeakingListener(null);
        foreach (var user in _members.Keys.ToList()) Remove(user, "mixer stopped");
        _log.Info("Mixer for room {0} stopped", _room);
    }

    /// <summary>Posts the engine's speaking changes (a few per second at most) to the mixer.</summary>
    private sealed class SpeakingRelay(IActorRef mixer) : ISpeakingListener
    {
        public void OnSpeakingChanged(RoomId room, MemberId member, bool speaking) => mixer.Tell(new SpeakingChanged(member, speaking));
    }

    /// <summary>
    /// Hands the room's frames for one member (encoded mixes and forwarded talkers' packets alike) to that member's
    /// WebRTC session, which numbers them in one sequence under its one SSRC and adds the audio level when negotiated.
    /// </summary>
    private sealed class SessionSink(RtcSession session) : IAudioSink
    {
        public void OnFrame(ReadOnlySpan<byte> opus, uint rtpTimestamp, ushort sequenceNumber, bool marker, byte audioLevelDbov) =>
            session.SendAudio(opus, rtpTimestamp, marker, audioLevelDbov);
    }
}

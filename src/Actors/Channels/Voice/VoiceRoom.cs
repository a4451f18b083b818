using Akka.Actor;
using OpenChat.Protocol;
using OpenChat.Protocol.Commands;
using OpenChat.Protocol.Ids;
using OpenChat.Protocol.Media;
using OpenChat.Protocol.Text;
using OpenChat.Protocol.Voice;

namespace OpenChat.Channels.Voice;

/// <summary>
/// The rules of a channel's voice room, without an actor: its members and their state, and the lease on its mixer
/// (<see cref="MixerLease"/>). Every command and event goes in through one method and comes out as the
/// <see cref="VoiceEffect"/>s the channel actor carries out, in order: answers, messages to sessions and mixers,
/// placement and offers to send, watches and timers. The room reads no clock and sends nothing itself.
/// Members' commands are here; the mixer's lifecycle is in VoiceRoom.Mixer.cs.
/// </summary>
public sealed partial class VoiceRoom(ChannelId channel, ChannelOptions options)
{
    private readonly Dictionary<UserId, VoiceSeat> _seats = new();
    private List<VoiceEffect> _effects = new();

    /// <summary>The announced members, by name.</summary>
    public IReadOnlyList<VoiceMember> Members =>
        _seats.Values.Where(s => s.Announced).Select(s => s.ToMember())
            .OrderBy(m => m.DisplayName, StringComparer.OrdinalIgnoreCase).ToList();

    /// <summary>How many members are announced (<see cref="Members"/>'s count, without building the list).</summary>
    public int AnnouncedCount
    {
        get
        {
            int count = 0;
            foreach (var seat in _seats.Values) if (seat.Announced) count++;
            return count;
        }
    }

    /// <summary>True while the room has members, a mixer or a placement under way: the channel stays up.</summary>
    public bool IsBusy => _seats.Count > 0 || Lease is not MixerLease.None { Draining: null };

    /// <summary>True when <paramref name="actor"/> is the connection of one of the members.</summary>
    public bool HoldsSession(IActorRef actor) => _seats.Values.Any(s => actor.Equals(s.Session));

    public VoiceStatus Status() => new(channel, Lease.Current?.Node, Members,
        _seats.Values.Where(s => s.Announced && s.Path is not null).Select(s => new MemberMediaPath(s.User, s.Path!.Value)).OrderBy(p => p.User.Value, StringComparer.Ordinal).ToList());

    public IReadOnlyList<VoiceEffect> Join(JoinVoice join, IActorRef replyTo, ChannelInfo info) => Decide(() =>
    {
        if (info.Kind != ChannelKind.Voice)
        {
            Reject(replyTo, ErrorCode.WrongChannelKind, $"'{info.Name}' is a text channel.");
            return;
        }
        if (!JoinVoice.IsValidOffer(join.SdpOffer))
        {
            Reject(replyTo, ErrorCode.InvalidArgument, JoinVoice.OfferRule);
            return;
        }
        var name = TextRules.NormalizeDisplayName(join.DisplayName, out var reason);
        if (name is null)
        {
            Reject(replyTo, ErrorCode.InvalidArgument, reason);
            return;
        }
        if (!_seats.TryGetValue(join.User, out var seat))
        {
            // Only members whose media connected count; those still connecting are bounded by the same number
            // (and expire), so offers that never connect cannot keep the room full.
            var announced = _seats.Values.Count(s => s.Announced);
            if (announced >= options.MaxVoiceMembers || _seats.Count - announced >= options.MaxVoiceMembers)
            {
                Reject(replyTo, ErrorCode.VoiceFull, $"'{info.Name}' has its maximum of {options.MaxVoiceMembers} members.");
                return;
            }
            if (join.ClientAddress is { } address && _seats.Values.Count(s => s.ClientAddress == address) >= options.MaxVoiceSeatsPerAddress)
            {
                Reject(replyTo, ErrorCode.VoiceFull,
                    $"At most {options.MaxVoiceSeatsPerAddress} members of '{info.Name}' can connect from one address.");
                return;
            }
            seat = new VoiceSeat(join.User, name) { ClientAddress = join.ClientAddress };
            _seats[join.User] = seat;
        }
        seat.Name = name;
        BindSession(seat, join.Session);
        ApplyState(seat, join.Muted, join.Deafened, join.Suppressed, join.ServerDeafened, join.ServerMuted);

        Emit(new VoiceEffect.CancelTimer(new VoiceTimer.MixerIdle()));
        var pending = new PendingJoin(join, replyTo, ++seat.Generation);
        if (Lease.Current is { } mixer) Connect(pending, mixer.Ref);
        else AwaitMixer(pending);
    });

    public IReadOnlyList<VoiceEffect> Resume(ResumeVoice resume, IActorRef replyTo) => Decide(() =>
    {
        if (!_seats.TryGetValue(resume.User, out var seat) || !seat.Announced)
        {
            Reject(replyTo, ErrorCode.NotInVoice, "You are not in this voice channel; join it again.");
            return;
        }
        BindSession(seat, resume.Session);
        Tell(replyTo, new VoiceJoined(channel, null, Members));
        // The room moved while this member's signalling was away: its media session is on a mixer that is gone.
        if (Lease.Current is { } mixer && !mixer.Ref.Equals(seat.ConnectedMixer))
            Tell(resume.Session, new VoiceReconnectRequired(channel, "The voice server changed while you were reconnecting."));
    });

    public IReadOnlyList<VoiceEffect> Leave(LeaveVoice leave, IActorRef replyTo) => Decide(() =>
    {
        if (_seats.TryGetValue(leave.User, out var seat) && (leave.Session is null || leave.Session.Equals(seat.Session)))
            RemoveSeat(seat, endedReason: null);
        Tell(replyTo, new VoiceLeft(channel));
    });

    public IReadOnlyList<VoiceEffect> SetState(SetVoiceState state, IActorRef replyTo) => Decide(() =>
    {
        if (!_seats.TryGetValue(state.User, out var seat) || !seat.Announced)
        {
            Reject(replyTo, ErrorCode.NotInVoice, "You are not in this voice channel.");
            return;
        }
        ApplyState(seat, state.Muted, state.Deafened, seat.Suppressed, seat.ServerDeafened, seat.ServerMuted);
        Tell(replyTo, new VoiceAck(channel));
    });

    public IReadOnlyList<VoiceEffect> SetSuppressed(SetVoiceSuppressed state, IActorRef replyTo) =>
        OnMember(state.User, replyTo, seat => ApplyState(seat, seat.Muted, seat.Deafened, state.Suppressed, state.ServerDeafened, state.ServerMuted));

    /// <summary>A moderator disconnects the member, or moves them elsewhere.</summary>
    public IReadOnlyList<VoiceEffect> EndMembership(EndVoiceMembership end, IActorRef replyTo) =>
        OnMember(end.User, replyTo, seat => RemoveSeat(seat, end.Reason, end.MovedTo));

    /// <summary>What the gateway or a moderator does to a member (announced or still connecting): acknowledged, or refused when there is none.</summary>
    private IReadOnlyList<VoiceEffect> OnMember(UserId user, IActorRef replyTo, Action<VoiceSeat> change) => Decide(() =>
    {
        if (!_seats.TryGetValue(user, out var seat))
        {
            Reject(replyTo, ErrorCode.NotInVoice, "The member is not in this voice channel.");
            return;
        }
        change(seat);
        Tell(replyTo, new VoiceAck(channel));
    });

    public IReadOnlyList<VoiceEffect> SetVolume(SetMemberVolume request, IActorRef replyTo) => Decide(() =>
    {
        if (!_seats.TryGetValue(request.User, out var seat) || !seat.Announced)
        {
            Reject(replyTo, ErrorCode.NotInVoice, "You are not in this voice channel.");
            return;
        }
        if (request.Target == request.User || !SetMemberVolume.IsValidVolume(request.Volume))
        {
            Reject(replyTo, ErrorCode.InvalidArgument, $"The volume of another member is 0 to {SetMemberVolume.MaxVolume}.");
            return;
        }
        if (!seat.Volumes.ContainsKey(request.Target) && seat.Volumes.Count >= options.MaxVoiceMembers)
        {
            Reject(replyTo, ErrorCode.InvalidArgument, $"At most {options.MaxVoiceMembers} members can have their own volume.");
            return;
        }
        if (request.Volume == 1f) seat.Volumes.Remove(request.Target);
        else seat.Volumes[request.Target] = request.Volume;
        if (seat.ConnectedMixer is { } mixer) Tell(mixer, new SetMixVolume(channel, seat.User, request.Target, request.Volume));
        Tell(replyTo, new VoiceAck(channel));
    });

    /// <summary>A mixer reports who speaks; only the member's own mixer is heard.</summary>
    public IReadOnlyList<VoiceEffect> MemberSpeaking(MemberSpeaking speaking, IActorRef from) => Decide(() =>
    {
        if (!_seats.TryGetValue(speaking.User, out var seat) || !from.Equals(seat.ConnectedMixer)) return;
        if (seat.Speaking == speaking.Speaking) return;
        seat.Speaking = speaking.Speaking;
        Emit(new VoiceEffect.Broadcast(new VoiceSpeaking(channel, seat.User, speaking.Speaking)));
    });

    /// <summary>
    /// A mixer reports that a member's media session connected: the member now counts, and is announced the first time.
    /// </summary>
    public IReadOnlyList<VoiceEffect> MemberMediaConnected(MemberMediaConnected connected, IActorRef from) => Decide(() =>
    {
        if (!_seats.TryGetValue(connected.User, out var seat) || !from.Equals(seat.ConnectedMixer)) return;
        seat.MediaConnected = true;
        seat.Path = connected.Path;
        FinishHandoverWhenConnected();
        if (seat.Announced) return;
        seat.Announced = true;
        Emit(new VoiceEffect.Broadcast(new VoiceMemberJoined(channel, seat.ToMember())));
    });

    /// <summary>
    /// A mixer reports a media session that ended. Only one that ended on its own ends a membership; answers to our
    /// own requests do not, nor does the end of a session on a draining mixer (the member is moving).
    /// </summary>
    public IReadOnlyList<VoiceEffect> MemberDisconnected(MemberDisconnected disconnected, IActorRef from) => Decide(() =>
    {
        if (disconnected.Requested) return;
        if (!_seats.TryGetValue(disconnected.User, out var seat) || !from.Equals(seat.ConnectedMixer)) return;
        seat.ConnectedMixer = null;
        if (from.Equals(Lease.Retiring?.Ref)) return;
        RemoveSeat(seat, "Your voice connection was lost: " + disconnected.Reason);
    });

    /// <summary>A watched actor ended: the mixer, the draining mixer, or a member's connection.</summary>
    public IReadOnlyList<VoiceEffect> ActorTerminated(IActorRef actor) => Decide(() =>
    {
        if (actor.Equals(Lease.Current?.Ref))
        {
            MixerLost("The voice server stopped.", terminated: true);
            return;
        }
        if (actor.Equals(Lease.Retiring?.Ref))
        {
            DetachSeatsFrom(actor);
            Lease = Lease.WithoutRetiring();
            return;
        }
        foreach (var seat in _seats.Values)
        {
            if (!actor.Equals(seat.Session)) continue;
            // The connection is gone but the media may well go on (a gateway was lost): keep the membership for
            // the client to resume from another connection, for a while.
            seat.Session = null;
            Emit(new VoiceEffect.StartTimer(new VoiceTimer.Resume(seat.User), options.ResumeGrace));
        }
    });

    public IReadOnlyList<VoiceEffect> TimerFired(VoiceTimer timer) => Decide(() =>
    {
        switch (timer)
        {
            case VoiceTimer.MixerIdle:
                if (_seats.Count == 0) StopCurrentMixer();
                break;
            case VoiceTimer.Handover:
                StopRetiring();
                break;
            case VoiceTimer.PlacementRetry:
                if (Lease.Current is null && _seats.Count > 0) AwaitMixer(null);
                break;
            case VoiceTimer.Resume resume:
                if (_seats.TryGetValue(resume.User, out var seat) && seat.Session is null) RemoveSeat(seat, endedReason: null);
                break;
            case VoiceTimer.Unconnected unconnected:
                if (_seats.TryGetValue(unconnected.User, out var waiting) && waiting.Generation == unconnected.Generation && !waiting.MediaConnected)
                    RemoveSeat(waiting, "Your voice connection did not come up in time; join again.");
                break;
        }
    });

    /// <summary>Ends every membership, refuses the joins waiting for a mixer and stops the mixers (the channel was deleted).</summary>
    public IReadOnlyList<VoiceEffect> End(string reason) => Decide(() =>
    {
        foreach (var seat in _seats.Values.ToList()) RemoveSeat(seat, reason);
        if (Lease is MixerLease.Placing placing)
        {
            foreach (var pending in placing.Joins) Reject(pending.ReplyTo, ErrorCode.UnknownChannel, reason);
            Lease = placing with { Joins = [] };
        }
        StopCurrentMixer();
        StopRetiring();
    });

    /// <summary>Runs one decision and collects its effects; the room follows the media nodes while it holds a mixer.</summary>
    private List<VoiceEffect> Decide(Action rules)
    {
        var following = Lease.HoldsMixer;
        _effects = new List<VoiceEffect>();
        rules();
        if (Lease.HoldsMixer != following) Emit(new VoiceEffect.FollowMediaNodes(Lease.HoldsMixer));
        return _effects;
    }

    private void BindSession(VoiceSeat seat, IActorRef session)
    {
        if (session.Equals(seat.Session)) return;
        var previous = seat.Session;
        seat.Session = session;
        Emit(new VoiceEffect.Watch(session));
        Emit(new VoiceEffect.CancelTimer(new VoiceTimer.Resume(seat.User)));
        if (previous is not null)
        {
            Tell(previous, new VoiceEnded(channel, "You joined this voice channel from another connection."));
            ReleaseSession(previous);
        }
    }

    private void ApplyState(VoiceSeat seat, bool muted, bool deafened, bool suppressed, bool serverDeafened, bool serverMuted)
    {
        if (seat.Muted == muted && seat.Deafened == deafened && seat.Suppressed == suppressed && seat.ServerDeafened == serverDeafened
            && seat.ServerMuted == serverMuted) return;
        seat.ServerMuted = serverMuted;
        seat.Muted = muted;
        seat.Deafened = deafened;
        seat.Suppressed = suppressed;
        seat.ServerDeafened = serverDeafened;
        if (seat.ConnectedMixer is { } mixer) Tell(mixer, new UpdateMember(channel, seat.User, seat.MixedMuted, seat.MixedDeafened));
        if (seat.Announced) Emit(new VoiceEffect.Broadcast(new VoiceMemberUpdated(channel, seat.ToMember())));
    }

    private void RemoveSeat(VoiceSeat seat, string? endedReason, ChannelId? movedTo = null)
    {
        _seats.Remove(seat.User);
        Emit(new VoiceEffect.CancelTimer(new VoiceTimer.Resume(seat.User)));
        if (seat.ConnectedMixer is { } mixer) Tell(mixer, new DisconnectMember(channel, seat.User));
        if (seat.Announced) Emit(new VoiceEffect.Broadcast(new VoiceMemberLeft(channel, seat.User)));
        if (seat.Session is { } session)
        {
            if (movedTo is { } to) Tell(session, new VoiceMoved(channel, to, endedReason ?? ""));
            else if (endedReason is not null) Tell(session, new VoiceEnded(channel, endedReason));
            seat.Session = null;
            ReleaseSession(session);
        }
        foreach (var other in _seats.Values) other.Volumes.Remove(seat.User);
        if (_seats.Count == 0)
        {
            Emit(new VoiceEffect.CancelTimer(new VoiceTimer.PlacementRetry()));
            if (Lease.Current is not null) Emit(new VoiceEffect.StartTimer(new VoiceTimer.MixerIdle(), options.MixerIdleGrace));
            if (Lease.Retiring is not null) StopRetiring();
        }
        else
        {
            FinishHandoverWhenConnected();
        }
    }

    private void ReleaseSession(IActorRef session)
    {
        if (!HoldsSession(session)) Emit(new VoiceEffect.Unwatch(session));
    }

    private void DetachSeatsFrom(IActorRef mixer)
    {
        foreach (var seat in _seats.Values)
        {
            if (mixer.Equals(seat.ConnectedMixer)) seat.ConnectedMixer = null;
        }
    }

    private void Emit(VoiceEffect effect) => _effects.Add(effect);

    private void Tell(IActorRef to, object message) => Emit(new VoiceEffect.Tell(to, message));

    private void Reject(IActorRef to, ErrorCode code, string reason) => Tell(to, new CommandRejected(code, reason));
}

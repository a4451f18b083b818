using Akka.Actor;
using Akka.Event;
using OpenChat.Protocol.Text;
using OpenChat.Protocol.Ids;
using OpenChat.Protocol;
using OpenChat.Protocol.Commands;
using OpenChat.Protocol.Media;
using OpenChat.Protocol.Voice;

namespace OpenChat.Channels;

/// <summary>
/// The voice side of a channel: its members and their state, and the lifecycle of the room's mixer. The mixer
/// is placed on the first join, death-watched, replaced elsewhere when it or its node is lost, handed over when
/// its node drains, and stopped after a grace period once the room is empty. Members learn of a move through
/// <see cref="VoiceReconnectRequired"/>, sent once the new mixer is ready, and join again with a fresh offer.
/// </summary>
public sealed partial class ChannelActor
{
    private readonly Dictionary<UserId, VoiceSeat> _voice = new();
    private readonly List<PendingJoin> _awaitingMixer = new();
    private ActiveMixer? _mixer;
    private ActiveMixer? _retiring;
    private bool _placing;
    private bool _watchingNodes;
    private string? _avoidNode;
    private string _moveReason = "";

    private sealed class VoiceSeat(UserId user, string name)
    {
        public UserId User { get; } = user;
        public string Name { get; set; } = name;
        public IActorRef? Session { get; set; }
        public bool Muted { get; set; }
        public bool Deafened { get; set; }
        public bool Speaking { get; set; }
        public bool Announced { get; set; }
        public long Generation { get; set; }

        /// <summary>The mixer that holds this member's media session, if any.</summary>
        public IActorRef? ConnectedMixer { get; set; }

        public Dictionary<UserId, float> Volumes { get; } = new();

        public VoiceMember ToMember() => new(User, Name, Muted, Deafened, Speaking);
    }

    private sealed record ActiveMixer(IActorRef Mixer, string Node);

    private sealed record PendingJoin(JoinVoice Join, IActorRef ReplyTo, long Generation);

    private sealed record PlacementResult(object Reply);

    private sealed record ConnectResult(PendingJoin Pending, IActorRef Mixer, object Reply);

    private sealed record StopIdleMixer;

    private sealed record StopRetiringMixer;

    private sealed record RetryPlacement;

    private sealed record ResumeExpired(UserId User);

    private void VoiceCommands()
    {
        Command<JoinVoice>(Join);
        Command<ResumeVoice>(Resume);
        Command<LeaveVoice>(leave =>
        {
            if (_voice.TryGetValue(leave.User, out var seat) && (leave.Session is null || leave.Session.Equals(seat.Session)))
                RemoveSeat(seat, endedReason: null);
            Sender.Tell(new VoiceLeft(_id));
        });
        Command<SetVoiceState>(SetState);
        Command<SetMemberVolume>(SetVolume);
        // The mixer confirms a stop it was told to do; nothing waits for that.
        Command<MixerStopped>(_ => { });
        Command<GetVoiceStatus>(_ => Sender.Tell(new VoiceStatus(_id, _mixer?.Node, VoiceList())));
        Command<ConnectResult>(OnConnectResult);
        Command<PlacementResult>(OnPlacementResult);
        Command<MemberSpeaking>(speaking =>
        {
            if (!_voice.TryGetValue(speaking.User, out var seat) || !Sender.Equals(seat.ConnectedMixer)) return;
            if (seat.Speaking == speaking.Speaking) return;
            seat.Speaking = speaking.Speaking;
            Broadcast(new VoiceSpeaking(_id, seat.User, speaking.Speaking));
        });
        Command<MemberDisconnected>(disconnected =>
        {
            // Only a media session that ended on its own ends a membership; answers to our own requests do not.
            if (disconnected.Requested) return;
            if (!_voice.TryGetValue(disconnected.User, out var seat) || !Sender.Equals(seat.ConnectedMixer)) return;
            seat.ConnectedMixer = null;
            if (_retiring is not null && Sender.Equals(_retiring.Mixer)) return; // moving to the new mixer
            RemoveSeat(seat, "Your voice connection was lost: " + disconnected.Reason);
        });
        Command<MixerDraining>(draining =>
        {
            if (_mixer is null || !_mixer.Mixer.Equals(draining.Mixer)) return;
            // Make before break: members keep the old mixer until the new one is ready and they have joined it.
            _retiring = _mixer;
            _mixer = null;
            _avoidNode = draining.Node;
            _moveReason = "The voice server is restarting; moving to another one.";
            Timers.StartSingleTimer("retiring", new StopRetiringMixer(), _options.DrainHandover);
            if (_voice.Count == 0) StopRetiring();
            else EnsurePlacement();
        });
        Command<MediaNodeLost>(lost =>
        {
            if (_mixer is not null && _mixer.Node == lost.Node) MixerLost($"The voice server was lost ({lost.Reason}).");
            if (_retiring is not null && _retiring.Node == lost.Node) StopRetiring();
        });
        Command<StopIdleMixer>(_ =>
        {
            if (_voice.Count > 0 || _mixer is null) return;
            StopActiveMixer();
            UpdateIdleTimeout();
        });
        Command<StopRetiringMixer>(_ => StopRetiring());
        Command<RetryPlacement>(_ =>
        {
            if (_mixer is null && _voice.Count > 0) EnsurePlacement();
        });
        Command<ResumeExpired>(expired =>
        {
            if (_voice.TryGetValue(expired.User, out var seat) && seat.Session is null) RemoveSeat(seat, endedReason: null);
        });
    }

    private void Join(JoinVoice join)
    {
        if (_info!.Kind != ChannelKind.Voice)
        {
            Reject(ErrorCode.WrongChannelKind, $"'{_info.Name}' is a text channel.");
            return;
        }
        if (!JoinVoice.IsValidOffer(join.SdpOffer))
        {
            Reject(ErrorCode.InvalidArgument, JoinVoice.OfferRule);
            return;
        }
        var name = TextRules.NormalizeDisplayName(join.DisplayName, out var reason);
        if (name is null)
        {
            Reject(ErrorCode.InvalidArgument, reason);
            return;
        }
        if (!_voice.TryGetValue(join.User, out var seat))
        {
            if (_voice.Count >= _options.MaxVoiceMembers)
            {
                Reject(ErrorCode.VoiceFull, $"'{_info.Name}' has its maximum of {_options.MaxVoiceMembers} members.");
                return;
            }
            seat = new VoiceSeat(join.User, name);
            _voice[join.User] = seat;
            UpdateIdleTimeout();
        }
        seat.Name = name;
        BindSession(seat, join.Session);
        ApplyState(seat, join.Muted, join.Deafened);

        Timers.Cancel("mixer-idle");
        var pending = new PendingJoin(join, Sender, ++seat.Generation);
        if (_mixer is null)
        {
            _awaitingMixer.Add(pending);
            EnsurePlacement();
        }
        else
        {
            Connect(pending, _mixer);
        }
    }

    private void Resume(ResumeVoice resume)
    {
        if (!_voice.TryGetValue(resume.User, out var seat) || !seat.Announced)
        {
            Reject(ErrorCode.NotInVoice, "You are not in this voice channel; join it again.");
            return;
        }
        BindSession(seat, resume.Session);
        Sender.Tell(new VoiceJoined(_id, null, VoiceList()));
        // The room moved while this member's signalling was away: its media session is on a mixer that is gone.
        if (_mixer is not null && !_mixer.Mixer.Equals(seat.ConnectedMixer))
            resume.Session.Tell(new VoiceReconnectRequired(_id, "The voice server changed while you were reconnecting."));
    }

    private void SetState(SetVoiceState state)
    {
        if (!_voice.TryGetValue(state.User, out var seat) || !seat.Announced)
        {
            Reject(ErrorCode.NotInVoice, "You are not in this voice channel.");
            return;
        }
        ApplyState(seat, state.Muted, state.Deafened);
        Sender.Tell(new VoiceAck(_id));
    }

    private void ApplyState(VoiceSeat seat, bool muted, bool deafened)
    {
        if (seat.Muted == muted && seat.Deafened == deafened) return;
        seat.Muted = muted;
        seat.Deafened = deafened;
        seat.ConnectedMixer?.Tell(new UpdateMember(_id, seat.User, muted, deafened));
        if (seat.Announced) Broadcast(new VoiceMemberUpdated(_id, seat.ToMember()));
    }

    private void SetVolume(SetMemberVolume request)
    {
        if (!_voice.TryGetValue(request.User, out var seat) || !seat.Announced)
        {
            Reject(ErrorCode.NotInVoice, "You are not in this voice channel.");
            return;
        }
        if (request.Target == request.User || !SetMemberVolume.IsValidVolume(request.Volume))
        {
            Reject(ErrorCode.InvalidArgument, $"The volume of another member is 0 to {SetMemberVolume.MaxVolume}.");
            return;
        }
        if (!seat.Volumes.ContainsKey(request.Target) && seat.Volumes.Count >= _options.MaxVoiceMembers)
        {
            Reject(ErrorCode.InvalidArgument, $"At most {_options.MaxVoiceMembers} members can have their own volume.");
            return;
        }
        if (request.Volume == 1f) seat.Volumes.Remove(request.Target);
        else seat.Volumes[request.Target] = request.Volume;
        seat.ConnectedMixer?.Tell(new SetMixVolume(_id, seat.User, request.Target, request.Volume));
        Sender.Tell(new VoiceAck(_id));
    }

    private void BindSession(VoiceSeat seat, IActorRef session)
    {
        if (session.Equals(seat.Session)) return;
        var previous = seat.Session;
        seat.Session = session;
        Context.Watch(session);
        Timers.Cancel(("resume", seat.User));
        if (previous is not null)
        {
            previous.Tell(new VoiceEnded(_id, "You joined this voice channel from another connection."));
            UnwatchIfUnused(previous);
        }
    }

    private void Connect(PendingJoin pending, ActiveMixer mixer)
    {
        var join = pending.Join;
        var target = mixer.Mixer;
        target.Ask<object>(new ConnectMember(_id, join.User, join.SdpOffer, join.Muted, join.Deafened), _options.MediaTimeout)
            .PipeTo(Self,
                success: reply => new ConnectResult(pending, target, reply),
                failure: e => new ConnectResult(pending, target,
                    new CommandRejected(ErrorCode.Unavailable, "The voice server did not answer in time; try again.")));
    }

    private void OnConnectResult(ConnectResult result)
    {
        var user = result.Pending.Join.User;
        if (!_voice.TryGetValue(user, out var seat) || seat.Generation != result.Pending.Generation)
        {
            result.Pending.ReplyTo.Tell(new CommandRejected(ErrorCode.Unavailable, "A newer voice join or a leave replaced this one."));
            if (seat is null && result.Reply is MemberConnected) result.Mixer.Tell(new DisconnectMember(_id, user));
            return;
        }
        if (_mixer is null || !_mixer.Mixer.Equals(result.Mixer))
        {
            // The mixer changed while the offer was on its way: answer it from the current one.
            if (result.Reply is MemberConnected) result.Mixer.Tell(new DisconnectMember(_id, user));
            if (_mixer is null)
            {
                _awaitingMixer.Add(result.Pending);
                EnsurePlacement();
            }
            else
            {
                Connect(result.Pending, _mixer);
            }
            return;
        }

        switch (result.Reply)
        {
            case MemberConnected connected:
                seat.ConnectedMixer = result.Mixer;
                seat.Speaking = false;
                // The mixer's state may lag behind changes made while the offer was on its way.
                result.Mixer.Tell(new UpdateMember(_id, user, seat.Muted, seat.Deafened));
                foreach (var (target, volume) in seat.Volumes)
                    result.Mixer.Tell(new SetMixVolume(_id, user, target, volume));
                foreach (var other in _voice.Values)
                {
                    if (other.Volumes.TryGetValue(user, out var volume))
                        result.Mixer.Tell(new SetMixVolume(_id, other.User, user, volume));
                }
                if (!seat.Announced)
                {
                    seat.Announced = true;
                    Broadcast(new VoiceMemberJoined(_id, seat.ToMember()));
                }
                result.Pending.ReplyTo.Tell(new VoiceJoined(_id, connected.SdpAnswer, VoiceList()));
                if (_retiring is not null && _voice.Values.All(s => _mixer.Mixer.Equals(s.ConnectedMixer))) StopRetiring();
                break;
            case CommandRejected rejected:
                result.Pending.ReplyTo.Tell(rejected);
                if (!seat.Announced) RemoveSeat(seat, endedReason: null);
                break;
            default:
                result.Pending.ReplyTo.Tell(new CommandRejected(ErrorCode.Unavailable, "The voice server gave an unexpected answer."));
                if (!seat.Announced) RemoveSeat(seat, endedReason: null);
                break;
        }
    }

    private void EnsurePlacement()
    {
        if (_placing) return;
        _placing = true;
        _placement.Ask<object>(new PlaceMixer(_id, _avoidNode, Self), _options.MediaTimeout + _options.MediaTimeout)
            .PipeTo(Self,
                success: reply => new PlacementResult(reply),
                failure: _ => new PlacementResult(new CommandRejected(ErrorCode.Unavailable, "No voice server answered in time; try again.")));
    }

    private void OnPlacementResult(PlacementResult result)
    {
        _placing = false;
        var waiting = _awaitingMixer.ToList();
        _awaitingMixer.Clear();

        if (result.Reply is not MixerReady ready)
        {
            var rejected = result.Reply as CommandRejected
                ?? new CommandRejected(ErrorCode.Unavailable, "No voice server is available right now.");
            _log.Warning("Channel {0}: no mixer placed: {1}", _id, rejected.Reason);
            foreach (var pending in waiting)
            {
                pending.ReplyTo.Tell(rejected);
                if (_voice.TryGetValue(pending.Join.User, out var seat) && !seat.Announced && seat.Generation == pending.Generation)
                    RemoveSeat(seat, endedReason: null);
            }
            // Members whose mixer was lost wait for a new one; keep trying.
            if (_voice.Count > 0) Timers.StartSingleTimer("placement-retry", new RetryPlacement(), TimeSpan.FromSeconds(1));
            return;
        }

        if (_voice.Count == 0)
        {
            ready.Mixer.Tell(new StopMixer(_id));
            UpdateIdleTimeout();
            return;
        }
        _mixer = new ActiveMixer(ready.Mixer, ready.Node);
        _avoidNode = null;
        Context.Watch(ready.Mixer);
        UpdateNodeWatch();
        _log.Info("Channel {0}: mixer on {1}", _id, ready.Node);

        var joining = new HashSet<UserId>();
        foreach (var pending in waiting)
        {
            joining.Add(pending.Join.User);
            Connect(pending, _mixer);
        }
        // Everyone else is on a mixer that is gone or going: ask them to join the new one.
        foreach (var seat in _voice.Values)
        {
            if (joining.Contains(seat.User) || _mixer.Mixer.Equals(seat.ConnectedMixer)) continue;
            seat.Session?.Tell(new VoiceReconnectRequired(_id, _moveReason));
        }
    }

    private void MixerLost(string reason)
    {
        var lost = _mixer!;
        _mixer = null;
        Context.Unwatch(lost.Mixer);
        _avoidNode = lost.Node;
        _moveReason = reason;
        _log.Warning("Channel {0}: mixer on {1} lost; placing a new one", _id, lost.Node);
        foreach (var seat in _voice.Values)
        {
            if (lost.Mixer.Equals(seat.ConnectedMixer)) seat.ConnectedMixer = null;
            if (seat.Speaking)
            {
                seat.Speaking = false;
                Broadcast(new VoiceSpeaking(_id, seat.User, false));
            }
        }
        if (_voice.Count > 0) EnsurePlacement();
        UpdateNodeWatch();
    }

    private void StopRetiring()
    {
        Timers.Cancel("retiring");
        if (_retiring is null) return;
        Context.Unwatch(_retiring.Mixer);
        _retiring.Mixer.Tell(new StopMixer(_id));
        DetachSeatsFrom(_retiring.Mixer);
        _retiring = null;
        UpdateNodeWatch();
    }

    /// <summary>Handles the end of a watched actor if it belongs to voice: the mixer, the retiring mixer, a member's session.</summary>
    private void VoiceTerminated(IActorRef actor)
    {
        if (_mixer is not null && _mixer.Mixer.Equals(actor))
        {
            MixerLost("The voice server stopped.");
            return;
        }
        if (_retiring is not null && _retiring.Mixer.Equals(actor))
        {
            DetachSeatsFrom(actor);
            _retiring = null;
            UpdateNodeWatch();
            return;
        }
        foreach (var seat in _voice.Values)
        {
            if (!actor.Equals(seat.Session)) continue;
            // The connection is gone but the media may well go on (a gateway was lost): keep the membership for
            // the client to resume from another connection, for a while.
            seat.Session = null;
            Timers.StartSingleTimer(("resume", seat.User), new ResumeExpired(seat.User), _options.ResumeGrace);
        }
    }

    private void DetachSeatsFrom(IActorRef mixer)
    {
        foreach (var seat in _voice.Values)
        {
            if (mixer.Equals(seat.ConnectedMixer)) seat.ConnectedMixer = null;
        }
    }

    private void RemoveSeat(VoiceSeat seat, string? endedReason)
    {
        _voice.Remove(seat.User);
        Timers.Cancel(("resume", seat.User));
        seat.ConnectedMixer?.Tell(new DisconnectMember(_id, seat.User));
        if (seat.Announced) Broadcast(new VoiceMemberLeft(_id, seat.User));
        if (seat.Session is not null)
        {
            if (endedReason is not null) seat.Session.Tell(new VoiceEnded(_id, endedReason));
            var session = seat.Session;
            seat.Session = null;
            UnwatchIfUnused(session);
        }
        foreach (var other in _voice.Values) other.Volumes.Remove(seat.User);
        if (_voice.Count == 0)
        {
            Timers.Cancel("placement-retry");
            if (_mixer is not null) Timers.StartSingleTimer("mixer-idle", new StopIdleMixer(), _options.MixerIdleGrace);
            if (_retiring is not null) StopRetiring();
        }
        UpdateIdleTimeout();
    }

    /// <summary>Ends every voice membership and stops the mixers (the channel was deleted).</summary>
    private void EndVoice(string reason)
    {
        foreach (var seat in _voice.Values.ToList()) RemoveSeat(seat, reason);
        foreach (var pending in _awaitingMixer) pending.ReplyTo.Tell(new CommandRejected(ErrorCode.UnknownChannel, reason));
        _awaitingMixer.Clear();
        StopActiveMixer();
        StopRetiring();
    }

    /// <summary>Stops the room's mixer, if it has one, and stops watching media nodes once no mixer is left.</summary>
    private void StopActiveMixer()
    {
        if (_mixer is null) return;
        Context.Unwatch(_mixer.Mixer);
        _mixer.Mixer.Tell(new StopMixer(_id));
        _mixer = null;
        UpdateNodeWatch();
    }

    private void UnwatchIfUnused(IActorRef actor)
    {
        if (_subscribers.ContainsKey(actor)) return;
        foreach (var seat in _voice.Values)
        {
            if (actor.Equals(seat.Session)) return;
        }
        Context.Unwatch(actor);
    }

    private void UpdateNodeWatch()
    {
        var wanted = _mixer is not null || _retiring is not null;
        if (wanted == _watchingNodes) return;
        _watchingNodes = wanted;
        if (wanted) Context.System.EventStream.Subscribe(Self, typeof(MediaNodeLost));
        else Context.System.EventStream.Unsubscribe(Self, typeof(MediaNodeLost));
    }

    private List<VoiceMember> VoiceList() =>
        _voice.Values.Where(s => s.Announced).Select(s => s.ToMember())
            .OrderBy(m => m.DisplayName, StringComparer.OrdinalIgnoreCase).ToList();

    private bool HasVoice => _voice.Count > 0 || _mixer is not null || _retiring is not null || _placing;
}

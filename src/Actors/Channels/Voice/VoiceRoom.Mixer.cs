using Akka.Actor;
using Akka.Event;
using OpenChat.Protocol;
using OpenChat.Protocol.Commands;
using OpenChat.Protocol.Ids;
using OpenChat.Protocol.Media;
using OpenChat.Protocol.Voice;

namespace OpenChat.Channels.Voice;

/// <summary>
/// The lifecycle of the room's mixer. It is placed on the first join, death-watched, replaced elsewhere when it or
/// its node is lost, handed over when its node drains, and stopped after a grace period once the room is empty.
/// Members learn of a move through <see cref="VoiceReconnectRequired"/>, sent once the new mixer is ready, and join
/// again with a fresh offer.
/// </summary>
public sealed partial class VoiceRoom
{
    /// <summary>How long a room whose members have no mixer waits before it asks placement again.</summary>
    public static readonly TimeSpan PlacementRetryDelay = TimeSpan.FromSeconds(1);

    /// <summary>The answer to a join whose mixer did not answer its offer in time.</summary>
    public static readonly CommandRejected ConnectTimedOut = new(ErrorCode.Unavailable, "The voice server did not answer in time; try again.");

    /// <summary>The answer to joins waiting for a placement that did not answer in time.</summary>
    public static readonly CommandRejected PlacementTimedOut = new(ErrorCode.Unavailable, "No voice server answered in time; try again.");

    private const string DrainReason = "The voice server is restarting; moving to another one.";

    private long _placements;

    public MixerLease Lease { get; private set; } = new MixerLease.None(MixerMove.First, null);

    public IReadOnlyList<VoiceEffect> PlacementAnswered(PlacementAnswered answer) => Decide(() =>
    {
        if (Lease is not MixerLease.Placing placing || placing.Request != answer.Request)
        {
            // Nothing waits for this one any more; a mixer it brought would run for nobody.
            if (answer.Reply is MixerReady stale) Tell(stale.Mixer, new StopMixer(channel));
            return;
        }
        Lease = new MixerLease.None(placing.Move, placing.Draining);

        if (answer.Reply is not MixerReady ready)
        {
            var rejected = answer.Reply as CommandRejected
                ?? new CommandRejected(ErrorCode.Unavailable, "No voice server is available right now.");
            Emit(new VoiceEffect.Log(LogLevel.WarningLevel, "no mixer placed: " + rejected.Reason));
            foreach (var pending in placing.Joins)
            {
                Tell(pending.ReplyTo, rejected);
                if (_seats.TryGetValue(pending.Join.User, out var seat) && !seat.Announced && seat.Generation == pending.Generation)
                    RemoveSeat(seat, endedReason: null);
            }
            // Members whose mixer was lost wait for a new one; keep trying.
            if (_seats.Count > 0) Emit(new VoiceEffect.StartTimer(new VoiceTimer.PlacementRetry(), PlacementRetryDelay));
            return;
        }

        if (_seats.Count == 0)
        {
            Tell(ready.Mixer, new StopMixer(channel));
            return;
        }
        Lease = Lease.Placed(new RoomMixer(ready.Mixer, ready.Node));
        Emit(new VoiceEffect.Watch(ready.Mixer));
        Emit(new VoiceEffect.Log(LogLevel.InfoLevel, "mixer on " + ready.Node));

        var joining = new HashSet<UserId>();
        foreach (var pending in placing.Joins)
        {
            joining.Add(pending.Join.User);
            Connect(pending, ready.Mixer);
        }
        // Everyone else is on a mixer that is gone or going: ask them to join the new one.
        foreach (var seat in _seats.Values)
        {
            if (joining.Contains(seat.User) || ready.Mixer.Equals(seat.ConnectedMixer)) continue;
            if (seat.Session is { } session) Tell(session, new VoiceReconnectRequired(channel, placing.Move.Reason));
        }
    });

    public IReadOnlyList<VoiceEffect> ConnectAnswered(ConnectAnswered answer) => Decide(() =>
    {
        var pending = answer.Pending;
        var user = pending.Join.User;
        if (!_seats.TryGetValue(user, out var seat) || seat.Generation != pending.Generation)
        {
            Reject(pending.ReplyTo, ErrorCode.Unavailable, "A newer voice join or a leave replaced this one.");
            if (seat is null && answer.Reply is MemberConnected) Tell(answer.Mixer, new DisconnectMember(channel, user));
            return;
        }
        if (!answer.Mixer.Equals(Lease.Current?.Ref))
        {
            // The mixer changed while the offer was on its way: answer it from the current one.
            if (answer.Reply is MemberConnected) Tell(answer.Mixer, new DisconnectMember(channel, user));
            if (Lease.Current is { } current) Connect(pending, current.Ref);
            else AwaitMixer(pending);
            return;
        }

        switch (answer.Reply)
        {
            case MemberConnected connected:
                Connected(seat, answer.Mixer);
                Tell(pending.ReplyTo, new VoiceJoined(channel, connected.SdpAnswer, Members));
                break;
            case CommandRejected rejected:
                Tell(pending.ReplyTo, rejected);
                if (!seat.Announced) RemoveSeat(seat, endedReason: null);
                break;
            default:
                Reject(pending.ReplyTo, ErrorCode.Unavailable, "The voice server gave an unexpected answer.");
                if (!seat.Announced) RemoveSeat(seat, endedReason: null);
                break;
        }
    });

    /// <summary>
    /// Ends a handover once every member's media has connected to the new mixer: until then a member still on the
    /// draining one hears the room there, and its room-mates that have moved still send their voice there too (a
    /// client keeps its old connection until the new one is up).
    /// </summary>
    private void FinishHandoverWhenConnected()
    {
        if (Lease is MixerLease.HandingOver handover && _seats.Values.All(s => s.MediaConnected && handover.Mixer.Ref.Equals(s.ConnectedMixer)))
            StopRetiring();
    }

    /// <summary>A mixer's node is shutting down. Make before break: members keep it until the new one is ready and their media has connected to it.</summary>
    public IReadOnlyList<VoiceEffect> MixerDraining(MixerDraining draining) => Decide(() =>
    {
        if (Lease.Current is not { } current || !current.Ref.Equals(draining.Mixer)) return;
        // A mixer still draining before this one goes now: the room hands over from one mixer at a time.
        if (Lease.Retiring is not null) StopRetiring();
        Lease = new MixerLease.None(new MixerMove(draining.Node, DrainReason), current);
        Emit(new VoiceEffect.StartTimer(new VoiceTimer.Handover(), options.DrainHandover));
        if (_seats.Count == 0) StopRetiring();
        else AwaitMixer(null);
    });

    /// <summary>A media node was lost (its connection closed, it became unreachable or left): a mixer there is gone.</summary>
    public IReadOnlyList<VoiceEffect> MediaNodeLost(MediaNodeLost lost) => Decide(() =>
    {
        if (Lease.Current is { } current && current.Node == lost.Node) MixerLost($"The voice server was lost ({lost.Reason}).", terminated: false);
        if (Lease.Retiring is { } retiring && retiring.Node == lost.Node) StopRetiring();
    });

    /// <summary>
    /// The member's offer was accepted: the mixer gets the state and volumes it may lack. The member is counted and
    /// announced once its media connects (<see cref="MemberMediaConnected"/>), and loses the seat if that takes longer
    /// than <see cref="ChannelOptions.UnconnectedSeatExpiry"/>.
    /// </summary>
    private void Connected(VoiceSeat seat, IActorRef mixer)
    {
        var user = seat.User;
        seat.ConnectedMixer = mixer;
        seat.Speaking = false;
        seat.MediaConnected = false;
        seat.Path = null;
        // The mixer's state may lag behind changes made while the offer was on its way.
        Tell(mixer, new UpdateMember(channel, user, seat.MixedMuted, seat.MixedDeafened));
        foreach (var (target, volume) in seat.Volumes)
            Tell(mixer, new SetMixVolume(channel, user, target, volume));
        foreach (var other in _seats.Values)
        {
            if (other.Volumes.TryGetValue(user, out var volume))
                Tell(mixer, new SetMixVolume(channel, other.User, user, volume));
        }
        Emit(new VoiceEffect.StartTimer(new VoiceTimer.Unconnected(user, seat.Generation), options.UnconnectedSeatExpiry));
    }

    private void Connect(PendingJoin pending, IActorRef mixer)
    {
        var join = pending.Join;
        Emit(new VoiceEffect.RequestConnect(pending, mixer, new ConnectMember(channel, join.User, join.SdpOffer, join.Muted || join.Suppressed, join.Deafened || join.ServerDeafened, join.TraceParent)));
    }

    /// <summary>Queues a join (if any) for the next mixer, asking placement for one unless a request is under way.</summary>
    private void AwaitMixer(PendingJoin? pending)
    {
        switch (Lease)
        {
            case MixerLease.Placing placing:
                if (pending is not null) Lease = placing with { Joins = placing.Joins.Add(pending) };
                break;
            case MixerLease.None none:
                Lease = new MixerLease.Placing(++_placements, none.Next, pending is null ? [] : [pending], none.Draining);
                Emit(new VoiceEffect.RequestPlacement(_placements, none.Next.AvoidNode, pending?.Join.TraceParent));
                break;
        }
    }

    private void MixerLost(string reason, bool terminated)
    {
        var lost = Lease.Current!;
        Lease = Lease.Vacated(new MixerMove(lost.Node, reason));
        // A terminated actor is no longer watched.
        if (!terminated) Emit(new VoiceEffect.Unwatch(lost.Ref));
        Emit(new VoiceEffect.Log(LogLevel.WarningLevel, $"mixer on {lost.Node} lost; placing a new one"));
        foreach (var seat in _seats.Values)
        {
            if (lost.Ref.Equals(seat.ConnectedMixer)) seat.ConnectedMixer = null;
            if (seat.Speaking)
            {
                seat.Speaking = false;
                Emit(new VoiceEffect.Broadcast(new VoiceSpeaking(channel, seat.User, false)));
            }
        }
        if (_seats.Count > 0) AwaitMixer(null);
    }

    private void StopCurrentMixer()
    {
        if (Lease.Current is not { } mixer) return;
        Emit(new VoiceEffect.Unwatch(mixer.Ref));
        Tell(mixer.Ref, new StopMixer(channel));
        Lease = Lease.Vacated(MixerMove.First);
    }

    private void StopRetiring()
    {
        Emit(new VoiceEffect.CancelTimer(new VoiceTimer.Handover()));
        if (Lease.Retiring is not { } retiring) return;
        Emit(new VoiceEffect.Unwatch(retiring.Ref));
        Tell(retiring.Ref, new StopMixer(channel));
        DetachSeatsFrom(retiring.Ref);
        Lease = Lease.WithoutRetiring();
    }
}

using System.Collections.Immutable;
using Akka.Actor;
using OpenChat.Protocol.Voice;

namespace OpenChat.Channels.Voice;

/// <summary>A room's mixer and the media node it runs on.</summary>
public sealed record RoomMixer(IActorRef Ref, string Node);

/// <summary>
/// What the next placement is for: the node to avoid (one that was just lost or is draining) and the reason the
/// members are given when they must move to the new mixer. A room's first mixer avoids nothing.
/// </summary>
public sealed record MixerMove(string? AvoidNode, string Reason)
{
    public static readonly MixerMove First = new(null, "");
}

/// <summary>A join whose offer waits for the room's mixer; <paramref name="Generation"/> tells it from a later join of the same member.</summary>
public sealed record PendingJoin(JoinVoice Join, IActorRef ReplyTo, long Generation);

/// <summary>
/// Where a voice room stands with its mixer. A draining mixer (<see cref="Retiring"/>) keeps carrying the members
/// that have not moved yet while its successor is placed (<see cref="Placing"/>), while placement is retried after a
/// failure (<see cref="None"/>), and once the successor runs (<see cref="HandingOver"/>), until every member's media
/// has connected to the successor or the handover time is up.
/// </summary>
public abstract record MixerLease
{
    private MixerLease()
    {
    }

    /// <summary>The mixer members connect to, if the room has one.</summary>
    public RoomMixer? Current => this switch
    {
        Active active => active.Mixer,
        HandingOver handover => handover.Mixer,
        _ => null,
    };

    /// <summary>The draining mixer the members are leaving, if any.</summary>
    public RoomMixer? Retiring => this switch
    {
        None none => none.Draining,
        Placing placing => placing.Draining,
        HandingOver handover => handover.Draining,
        _ => null,
    };

    /// <summary>True while a mixer runs for the room: the room follows the media nodes' fate.</summary>
    public bool HoldsMixer => Current is not null || Retiring is not null;

    /// <summary>The lease once the current mixer is gone: the next one is placed for <paramref name="next"/>.</summary>
    public MixerLease Vacated(MixerMove next) => new None(next, Retiring);

    /// <summary>The lease once a placement brought <paramref name="mixer"/>.</summary>
    public MixerLease Placed(RoomMixer mixer) => Retiring is { } retiring ? new HandingOver(mixer, retiring) : new Active(mixer);

    /// <summary>The lease once the draining mixer is gone.</summary>
    public MixerLease WithoutRetiring() => this switch
    {
        None none => none with { Draining = null },
        Placing placing => placing with { Draining = null },
        HandingOver handover => new Active(handover.Mixer),
        _ => this,
    };

    /// <summary>No mixer and none asked for: the room is empty, or placement failed and is retried.</summary>
    public sealed record None(MixerMove Next, RoomMixer? Draining) : MixerLease;

    /// <summary>Placement request <paramref name="Request"/> is under way; <paramref name="Joins"/> wait for its mixer.</summary>
    public sealed record Placing(long Request, MixerMove Move, ImmutableList<PendingJoin> Joins, RoomMixer? Draining) : MixerLease;

    /// <summary>The room's mixer runs and carries every connected member.</summary>
    public sealed record Active(RoomMixer Mixer) : MixerLease;

    /// <summary>The new mixer runs; members still on the draining one are moving to it.</summary>
    public sealed record HandingOver(RoomMixer Mixer, RoomMixer Draining) : MixerLease;
}

using Akka.Actor;
using Akka.Event;
using OpenChat.Protocol.Ids;
using OpenChat.Protocol.Media;

namespace OpenChat.Channels.Voice;

/// <summary>What a <see cref="VoiceRoom"/> decided should happen; the channel actor carries the effects out in order.</summary>
public abstract record VoiceEffect
{
    private VoiceEffect()
    {
    }

    /// <summary>A message to one actor: an answer, a member's session, a mixer.</summary>
    public sealed record Tell(IActorRef To, object Message) : VoiceEffect;

    /// <summary>A message to every subscriber of the channel.</summary>
    public sealed record Broadcast(object Message) : VoiceEffect;

    /// <summary>Asks placement for a mixer away from <paramref name="AvoidNode"/>; the answer comes back as <see cref="PlacementAnswered"/>.</summary>
    public sealed record RequestPlacement(long Request, string? AvoidNode, string? TraceParent = null) : VoiceEffect;

    /// <summary>Sends a member's offer to a mixer; the answer comes back as <see cref="ConnectAnswered"/>.</summary>
    public sealed record RequestConnect(PendingJoin Pending, IActorRef Mixer, ConnectMember Message) : VoiceEffect;

    /// <summary>Death-watches a mixer or a member's session.</summary>
    public sealed record Watch(IActorRef Actor) : VoiceEffect;

    /// <summary>The room no longer needs <paramref name="Actor"/> watched (the channel still does if it is a subscriber).</summary>
    public sealed record Unwatch(IActorRef Actor) : VoiceEffect;

    /// <summary>Starts (or restarts) a timer; when it fires, the timer itself goes back to <see cref="VoiceRoom.TimerFired"/>.</summary>
    public sealed record StartTimer(VoiceTimer Timer, TimeSpan Delay) : VoiceEffect;

    public sealed record CancelTimer(VoiceTimer Timer) : VoiceEffect;

    /// <summary>Starts or stops following <see cref="MediaNodeLost"/>: on while the room holds a mixer.</summary>
    public sealed record FollowMediaNodes(bool On) : VoiceEffect;

    public sealed record Log(LogLevel Level, string Message) : VoiceEffect;
}

/// <summary>A voice room's timers; each is its own key and message.</summary>
public abstract record VoiceTimer
{
    private VoiceTimer()
    {
    }

    /// <summary>Stops the mixer of a room that stayed empty.</summary>
    public sealed record MixerIdle : VoiceTimer;

    /// <summary>Stops a draining mixer whose members did not all move in time.</summary>
    public sealed record Handover : VoiceTimer;

    /// <summary>Places a mixer again for members left without one.</summary>
    public sealed record PlacementRetry : VoiceTimer;

    /// <summary>Ends a membership whose connection was lost and not resumed.</summary>
    public sealed record Resume(UserId User) : VoiceTimer;

    /// <summary>The media of join <paramref name="Generation"/> of <paramref name="User"/> should have connected by now.</summary>
    public sealed record Unconnected(UserId User, long Generation) : VoiceTimer;
}

/// <summary>Placement's answer to <see cref="VoiceEffect.RequestPlacement"/>: a <see cref="MixerReady"/> or a refusal.</summary>
public sealed record PlacementAnswered(long Request, object Reply);

/// <summary>A mixer's answer to <see cref="VoiceEffect.RequestConnect"/>: a <see cref="MemberConnected"/> or a refusal.</summary>
public sealed record ConnectAnswered(PendingJoin Pending, IActorRef Mixer, object Reply);

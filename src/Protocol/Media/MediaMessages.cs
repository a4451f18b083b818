using Akka.Actor;
using OpenChat.Protocol.Ids;

namespace OpenChat.Protocol.Media;

/// <summary>
/// What a media node publishes about itself about once a second (Akka.DistributedData, key <see cref="MediaLoad.Key"/>).
/// Placement reads it; <paramref name="ReportedAt"/> lets readers ignore nodes that stopped reporting.
/// <paramref name="InboundLossPercent"/> is the share of the packets members sent since the previous report that never
/// arrived (a report from an older node has none, and reads 0).
/// </summary>
public sealed record MediaNodeLoad(
    string Node,
    IActorRef Manager,
    int Rooms,
    int Members,
    double EncodesPerSecond,
    double MixCpuPercent,
    double TickP99Ms,
    long LateTicks,
    bool Draining,
    int MaxMembers,
    DateTimeOffset ReportedAt,
    double InboundLossPercent = 0) : IProtocolMessage;

/// <summary>
/// Asks a media node's mixer manager for the mixer of a room, creating it if needed. <paramref name="Owner"/> is the
/// channel entity: the mixer reports speaking, lost members and draining to it, and stops when it is gone.
/// Answered with <see cref="MixerReady"/>.
/// </summary>
public sealed record CreateMixer(ChannelId Room, IActorRef Owner, string? TraceParent = null) : IProtocolMessage;

/// <summary>A room's mixer and the node it runs on.</summary>
public sealed record MixerReady(ChannelId Room, IActorRef Mixer, string Node) : IProtocolMessage;

/// <summary>
/// Stops a room's mixer, sent to the manager or to the mixer itself. Answered with <see cref="MixerStopped"/>
/// (also when there was none).
/// </summary>
public sealed record StopMixer(ChannelId Room) : IProtocolMessage;

/// <summary>A room's mixer is gone.</summary>
public sealed record MixerStopped(ChannelId Room) : IProtocolMessage;

/// <summary>Asks a mixer manager which rooms it runs.</summary>
public sealed record GetMixers : IProtocolMessage
{
    public static readonly GetMixers Instance = new();
}

/// <summary>The rooms a media node runs.</summary>
public sealed record MixerList(string Node, IReadOnlyList<ChannelId> Rooms) : IProtocolMessage;

/// <summary>
/// Asks the placement actor of a channels node for a new mixer for a room, on the least loaded media node other
/// than <paramref name="AvoidNode"/> (a node just lost). Answered with <see cref="MixerReady"/> or
/// <see cref="Commands.CommandRejected"/> (<see cref="ErrorCode.Unavailable"/>).
/// </summary>
public sealed record PlaceMixer(ChannelId Room, string? AvoidNode, IActorRef Owner, string? TraceParent = null) : IProtocolMessage;

/// <summary>
/// Connects a member's browser to a room mixer: the mixer accepts the WebRTC offer and answers. A member already
/// connected is replaced (a renegotiation). Answered with <see cref="MemberConnected"/> or
/// <see cref="Commands.CommandRejected"/> (an offer the node cannot serve, with the reason).
/// </summary>
public sealed record ConnectMember(ChannelId Room, UserId User, string SdpOffer, bool Muted, bool Deafened, string? TraceParent = null) : IProtocolMessage;

/// <summary>The mixer's SDP answer for a member.</summary>
public sealed record MemberConnected(ChannelId Room, UserId User, string SdpAnswer) : IProtocolMessage;

/// <summary>Removes a member from a room mixer and closes its media session. Answered with <see cref="MemberDisconnected"/>.</summary>
public sealed record DisconnectMember(ChannelId Room, UserId User) : IProtocolMessage;

/// <summary>
/// A member's media session ended: on request (<paramref name="Requested"/>, the answer to <see cref="DisconnectMember"/>),
/// or on its own because the browser went silent (consent expired), told to the room's owner.
/// </summary>
public sealed record MemberDisconnected(ChannelId Room, UserId User, string Reason, bool Requested) : IProtocolMessage;

/// <summary>Sets a connected member's mute and deafen state in the room's mix.</summary>
public sealed record UpdateMember(ChannelId Room, UserId User, bool Muted, bool Deafened) : IProtocolMessage;

/// <summary>Sets how loud <paramref name="Talker"/> is in <paramref name="Listener"/>'s mix (0 to 2).</summary>
public sealed record SetMixVolume(ChannelId Room, UserId Listener, UserId Talker, float Volume) : IProtocolMessage;

/// <summary>
/// Mixer to owner: the member's media session connected (ICE and DTLS completed). Until then the member holds a
/// seat but is not counted or announced: an SDP offer alone costs nothing to send. <paramref name="Path"/> is how the
/// media reaches the node (null from nodes that do not tell).
/// </summary>
public sealed record MemberMediaConnected(ChannelId Room, UserId User, MediaPath? Path = null) : IProtocolMessage;

/// <summary>
/// How a member's media reaches its media node: straight over UDP, straight over TCP (the node's ICE-TCP port), or
/// through a TURN relay (from a relay address the node knows).
/// </summary>
public enum MediaPath
{
    Udp,
    Tcp,
    Relay,
}

/// <summary>
/// Owner to mixer, every few seconds: keep running for <paramref name="ValidFor"/> more. A mixer whose lease lapses
/// stops itself: its owner placed the room elsewhere while this node could not be reached, and nothing else would
/// stop it once the node is back.
/// </summary>
public sealed record RenewMixerLease(ChannelId Room, TimeSpan ValidFor) : IProtocolMessage;

/// <summary>Mixer to owner: a member started or stopped speaking.</summary>
public sealed record MemberSpeaking(ChannelId Room, UserId User, bool Speaking) : IProtocolMessage;

/// <summary>
/// Mixer to owner: its node is shutting down. The owner places a new mixer elsewhere, moves the members and then
/// stops this one; the node waits for that before it leaves the cluster.
/// </summary>
public sealed record MixerDraining(ChannelId Room, IActorRef Mixer, string Node) : IProtocolMessage;

/// <summary>
/// Published on a channels node's local event stream when a media node is lost: its transport association
/// closed, it became unreachable, or it left. Channel entities whose mixer ran there move their rooms at once
/// rather than waiting for the node to be removed from the cluster.
/// </summary>
public sealed record MediaNodeLost(string Node, string Reason);

using Akka.Actor;
using OpenChat.Protocol.Ids;
using OpenChat.Protocol.Media;

namespace OpenChat.Protocol.Voice;

/// <summary>
/// A member of a voice channel and what others see of them. <paramref name="Suppressed"/>: the member may not speak in
/// this channel, so the mixer mixes them as muted whatever they chose.
/// </summary>
/// <paramref name="ServerMuted"/>: a moderator muted the member (they are suppressed too); <paramref name="ServerDeafened"/>:
/// a moderator deafened the member; the mixer sends them nothing.
public sealed record VoiceMember(UserId User, string DisplayName, bool Muted, bool Deafened, bool Speaking, bool Suppressed = false, bool ServerDeafened = false,
    bool ServerMuted = false);

/// <summary>
/// Joins a voice channel, or renegotiates the media of a member already in it (after <see cref="VoiceReconnectRequired"/>).
/// <paramref name="Session"/> is the connection's session actor: it receives the channel's voice events and
/// <see cref="VoiceEnded"/> when another connection takes the membership over. Answered with <see cref="VoiceJoined"/>
/// (with the mixer's SDP answer) or <see cref="Commands.CommandRejected"/>. <paramref name="ClientAddress"/> is the
/// address the client connects from, as the gateway sees it (seats per address are capped); null when unknown.
/// <paramref name="TraceParent"/> is the W3C trace context of the join's trace, when it is traced.
/// </summary>
public sealed record JoinVoice(ChannelId Channel, UserId User, string DisplayName, IActorRef Session, string SdpOffer, bool Muted, bool Deafened, string? ClientAddress = null,
    string? TraceParent = null, bool Suppressed = false, bool ServerDeafened = false, bool ServerMuted = false) : IWithChannelId
{
    /// <summary>The longest SDP offer taken (a browser's is about 5,000 characters).</summary>
    public const int MaxOfferLength = 16 * 1024;

    public static readonly string OfferRule = $"An SDP offer of 1 to {MaxOfferLength} characters is required.";

    public static bool IsValidOffer(string? offer) => !string.IsNullOrWhiteSpace(offer) && offer.Length <= MaxOfferLength;
}

/// <summary>
/// Binds a new connection to a user's voice membership without touching its media session. Answered with
/// <see cref="VoiceJoined"/> (no SDP answer) or <see cref="Commands.CommandRejected"/> with <see cref="ErrorCode.NotInVoice"/>.
/// </summary>
public sealed record ResumeVoice(ChannelId Channel, UserId User, IActorRef Session) : IWithChannelId;

/// <summary>
/// Leaves a voice channel. With a <paramref name="Session"/>, only the membership held by that connection is
/// ended (a stale connection cannot end a newer one's). Answered with <see cref="VoiceLeft"/>.
/// </summary>
public sealed record LeaveVoice(ChannelId Channel, UserId User, IActorRef? Session) : IWithChannelId;

/// <summary>Sets a member's mute and deafen state. Answered with <see cref="VoiceAck"/> or <see cref="ErrorCode.NotInVoice"/>.</summary>
public sealed record SetVoiceState(ChannelId Channel, UserId User, bool Muted, bool Deafened) : IWithChannelId;

/// <summary>
/// Says whether a member may speak in the channel, and whether a moderator deafened them (the gateway sends it when the
/// member's permissions change). A suppressed member is mixed as muted and cannot unmute; a server-deafened one hears
/// nothing. Answered with <see cref="VoiceAck"/> or <see cref="ErrorCode.NotInVoice"/>.
/// </summary>
public sealed record SetVoiceSuppressed(ChannelId Channel, UserId User, bool Suppressed, bool ServerDeafened = false, bool ServerMuted = false) : IWithChannelId;

/// <summary>
/// A moderator ends a member's voice membership: disconnected, or moved to <paramref name="MovedTo"/> (their connection
/// is told <see cref="VoiceMoved"/> and joins there). Answered with <see cref="VoiceAck"/> or <see cref="ErrorCode.NotInVoice"/>.
/// </summary>
public sealed record EndVoiceMembership(ChannelId Channel, UserId User, string Reason, ChannelId? MovedTo = null) : IWithChannelId;

/// <summary>Sets how loud <paramref name="Target"/> is in <paramref name="User"/>'s own mix (0 to 2). Answered with <see cref="VoiceAck"/> or a rejection.</summary>
public sealed record SetMemberVolume(ChannelId Channel, UserId User, UserId Target, float Volume) : IWithChannelId
{
    public const float MaxVolume = 2f;

    public static bool IsValidVolume(double volume) => double.IsFinite(volume) && volume is >= 0 and <= MaxVolume;
}

/// <summary>A voice join or resume succeeded: the mixer's answer (null for a resume) and the channel's voice members.</summary>
public sealed record VoiceJoined(ChannelId Channel, string? SdpAnswer, IReadOnlyList<VoiceMember> Members) : IProtocolMessage;

/// <summary>The user is no longer in the voice channel.</summary>
public sealed record VoiceLeft(ChannelId Channel) : IProtocolMessage;

/// <summary>A voice command was applied.</summary>
public sealed record VoiceAck(ChannelId Channel) : IProtocolMessage;

/// <summary>Pushed to subscribers: a user joined the voice channel.</summary>
public sealed record VoiceMemberJoined(ChannelId Channel, VoiceMember Member) : IProtocolMessage;

/// <summary>Pushed to subscribers: a voice member's mute or deafen state changed.</summary>
public sealed record VoiceMemberUpdated(ChannelId Channel, VoiceMember Member) : IProtocolMessage;

/// <summary>Pushed to subscribers: a user left the voice channel.</summary>
public sealed record VoiceMemberLeft(ChannelId Channel, UserId User) : IProtocolMessage;

/// <summary>Pushed to subscribers: a voice member started or stopped speaking.</summary>
public sealed record VoiceSpeaking(ChannelId Channel, UserId User, bool Speaking) : IProtocolMessage;

/// <summary>Sent to a member's session: the room's mixer moved; make a new offer and join again.</summary>
public sealed record VoiceReconnectRequired(ChannelId Channel, string Reason) : IProtocolMessage;

/// <summary>Sent to a member's session: its voice membership ended without it asking.</summary>
public sealed record VoiceEnded(ChannelId Channel, string Reason) : IProtocolMessage;

/// <summary>A moderator moved the member from <paramref name="Channel"/> to <paramref name="To"/>: the client joins there.</summary>
public sealed record VoiceMoved(ChannelId Channel, ChannelId To, string Reason) : IProtocolMessage;

/// <summary>
/// Published on a user's topic by the session that just joined voice: every other session of that user gives
/// its voice membership up, so a user is in at most one voice channel.
/// </summary>
public sealed record VoiceTakenOver(ChannelId Channel, IActorRef Session) : IProtocolMessage;

/// <summary>Asks a channel for its voice state (operators' view). Answered with <see cref="VoiceStatus"/>.</summary>
public sealed record GetVoiceStatus(ChannelId Channel) : IWithChannelId;

/// <summary>
/// A voice channel's members and the media node its mixer runs on (null when it has none); <paramref name="Paths"/>:
/// how each member's media reaches it, for the members whose mixer told (operators' view only).
/// </summary>
public sealed record VoiceStatus(ChannelId Channel, string? Node, IReadOnlyList<VoiceMember> Members, IReadOnlyList<MemberMediaPath>? Paths = null) : IProtocolMessage;

/// <summary>How one member's media reaches the media node.</summary>
public sealed record MemberMediaPath(UserId User, MediaPath Path);

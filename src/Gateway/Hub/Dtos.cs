using OpenChat.Protocol;
using OpenChat.Protocol.Voice;
using OpenChat.Protocol.Permissions;

namespace OpenChat.Gateway.Hub;

/// <summary>
/// A channel as clients see it. <c>kind</c> is <c>text</c> or <c>voice</c>; <c>permissions</c> are the caller's in the
/// channel (wire names), null where the message does not say (an operator's view); <c>category</c> is the header it is
/// grouped under in the channel list (null: none).
/// </summary>
public sealed record ChannelDto(string Id, string Name, string Kind, int Position, string Topic, string[]? Permissions = null, string? Category = null)
{
    public static ChannelDto From(ChannelInfo c, Permission? permissions = null) =>
        new(c.Id.Value, c.Name, c.Kind == ChannelKind.Voice ? "voice" : "text", c.Position, c.Topic,
            permissions is { } p ? OpenChat.Protocol.Permissions.Permissions.ToNames(p) : null, c.Category);
}

/// <summary>
/// The caller's server-wide permissions (without channel overrides), whether they own the server, and the ids of the
/// roles they hold (without @everyone). While a moderator has them timed out, <c>TimedOutUntil</c> says until when (and
/// <c>TimeOutReason</c> why), and the permissions lack sendMessages, speak and connect.
/// </summary>
public sealed record PermissionsDto(string[] Server, bool Owner, string[] Roles, DateTimeOffset? TimedOutUntil = null, string? TimeOutReason = null)
{
    public static PermissionsDto From(Auth.Access access) =>
        new(OpenChat.Protocol.Permissions.Permissions.ToNames(access.Server), access.Owner,
            access.Model.RolesOf(access.User).Select(r => r.Id).ToArray(), access.TimedOut?.Until, access.TimedOut?.Reason);
}

/// <summary>A role. <c>everyone</c> is set for @everyone, which every member holds.</summary>
public sealed record RoleDto(string Id, string Name, int Position, string[] Permissions, string? Color, bool Everyone)
{
    public static RoleDto From(Role r) =>
        new(r.Id, r.Name, r.Position, OpenChat.Protocol.Permissions.Permissions.ToNames(r.Permissions), r.Color, r.IsEveryone);
}

/// <summary>A channel's override: <c>target</c> is <c>role</c> or <c>member</c>, <c>name</c> the role's or member's name.</summary>
public sealed record OverrideDto(string Target, string Id, string Name, string[] Allow, string[] Deny);

/// <summary>A registered member, the ids of the roles they hold (without @everyone), and until when they are timed out (null: they are not).</summary>
public sealed record MemberRolesDto(string UserId, string Name, string[] Roles, DateTimeOffset? TimedOutUntil = null);

/// <summary>
/// A stored message as it now reads; ids increase within a channel (not by one: edits and deletes take numbers too).
/// The message of a deleted account stays, shown as <see cref="DeletedAuthorName"/> with <c>AuthorDeleted</c> set.
/// <c>EditedAt</c> is set once edited; <c>ReplyTo</c> is the id of the message it answers; <c>Mentions</c> name the
/// users its <c>&lt;@userId&gt;</c> tokens refer to (empty when none).
/// </summary>
public sealed record MessageDto(long Id, string ChannelId, string AuthorId, string AuthorName, string Text, DateTimeOffset SentAt, bool AuthorDeleted = false,
    DateTimeOffset? EditedAt = null, long? ReplyTo = null, MentionDto[]? Mentions = null)
{
    public const string DeletedAuthorName = "Deleted user";

    public static MessageDto From(ChatMessage m, Auth.IdentityCache? identities)
    {
        var deleted = identities?.IsDeleted(m.Author) == true;
        return new(m.Id, m.Channel.Value, m.Author.Value, deleted ? DeletedAuthorName : m.AuthorName, m.Text, m.SentAt, deleted,
            m.EditedAt, m.ReplyTo, (m.Mentions ?? []).Select(x => new MentionDto(x.User.Value, x.Name)).ToArray());
    }
}

/// <summary>A user a message mentions, with their display name.</summary>
public sealed record MentionDto(string UserId, string Name);

/// <summary>A user who has a channel open.</summary>
public sealed record MemberDto(string UserId, string DisplayName)
{
    public static MemberDto From(PresenceMember m) => new(m.User.Value, m.DisplayName);
}

/// <summary>What opening a channel returns: settings, who is online, the newest messages (oldest first), and a voice channel's members.</summary>
public sealed record ChannelViewDto(ChannelDto Channel, MemberDto[] Online, MessageDto[] Messages, bool HasMore, VoiceMemberDto[] Voice);

/// <summary>
/// A member of a voice channel; <c>suppressed</c>: they may not speak there (or a moderator server-muted them), and the
/// mixer mixes them as muted; <c>serverMuted</c> and <c>serverDeafened</c>: a moderator muted or deafened them.
/// </summary>
public sealed record VoiceMemberDto(string UserId, string DisplayName, bool Muted, bool Deafened, bool Speaking, bool Suppressed = false, bool ServerDeafened = false,
    bool ServerMuted = false)
{
    public static VoiceMemberDto From(VoiceMember m) => new(m.User.Value, m.DisplayName, m.Muted, m.Deafened, m.Speaking, m.Suppressed, m.ServerDeafened, m.ServerMuted);
}

/// <summary>What joining (with the mixer's SDP answer) or resuming (without) a voice channel returns.</summary>
public sealed record VoiceJoinedDto(string ChannelId, string? SdpAnswer, VoiceMemberDto[] Members)
{
    public static VoiceJoinedDto From(VoiceJoined joined) =>
        new(joined.Channel.Value, joined.SdpAnswer, joined.Members.Select(VoiceMemberDto.From).ToArray());
}

/// <summary>
/// The ICE servers for a peer connection (an <c>RTCIceServer</c>): STUN URLs without a credential, or TURN URLs with
/// one username and credential.
/// </summary>
public sealed record IceServerDto(string[] Urls, string? Username, string? Credential);

/// <summary>
/// What <c>GetIceServers</c> returns: the servers, and when their TURN credential expires (null, and no TTL, when
/// there is no TURN server). <c>TtlSeconds</c> is the credential's lifetime from now, for clients whose clock differs.
/// </summary>
public sealed record IceServersDto(IceServerDto[] IceServers, DateTimeOffset? ExpiresAt, int? TtlSeconds);

/// <summary>A page of older messages, oldest first.</summary>
public sealed record HistoryDto(string ChannelId, MessageDto[] Messages, bool HasMore);

/// <summary>The connected user.</summary>
public sealed record UserDto(string Id, string DisplayName);

/// <summary>The answer to <c>POST /api/session</c>.</summary>
public sealed record SessionDto(string Token, string UserId, string DisplayName, DateTimeOffset ExpiresAt, string Kind = "guest", string? Username = null, bool Owner = false);

/// <summary>The body of <c>POST /api/session</c>.</summary>
public sealed record SessionRequest(string? DisplayName, string? Token);

/// <summary>The server's settings as clients see them; <c>joinPolicy</c> is <c>open</c> or <c>invite</c>.</summary>
public sealed record ServerSettingsDto(string Name, string Description, string JoinPolicy, bool GuestsAllowed)
{
    public static ServerSettingsDto From(ServerSettings s) =>
        new(s.Name, s.Description, s.JoinPolicy == OpenChat.Protocol.JoinPolicy.Invite ? "invite" : "open", s.GuestsAllowed);
}

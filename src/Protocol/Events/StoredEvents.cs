using OpenChat.Protocol.Ids;

namespace OpenChat.Protocol.Events;

/// <summary>
/// Journal event of a channel: one message. Its sequence number is the message id. <paramref name="Nonce"/> is the
/// author's nonce for the post (null in events written before posts carried one).
/// </summary>
public sealed record MessageStored(UserId Author, string AuthorName, string Text, DateTimeOffset SentAt, string? Nonce = null) : IProtocolMessage;

/// <summary>
/// Snapshot of a channel: the most recent messages, so recovery need not replay the whole history, and the nonces
/// of the latest posts, so a retry still finds its message after recovery (null in snapshots that predate them).
/// </summary>
public sealed record ChannelStateSnapshot(IReadOnlyList<ChatMessage> Recent, IReadOnlyList<StoredNonce>? Nonces = null) : IProtocolMessage;

/// <summary>A post's author and nonce, and the id of the message it stored.</summary>
public sealed record StoredNonce(UserId Author, string Nonce, long MessageId);

/// <summary>Journal event of the directory: the initial channels, written once on first start.</summary>
public sealed record DirectorySeeded(IReadOnlyList<ChannelInfo> Channels) : IProtocolMessage;

/// <summary>Journal event of the directory: a channel was created.</summary>
public sealed record DirectoryChannelCreated(ChannelInfo Channel) : IProtocolMessage;

/// <summary>Journal event of the directory: a channel's settings changed.</summary>
public sealed record DirectoryChannelUpdated(ChannelInfo Channel) : IProtocolMessage;

/// <summary>Journal event of the directory: the channels' new order, every id once; their positions become 0..n-1.</summary>
public sealed record DirectoryChannelsOrdered(IReadOnlyList<ChannelId> Channels) : IProtocolMessage;

/// <summary>Journal event of the directory: the server's settings, whole, as they are now.</summary>
public sealed record DirectoryServerSettingsSet(ServerSettings Settings) : IProtocolMessage;

/// <summary>Journal event of the directory: a channel was deleted.</summary>
public sealed record DirectoryChannelDeleted(ChannelId Channel) : IProtocolMessage;

/// <summary>Journal event of the directory: a role was created, or a role (@everyone included) changed.</summary>
public sealed record DirectoryRoleSaved(Permissions.Role Role) : IProtocolMessage;

/// <summary>Journal event of the directory: roles were renumbered; the ids from the lowest to the most senior (without @everyone).</summary>
public sealed record DirectoryRolesOrdered(IReadOnlyList<string> Roles) : IProtocolMessage;

/// <summary>Journal event of the directory: a role was deleted.</summary>
public sealed record DirectoryRoleDeleted(string Role) : IProtocolMessage;

/// <summary>Journal event of the directory: the roles a member holds now.</summary>
public sealed record DirectoryMemberRolesSet(UserId Member, IReadOnlyList<string> Roles) : IProtocolMessage;

/// <summary>Journal event of the directory: a channel's override for a role or member (empty allow and deny: removed).</summary>
public sealed record DirectoryOverrideSet(ChannelId Channel, Permissions.ChannelOverride Override) : IProtocolMessage;

/// <summary>Journal event of the directory: a moderator set a member's server mute and deafen, with why.</summary>
public sealed record DirectoryMemberVoiceModerated(UserId Member, bool Muted, bool Deafened, UserId By, string? Reason, DateTimeOffset At) : IProtocolMessage;

using OpenChat.Protocol.Ids;

namespace OpenChat.Protocol.Events;

/// <summary>
/// Journal event of a channel: one message. Its sequence number is the message id. <paramref name="Nonce"/> is the
/// author's nonce for the post (null in events written before posts carried one). <paramref name="ReplyTo"/> is the
/// id of the message it answers, <paramref name="Mentions"/> the users its <c>&lt;@userId&gt;</c> tokens name.
/// When <paramref name="KeyId"/> is set the text is sealed: <paramref name="Text"/> is empty and
/// <paramref name="Sealed"/> holds it encrypted under the message's own key, kept in the key store under that id and
/// destroyed when the message is deleted. Events written before sealing carry the text in plain.
/// </summary>
public sealed record MessageStored(UserId Author, string AuthorName, string Text, DateTimeOffset SentAt, string? Nonce = null,
    long? ReplyTo = null, IReadOnlyList<UserId>? Mentions = null, string? KeyId = null, byte[]? Sealed = null) : IProtocolMessage;

/// <summary>
/// Journal event of a channel: message <paramref name="MessageId"/> now reads as the text in <paramref name="Sealed"/>
/// (encrypted under the message's key; <paramref name="Text"/> holds it in plain only for a message stored unsealed).
/// </summary>
public sealed record MessageEditStored(long MessageId, string Text, byte[]? Sealed, DateTimeOffset EditedAt, IReadOnlyList<UserId>? Mentions = null) : IProtocolMessage;

/// <summary>
/// Journal event of a channel: message <paramref name="MessageId"/> was deleted by <paramref name="By"/>; its key
/// (<paramref name="KeyId"/>, null for a message stored unsealed) is destroyed.
/// </summary>
public sealed record MessageDeleteStored(long MessageId, UserId By, DateTimeOffset At, string? KeyId = null) : IProtocolMessage;

/// <summary>
/// Snapshot of a channel: the most recent messages, so recovery need not replay the whole history, and the nonces
/// of the latest posts, so a retry still finds its message after recovery (null in snapshots that predate them).
/// Snapshots written since texts are sealed leave <paramref name="Recent"/> empty and carry the sealed events instead
/// (<paramref name="Messages"/>), the latest edit of each edited message, the deleted ids, from which id on every
/// live message is among <paramref name="Messages"/> (<paramref name="CoversFrom"/>), and how many live messages
/// the channel holds: no snapshot holds a readable text.
/// </summary>
public sealed record ChannelStateSnapshot(IReadOnlyList<ChatMessage> Recent, IReadOnlyList<StoredNonce>? Nonces = null,
    IReadOnlyList<SnapshotMessage>? Messages = null, IReadOnlyList<SnapshotEdit>? Edits = null, IReadOnlyList<long>? Deleted = null,
    long? CoversFrom = null, long? LiveCount = null) : IProtocolMessage;

/// <summary>A stored message in a snapshot: its id and its event.</summary>
public sealed record SnapshotMessage(long Id, MessageStored Stored);

/// <summary>The latest edit of message <paramref name="MessageId"/>, in a snapshot.</summary>
public sealed record SnapshotEdit(long MessageId, MessageEditStored Edit);

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

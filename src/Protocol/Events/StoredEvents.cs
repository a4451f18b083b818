using OpenChat.Protocol.Ids;

namespace OpenChat.Protocol.Events;

/// <summary>Journal event of a channel: one message. Its sequence number is the message id.</summary>
public sealed record MessageStored(UserId Author, string AuthorName, string Text, DateTimeOffset SentAt) : IProtocolMessage;

/// <summary>Snapshot of a channel: the most recent messages, so recovery need not replay the whole history.</summary>
public sealed record ChannelStateSnapshot(IReadOnlyList<ChatMessage> Recent) : IProtocolMessage;

/// <summary>Journal event of the directory: the initial channels, written once on first start.</summary>
public sealed record DirectorySeeded(IReadOnlyList<ChannelInfo> Channels) : IProtocolMessage;

/// <summary>Journal event of the directory: a channel was created.</summary>
public sealed record DirectoryChannelCreated(ChannelInfo Channel) : IProtocolMessage;

/// <summary>Journal event of the directory: a channel's settings changed.</summary>
public sealed record DirectoryChannelUpdated(ChannelInfo Channel) : IProtocolMessage;

/// <summary>Journal event of the directory: a channel was deleted.</summary>
public sealed record DirectoryChannelDeleted(ChannelId Channel) : IProtocolMessage;

using Akka.Actor;
using OpenChat.Protocol.Ids;

namespace OpenChat.Protocol.Events;

/// <summary>Acknowledges a post: the message is stored.</summary>
public sealed record PostAccepted(ChatMessage Message) : IProtocolMessage;

/// <summary>
/// Acknowledges a subscription with the channel's settings, who is online and the newest messages (oldest first).
/// <paramref name="Entity"/> is the channel entity itself, for the subscriber to death-watch: when it moves to another
/// node the subscriber subscribes again. <paramref name="Voice"/> lists a voice channel's members.
/// </summary>
public sealed record Subscribed(ChannelInfo Channel, IReadOnlyList<PresenceMember> Online, IReadOnlyList<ChatMessage> Recent, bool HasMore, IActorRef Entity, IReadOnlyList<Voice.VoiceMember> Voice) : IProtocolMessage;

/// <summary>Acknowledges an unsubscription.</summary>
public sealed record Unsubscribed(ChannelId Channel) : IProtocolMessage;

/// <summary>Pushed to subscribers, in order, exactly once per stored message.</summary>
public sealed record MessagePosted(ChatMessage Message) : IProtocolMessage;

/// <summary>Acknowledges an edit: the message as it now reads.</summary>
public sealed record EditAccepted(ChatMessage Message) : IProtocolMessage;

/// <summary>
/// Acknowledges a delete: <paramref name="Author"/> wrote message <paramref name="MessageId"/>; <paramref name="Deleted"/>
/// is false when it was already deleted.
/// </summary>
public sealed record DeleteDone(ChannelId Channel, long MessageId, UserId? Author, bool Deleted) : IProtocolMessage;

/// <summary>
/// Pushed to subscribers, in order with posts, exactly once per stored edit: the whole message as it now reads.
/// <paramref name="Sequence"/> is the edit's number in the journal, in the same order as message ids.
/// </summary>
public sealed record MessageEdited(ChatMessage Message, long Sequence) : IProtocolMessage;

/// <summary>Pushed to subscribers, in order with posts, exactly once per deleted message; <paramref name="Sequence"/> as for an edit.</summary>
public sealed record MessageDeleted(ChannelId Channel, long MessageId, long Sequence) : IProtocolMessage;

/// <summary>Pushed to subscribers: a user is typing (at most one per user per channel every 2 s; not stored).</summary>
public sealed record UserTyping(ChannelId Channel, UserId User, string DisplayName) : IProtocolMessage;

/// <summary>Pushed to subscribers when a user opens the channel for the first time (in any session).</summary>
public sealed record MemberOnline(ChannelId Channel, PresenceMember Member) : IProtocolMessage;

/// <summary>Pushed to subscribers when a user's last session closes the channel.</summary>
public sealed record MemberOffline(ChannelId Channel, UserId User) : IProtocolMessage;

/// <summary>Pushed to subscribers when the channel's settings change.</summary>
public sealed record ChannelUpdated(ChannelInfo Channel) : IProtocolMessage;

/// <summary>Pushed to subscribers when the channel is deleted; the subscription ends.</summary>
public sealed record ChannelRemoved(ChannelId Channel) : IProtocolMessage;

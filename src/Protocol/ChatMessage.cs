using OpenChat.Protocol.Ids;

namespace OpenChat.Protocol;

/// <summary>
/// A stored text message, as it now is. <see cref="Id"/> is the sequence number of its event in the channel's journal:
/// ids increase within a channel but are not contiguous (edits and deletes take numbers too).
/// <see cref="EditedAt"/> is set once it was edited; <see cref="ReplyTo"/> is the id of the message it answers;
/// <see cref="Mentions"/> are the users its <c>&lt;@userId&gt;</c> tokens name (null when none).
/// </summary>
public sealed record ChatMessage(long Id, ChannelId Channel, UserId Author, string AuthorName, string Text, DateTimeOffset SentAt,
    DateTimeOffset? EditedAt = null, long? ReplyTo = null, IReadOnlyList<Mention>? Mentions = null)
{
    public const int MaxTextLength = 2000;
}

/// <summary>A user a message mentions, with the name the channel knows them by.</summary>
public sealed record Mention(UserId User, string Name);

using OpenChat.Protocol.Ids;

namespace OpenChat.Protocol;

/// <summary>A stored text message. <see cref="Id"/> increases by one per message within its channel.</summary>
public sealed record ChatMessage(long Id, ChannelId Channel, UserId Author, string AuthorName, string Text, DateTimeOffset SentAt)
{
    public const int MaxTextLength = 2000;
}

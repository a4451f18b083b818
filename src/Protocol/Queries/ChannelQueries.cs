using OpenChat.Protocol.Ids;

namespace OpenChat.Protocol.Queries;

/// <summary>Asks for up to <paramref name="Limit"/> messages older than <paramref name="Before"/> (the newest when null).</summary>
public sealed record GetHistory(ChannelId Channel, long? Before, int Limit) : IWithChannelId
{
    public const int DefaultLimit = 50;
    public const int MaxLimit = 100;
}

/// <summary>A page of history, oldest first. <paramref name="HasMore"/> says whether older messages exist.</summary>
public sealed record HistoryPage(ChannelId Channel, IReadOnlyList<ChatMessage> Messages, bool HasMore) : IProtocolMessage;

/// <summary>Asks who has the channel open.</summary>
public sealed record GetPresence(ChannelId Channel) : IWithChannelId;

/// <summary>The users who have a channel open.</summary>
public sealed record PresenceList(ChannelId Channel, IReadOnlyList<PresenceMember> Online) : IProtocolMessage;

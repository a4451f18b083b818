using OpenChat.Protocol.Ids;

namespace OpenChat.Protocol.Queries;

/// <summary>Asks the directory for every channel.</summary>
public sealed record GetChannels : IProtocolMessage
{
    public static readonly GetChannels Instance = new();
}

/// <summary>Every channel, ordered by position.</summary>
public sealed record ChannelList(IReadOnlyList<ChannelInfo> Channels) : IProtocolMessage;

/// <summary>Asks the directory for one channel's settings.</summary>
public sealed record GetChannelInfo(ChannelId Channel) : IProtocolMessage;

/// <summary>One channel's settings; <paramref name="Info"/> is null when no such channel exists.</summary>
public sealed record ChannelInfoResult(ChannelId Channel, ChannelInfo? Info) : IProtocolMessage;

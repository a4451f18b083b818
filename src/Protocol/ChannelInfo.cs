using OpenChat.Protocol.Ids;

namespace OpenChat.Protocol;

/// <summary>A channel's settings as the directory stores them.</summary>
public sealed record ChannelInfo(ChannelId Id, string Name, ChannelKind Kind, int Position, string Topic)
{
    public const int MaxNameLength = 32;
    public const int MaxTopicLength = 256;
}

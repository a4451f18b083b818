using OpenChat.Protocol.Ids;

namespace OpenChat.Protocol;

/// <summary>
/// A channel's settings as the directory stores them. <paramref name="Category"/> groups channels under a header in the
/// channel list (null: none; absent from events stored before categories existed).
/// </summary>
public sealed record ChannelInfo(ChannelId Id, string Name, ChannelKind Kind, int Position, string Topic, string? Category = null)
{
    public const int MaxNameLength = 32;
    public const int MaxTopicLength = 256;
    public const int MaxCategoryLength = 32;
}

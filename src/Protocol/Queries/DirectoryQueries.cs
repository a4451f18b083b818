using OpenChat.Protocol.Ids;

namespace OpenChat.Protocol.Queries;

/// <summary>Asks the directory for every channel.</summary>
public sealed record GetChannels : IProtocolMessage
{
    public static readonly GetChannels Instance = new();
}

/// <summary>
/// Every channel, ordered by position, and the roles and overrides that say who may see and do what in them (null from
/// a directory of a release without roles: everyone may take part, as then), and the server's settings (null until
/// someone changed them: the operator's configuration applies).
/// </summary>
public sealed record ChannelList(IReadOnlyList<ChannelInfo> Channels, Permissions.PermissionModel? Permissions = null, ServerSettings? Settings = null)
    : IProtocolMessage;

/// <summary>Asks the directory for one channel's settings.</summary>
public sealed record GetChannelInfo(ChannelId Channel) : IProtocolMessage;

/// <summary>
/// One channel's settings; <paramref name="Info"/> is null when no such channel exists. After a change,
/// <paramref name="Revision"/> is the directory's journal position with it (see <see cref="Permissions.PermissionModel.Revision"/>).
/// </summary>
public sealed record ChannelInfoResult(ChannelId Channel, ChannelInfo? Info, long Revision = 0) : IProtocolMessage;

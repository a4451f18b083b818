using OpenChat.Actors.Ids;
using OpenChat.Actors.Protocol;

namespace OpenChat.Gateway.Sessions;

/// <summary>
/// This gateway's copy of the channel list, kept current by <see cref="DirectoryWatcher"/>. Hub calls check channel
/// ids here, so a client cannot make the cluster start an entity for a channel that does not exist.
/// </summary>
public sealed class ChannelCatalog
{
    private volatile IReadOnlyList<ChannelInfo>? _channels;
    private volatile Dictionary<ChannelId, ChannelInfo> _byId = new();

    public bool IsLoaded => _channels is not null;

    public IReadOnlyList<ChannelInfo> Channels => _channels ?? [];

    public ChannelInfo? Find(ChannelId id) => _byId.GetValueOrDefault(id);

    /// <summary>Replaces the list; true when it differs from the previous one.</summary>
    public bool Update(IReadOnlyList<ChannelInfo> channels)
    {
        var previous = _channels;
        _byId = channels.ToDictionary(c => c.Id);
        _channels = channels;
        return previous is null || !previous.SequenceEqual(channels);
    }
}

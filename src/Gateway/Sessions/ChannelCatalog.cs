using System.Collections.Frozen;
using OpenChat.Protocol.Ids;
using OpenChat.Protocol;

namespace OpenChat.Gateway.Sessions;

/// <summary>
/// This gateway's copy of the channel list, kept current by <see cref="DirectoryWatcher"/>. Hub calls check channel
/// ids here, so a client cannot make the cluster start an entity for a channel that does not exist.
/// </summary>
public sealed class ChannelCatalog
{
    // One immutable snapshot, swapped whole, so a reader never sees a list and an index from different updates.
    private sealed record Snapshot(IReadOnlyList<ChannelInfo> Channels, FrozenDictionary<ChannelId, ChannelInfo> ById);

    private volatile Snapshot? _current;

    public bool IsLoaded => _current is not null;

    public IReadOnlyList<ChannelInfo> Channels => _current?.Channels ?? [];

    public ChannelInfo? Find(ChannelId id) => _current?.ById.GetValueOrDefault(id);

    /// <summary>Replaces the list; true when it differs from the previous one.</summary>
    public bool Update(IReadOnlyList<ChannelInfo> channels)
    {
        var previous = _current;
        _current = new Snapshot(channels, channels.ToFrozenDictionary(c => c.Id));
        return previous is null || !previous.Channels.SequenceEqual(channels);
    }
}

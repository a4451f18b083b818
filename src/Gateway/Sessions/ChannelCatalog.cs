using System.Collections.Frozen;
using OpenChat.Protocol.Ids;
using OpenChat.Protocol;
using OpenChat.Protocol.Permissions;

namespace OpenChat.Gateway.Sessions;

/// <summary>
/// This gateway's copy of the channel list and of the roles and overrides, kept current by <see cref="DirectoryWatcher"/>.
/// Hub calls check channel ids and the caller's permissions here, so a client cannot make the cluster start an entity
/// for a channel that does not exist, nor reach one it may not see.
/// </summary>
public sealed class ChannelCatalog
{
    // One immutable snapshot, swapped whole, so a reader never sees a list and an index from different updates.
    private sealed record Snapshot(IReadOnlyList<ChannelInfo> Channels, FrozenDictionary<ChannelId, ChannelInfo> ById, PermissionModel Permissions,
        ServerSettings? Settings);

    private volatile Snapshot? _current;
    private TaskCompletionSource _updated = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public bool IsLoaded => _current is not null;

    public IReadOnlyList<ChannelInfo> Channels => _current?.Channels ?? [];

    public PermissionModel Permissions => _current?.Permissions ?? PermissionModel.Default;

    /// <summary>The server's settings as the directory stores them; null until someone changed them (the configuration applies).</summary>
    public ServerSettings? Settings => _current?.Settings;

    public ChannelInfo? Find(ChannelId id) => _current?.ById.GetValueOrDefault(id);

    /// <summary>Replaces the list, the model and the settings; true when the list or the model differs from the previous ones.</summary>
    public bool Update(IReadOnlyList<ChannelInfo> channels, PermissionModel? permissions = null, ServerSettings? settings = null)
    {
        var previous = _current;
        _current = new Snapshot(channels, channels.ToFrozenDictionary(c => c.Id), permissions ?? PermissionModel.Default, settings);
        Interlocked.Exchange(ref _updated, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
        // Every change to roles, overrides or server voice moves the directory's journal, and so the model's revision.
        return previous is null || !previous.Channels.SequenceEqual(channels) || previous.Permissions.Revision != _current.Permissions.Revision;
    }

    /// <summary>
    /// Waits until this copy holds the directory's state at <paramref name="revision"/> or later (a change this gateway
    /// just stored), so the caller's next request sees it; false when that took longer than <paramref name="timeout"/>.
    /// </summary>
    public async Task<bool> CaughtUpAsync(long revision, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var next = Volatile.Read(ref _updated).Task;
            if (Permissions.Revision >= revision) return true;
            var left = deadline - DateTime.UtcNow;
            if (left <= TimeSpan.Zero) return false;
            try
            {
                await next.WaitAsync(left);
            }
            catch (TimeoutException)
            {
                return Permissions.Revision >= revision;
            }
        }
    }
}

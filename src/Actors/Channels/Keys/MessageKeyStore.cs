using System.Threading.Channels;

namespace OpenChat.Channels.Keys;

/// <summary>
/// Where the keys of sealed message texts live: a mutable table beside the journal. A key is written before its
/// message is, read to open the message, and destroyed when the message is deleted, which leaves the journal's copy of
/// the text unreadable. Writes from all channels of the node are batched: the keys waiting when a write starts go in one
/// transaction, so a burst of posts costs one round trip, not one each.
/// </summary>
public abstract class MessageKeyStore : IDisposable
{
    private readonly Channel<(string KeyId, byte[] Key, TaskCompletionSource Done)> _pending =
        Channel.CreateUnbounded<(string, byte[], TaskCompletionSource)>(new UnboundedChannelOptions { SingleReader = true });

    private Task? _writer;
    private readonly object _gate = new();

    /// <summary>The most keys one batched write carries.</summary>
    public const int MaxBatch = 500;

    /// <summary>Stores a new key; completes once it is durable.</summary>
    public Task AddAsync(string keyId, byte[] key)
    {
        // Continuations run on the completing thread, in order: the writes' acknowledgements keep their order.
        var done = new TaskCompletionSource();
        lock (_gate) _writer ??= Task.Run(WriteLoopAsync);
        if (!_pending.Writer.TryWrite((keyId, key, done))) done.SetException(new ObjectDisposedException(GetType().Name));
        return done.Task;
    }

    /// <summary>The keys found among <paramref name="keyIds"/> (a destroyed key is absent).</summary>
    public abstract Task<IReadOnlyDictionary<string, byte[]>> GetAsync(IReadOnlyCollection<string> keyIds);

    /// <summary>Destroys a key, so that nothing the store keeps can yield it again.</summary>
    public abstract Task RemoveAsync(string keyId);

    protected abstract Task WriteAsync(IReadOnlyList<(string KeyId, byte[] Key)> keys);

    private async Task WriteLoopAsync()
    {
        var batch = new List<(string KeyId, byte[] Key, TaskCompletionSource Done)>();
        while (await _pending.Reader.WaitToReadAsync())
        {
            batch.Clear();
            while (batch.Count < MaxBatch && _pending.Reader.TryRead(out var item)) batch.Add(item);
            try
            {
                await WriteAsync(batch.Select(b => (b.KeyId, b.Key)).ToList());
                foreach (var item in batch) item.Done.TrySetResult();
            }
            catch (Exception e)
            {
                foreach (var item in batch) item.Done.TrySetException(e);
            }
        }
    }

    public virtual void Dispose() => _pending.Writer.TryComplete();
}

/// <summary>Keys in memory only: for a channel that stores nothing, and for tests.</summary>
public sealed class InMemoryMessageKeys : MessageKeyStore
{
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, byte[]> _keys = new();

    public int Count => _keys.Count;

    public override Task<IReadOnlyDictionary<string, byte[]>> GetAsync(IReadOnlyCollection<string> keyIds) =>
        Task.FromResult<IReadOnlyDictionary<string, byte[]>>(keyIds.Where(_keys.ContainsKey).Distinct().ToDictionary(k => k, k => _keys[k]));

    public override Task RemoveAsync(string keyId)
    {
        _keys.TryRemove(keyId, out _);
        return Task.CompletedTask;
    }

    protected override Task WriteAsync(IReadOnlyList<(string KeyId, byte[] Key)> keys)
    {
        foreach (var (id, key) in keys) _keys[id] = key;
        return Task.CompletedTask;
    }
}

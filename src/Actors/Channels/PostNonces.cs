using OpenChat.Protocol.Events;
using OpenChat.Protocol.Ids;

namespace OpenChat.Channels;

/// <summary>
/// The nonces of a channel's latest posts, per author, each with the id of the message it stored, and those of the
/// posts still being written. A retry whose nonce is here gets the original message instead of a second copy.
/// The window is the last <see cref="Window"/> posts of the channel: far more than a client's retries ever span.
/// </summary>
internal sealed class PostNonces
{
    public const int Window = 1000;

    private readonly Dictionary<(UserId, string), long> _stored = new();
    private readonly Queue<(UserId, string)> _order = new();
    private readonly HashSet<(UserId, string)> _writing = new();

    public bool TryGetStored(UserId author, string nonce, out long messageId) => _stored.TryGetValue((author, nonce), out messageId);

    public bool IsWriting(UserId author, string nonce) => _writing.Contains((author, nonce));

    public void BeginWrite(UserId author, string nonce) => _writing.Add((author, nonce));

    public void WriteFailed(UserId author, string nonce) => _writing.Remove((author, nonce));

    public void Stored(UserId author, string? nonce, long messageId)
    {
        if (nonce is null) return;
        var key = (author, nonce);
        _writing.Remove(key);
        if (!_stored.TryAdd(key, messageId)) return;
        _order.Enqueue(key);
        while (_order.Count > Window) _stored.Remove(_order.Dequeue());
    }

    public void Reset(IEnumerable<StoredNonce>? nonces)
    {
        _stored.Clear();
        _order.Clear();
        _writing.Clear();
        foreach (var n in (nonces ?? []).OrderBy(n => n.MessageId)) Stored(n.Author, n.Nonce, n.MessageId);
    }

    public List<StoredNonce> ToList() => _order.Select(k => new StoredNonce(k.Item1, k.Item2, _stored[k])).ToList();
}

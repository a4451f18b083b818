using OpenChat.Protocol;
using OpenChat.Protocol.Events;

namespace OpenChat.Channels;

/// <summary>
/// A channel's newest live messages, ascending by id, at most a fixed number. Every live message with an id from
/// <see cref="CoversFrom"/> on is held here: a message leaves only when deleted or when a newer one pushes it out,
/// and then the cover moves past it.
/// </summary>
internal sealed class RecentMessages(int capacity)
{
    private readonly List<RecentMessage> _messages = new(capacity + 1);

    public long CoversFrom { get; private set; } = 1;

    public int Count => _messages.Count;

    public IReadOnlyList<RecentMessage> All => _messages;

    public void Add(RecentMessage message)
    {
        _messages.Add(message);
        if (_messages.Count <= capacity) return;
        CoversFrom = _messages[0].Id + 1;
        _messages.RemoveAt(0);
    }

    public RecentMessage? Find(long id)
    {
        var i = IndexOf(id);
        return i < 0 ? null : _messages[i];
    }

    public bool Remove(long id)
    {
        var i = IndexOf(id);
        if (i < 0) return false;
        _messages.RemoveAt(i);
        return true;
    }

    public void Reset(IEnumerable<RecentMessage> messages, long coversFrom)
    {
        _messages.Clear();
        var sorted = messages.OrderBy(m => m.Id).ToList();
        var dropped = sorted.Count - capacity;
        CoversFrom = dropped > 0 ? Math.Max(coversFrom, sorted[dropped - 1].Id + 1) : coversFrom;
        _messages.AddRange(dropped > 0 ? sorted.Skip(dropped) : sorted);
    }

    private int IndexOf(long id)
    {
        int lo = 0, hi = _messages.Count - 1;
        while (lo <= hi)
        {
            var mid = (lo + hi) >>> 1;
            var at = _messages[mid].Id;
            if (at == id) return mid;
            if (at < id) lo = mid + 1;
            else hi = mid - 1;
        }
        return -1;
    }
}

/// <summary>
/// A live message in memory: its stored event (sealed or, when stored before sealing, plain), its latest edit, its
/// key while the channel holds it, and the message as it reads (null until its key is loaded after recovery).
/// </summary>
internal sealed class RecentMessage(long id, MessageStored stored)
{
    public long Id { get; } = id;
    public MessageStored Stored { get; } = stored;
    public MessageEditStored? Edit { get; set; }
    public byte[]? Key { get; set; }
    public ChatMessage? Message { get; set; }
}

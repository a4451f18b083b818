using OpenChat.Protocol;

namespace OpenChat.Channels;

/// <summary>A fixed-size ring of a channel's newest messages, ascending by id.</summary>
internal sealed class RecentMessages
{
    private readonly ChatMessage[] _ring;
    private int _start;
    private int _count;

    public RecentMessages(int capacity) => _ring = new ChatMessage[capacity];

    public void Add(ChatMessage message)
    {
        if (_count == _ring.Length)
        {
            _ring[_start] = message;
            _start = (_start + 1) % _ring.Length;
        }
        else
        {
            _ring[(_start + _count) % _ring.Length] = message;
            _count++;
        }
    }

    public void Reset(IEnumerable<ChatMessage> messages)
    {
        Array.Clear(_ring);
        _start = 0;
        _count = 0;
        foreach (var m in messages.OrderBy(m => m.Id)) Add(m);
    }

    /// <summary>True when every message with an id from <paramref name="fromId"/> on is held here.</summary>
    public bool Covers(long fromId) => _count > 0 && _ring[_start].Id <= fromId;

    public List<ChatMessage> Range(long fromId, long toId)
    {
        var result = new List<ChatMessage>();
        for (var i = 0; i < _count; i++)
        {
            var m = _ring[(_start + i) % _ring.Length];
            if (m.Id >= fromId && m.Id <= toId) result.Add(m);
        }
        return result;
    }

    public List<ChatMessage> ToList() => Range(long.MinValue, long.MaxValue);
}

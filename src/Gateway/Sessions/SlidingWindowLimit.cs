namespace OpenChat.Gateway.Sessions;

/// <summary>At most <c>count</c> events in any window of <c>window</c>; used for the post limit.</summary>
public sealed class SlidingWindowLimit(int count, TimeSpan window, TimeProvider time)
{
    private readonly Queue<long> _stamps = new();

    /// <summary>Records an event if the limit allows it; otherwise says how long until it would.</summary>
    public bool TryAcquire(out TimeSpan retryAfter)
    {
        var now = time.GetTimestamp();
        while (_stamps.Count > 0 && time.GetElapsedTime(_stamps.Peek(), now) >= window) _stamps.Dequeue();
        if (_stamps.Count >= count)
        {
            retryAfter = window - time.GetElapsedTime(_stamps.Peek(), now);
            return false;
        }
        _stamps.Enqueue(now);
        retryAfter = TimeSpan.Zero;
        return true;
    }
}

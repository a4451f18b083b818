namespace OpenChat.Gateway.Sessions;

/// <summary>A token bucket: up to <c>capacity</c> calls at once, refilled at <c>perSecond</c>.</summary>
public sealed class TokenBucket(int capacity, double perSecond, TimeProvider time)
{
    private readonly Lock _lock = new();
    private double _tokens = capacity;
    private long _last = time.GetTimestamp();

    public bool TryTake() => TryTake(out _);

    /// <summary>Takes one unit; otherwise says how long until one is there.</summary>
    public bool TryTake(out TimeSpan retryAfter)
    {
        lock (_lock)
        {
            Refill();
            if (_tokens >= 1)
            {
                _tokens -= 1;
                retryAfter = TimeSpan.Zero;
                return true;
            }
            retryAfter = UntilOne();
            return false;
        }
    }

    /// <summary>Whether a unit is there, without taking it; otherwise how long until one is.</summary>
    public bool HasRemaining(out TimeSpan retryAfter)
    {
        lock (_lock)
        {
            Refill();
            retryAfter = _tokens >= 1 ? TimeSpan.Zero : UntilOne();
            return _tokens >= 1;
        }
    }

    /// <summary>Gives back a unit taken for a call that was refused after all.</summary>
    public void Refund()
    {
        lock (_lock) _tokens = Math.Min(capacity, _tokens + 1);
    }

    /// <summary>True once the bucket has refilled completely: it is then the same as a new one.</summary>
    public bool IsFull
    {
        get
        {
            lock (_lock)
            {
                Refill();
                return _tokens >= capacity;
            }
        }
    }

    private void Refill()
    {
        var now = time.GetTimestamp();
        if (now <= _last) return;
        _tokens = Math.Min(capacity, _tokens + time.GetElapsedTime(_last, now).TotalSeconds * perSecond);
        _last = now;
    }

    private TimeSpan UntilOne() => TimeSpan.FromSeconds((1 - _tokens) / perSecond);
}

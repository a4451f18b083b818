namespace OpenChat.Channels.Accounts;

/// <summary>
/// Failure budgets keyed by account or client address, for one actor (not thread-safe): up to <c>capacity</c>
/// failures at once, refilled evenly over <c>window</c>. A key with an empty budget must wait until one failure has
/// refilled. Full budgets are forgotten, so the table holds only keys that failed lately; past
/// <see cref="MaxKeys"/> keys the fullest are dropped first.
/// </summary>
public sealed class FailureBudget(int capacity, TimeSpan window, TimeProvider time)
{
    public const int MaxKeys = 100_000;

    private readonly Dictionary<string, (double Used, long At)> _used = new(StringComparer.Ordinal);
    private readonly double _refillPerTick = capacity / (double)window.Ticks;

    public int Count => _used.Count;

    /// <summary>Whether <paramref name="key"/> may try now; otherwise how long until it may.</summary>
    public bool CanTry(string key, out TimeSpan retryAfter)
    {
        retryAfter = TimeSpan.Zero;
        var used = Current(key);
        if (used <= capacity - 1) return true;
        retryAfter = TimeSpan.FromTicks((long)Math.Ceiling((used - (capacity - 1)) / _refillPerTick));
        if (retryAfter < TimeSpan.FromSeconds(1)) retryAfter = TimeSpan.FromSeconds(1);
        return false;
    }

    /// <summary>Counts a failure (or an attempt still in flight) against <paramref name="key"/>.</summary>
    public void Fail(string key)
    {
        if (_used.Count >= MaxKeys && !_used.ContainsKey(key)) Sweep();
        _used[key] = (Current(key) + 1, time.GetUtcNow().UtcTicks);
    }

    /// <summary>Takes back one failure counted for an attempt that succeeded.</summary>
    public void Refund(string key)
    {
        var used = Current(key) - 1;
        if (used <= 0) _used.Remove(key);
        else _used[key] = (used, time.GetUtcNow().UtcTicks);
    }

    /// <summary>Forgets every failure of <paramref name="key"/> (the account's owner signed in).</summary>
    public void Clear(string key) => _used.Remove(key);

    private double Current(string key)
    {
        if (!_used.TryGetValue(key, out var entry)) return 0;
        var elapsed = time.GetUtcNow().UtcTicks - entry.At;
        return Math.Max(0, entry.Used - elapsed * _refillPerTick);
    }

    private void Sweep()
    {
        foreach (var key in _used.Keys.ToList())
        {
            if (Current(key) <= 0) _used.Remove(key);
        }
        if (_used.Count < MaxKeys) return;
        foreach (var key in _used.OrderBy(e => e.Value.Used).Take(MaxKeys / 10).Select(e => e.Key).ToList()) _used.Remove(key);
    }
}

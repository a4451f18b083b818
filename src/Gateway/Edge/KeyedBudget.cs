using System.Collections.Concurrent;
using OpenChat.Gateway.Sessions;

namespace OpenChat.Gateway.Edge;

/// <summary>
/// Token buckets keyed by user or client address, shared by every connection of this gateway: up to
/// <c>capacity</c> at once, refilled at <c>capacity</c> per <c>period</c>. A bucket that has refilled completely is
/// the same as a new one, so idle keys are swept away and the table stays as large as the set of active clients.
/// </summary>
public sealed class KeyedBudget
{
    private const int SweepEvery = 4096;

    private readonly ConcurrentDictionary<string, TokenBucket> _buckets = new(StringComparer.Ordinal);
    private readonly TimeProvider _time;
    private readonly double _perSecond;
    private int _sinceSweep;

    public KeyedBudget(int capacity, TimeSpan period, TimeProvider time)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        if (period <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(period), "must be positive");
        Capacity = capacity;
        Period = period;
        _time = time;
        _perSecond = capacity / period.TotalSeconds;
    }

    public int Capacity { get; }

    public TimeSpan Period { get; }

    /// <summary>Keys currently tracked (for tests and metrics).</summary>
    public int Count => _buckets.Count;

    /// <summary>Takes one unit from <paramref name="key"/>'s bucket; otherwise says how long until one is there.</summary>
    public bool TryTake(string key, out TimeSpan retryAfter)
    {
        if (Interlocked.Increment(ref _sinceSweep) >= SweepEvery) Sweep();
        return _buckets.GetOrAdd(key, static (_, budget) => new TokenBucket(budget.Capacity, budget._perSecond, budget._time), this)
            .TryTake(out retryAfter);
    }

    /// <summary>Whether <paramref name="key"/> has a unit left, without taking it; otherwise how long until it has.</summary>
    public bool HasRemaining(string key, out TimeSpan retryAfter)
    {
        retryAfter = TimeSpan.Zero;
        return !_buckets.TryGetValue(key, out var bucket) || bucket.HasRemaining(out retryAfter);
    }

    /// <summary>Gives back a unit taken for a call that another budget then refused.</summary>
    public void Refund(string key)
    {
        if (_buckets.TryGetValue(key, out var bucket)) bucket.Refund();
    }

    private void Sweep()
    {
        Interlocked.Exchange(ref _sinceSweep, 0);
        foreach (var (key, bucket) in _buckets)
        {
            // A full bucket equals a fresh one; removing it (and a take racing the removal) loses nothing.
            if (bucket.IsFull) _buckets.TryRemove(new KeyValuePair<string, TokenBucket>(key, bucket));
        }
    }
}

using System.Diagnostics;

namespace OpenChat.MediaNode.Engine;

/// <summary>
/// A fixed-bucket histogram of durations (10 µs buckets up to 200 ms) for percentiles without allocating.
/// One thread records; any thread may read (reads are approximate while recording continues).
/// </summary>
public sealed class DurationHistogram
{
    private const int BucketMicroseconds = 10;
    private const int Buckets = 20_000;

    private readonly long[] _counts = new long[Buckets + 1];
    private long _count;
    private long _sumTicks;
    private long _maxTicks;

    public long Count => Interlocked.Read(ref _count);

    public TimeSpan Max => Stopwatch.GetElapsedTime(0, Interlocked.Read(ref _maxTicks));

    public TimeSpan Mean
    {
        get
        {
            long count = Count;
            return count == 0 ? TimeSpan.Zero : Stopwatch.GetElapsedTime(0, Interlocked.Read(ref _sumTicks) / count);
        }
    }

    public void Record(long stopwatchTicks)
    {
        if (stopwatchTicks < 0) stopwatchTicks = 0;
        long micros = stopwatchTicks * 1_000_000 / Stopwatch.Frequency;
        int bucket = (int)Math.Min(micros / BucketMicroseconds, Buckets);
        Interlocked.Increment(ref _counts[bucket]);
        Interlocked.Increment(ref _count);
        Interlocked.Add(ref _sumTicks, stopwatchTicks);
        if (stopwatchTicks > Interlocked.Read(ref _maxTicks)) Interlocked.Exchange(ref _maxTicks, stopwatchTicks);
    }

    /// <summary>The upper edge of the bucket holding the given quantile (0..1); zero when empty.</summary>
    public TimeSpan Percentile(double quantile)
    {
        long count = Count;
        if (count == 0) return TimeSpan.Zero;
        long rank = (long)Math.Ceiling(Math.Clamp(quantile, 0, 1) * count);
        long seen = 0;
        for (int i = 0; i <= Buckets; i++)
        {
            seen += Interlocked.Read(ref _counts[i]);
            if (seen >= rank && seen > 0)
            {
                return i == Buckets ? Max : TimeSpan.FromMicroseconds((i + 1) * BucketMicroseconds);
            }
        }
        return Max;
    }

    public void Reset()
    {
        for (int i = 0; i < _counts.Length; i++) Interlocked.Exchange(ref _counts[i], 0);
        Interlocked.Exchange(ref _count, 0);
        Interlocked.Exchange(ref _sumTicks, 0);
        Interlocked.Exchange(ref _maxTicks, 0);
    }
}

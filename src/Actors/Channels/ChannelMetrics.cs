using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace OpenChat.Channels;

/// <summary>
/// The channels role's figures (meter <c>OpenChat.Channels</c>): messages stored and how long the journal took to
/// store them, failed writes, the channel actors running on this node and the voice members they hold.
/// </summary>
public static class ChannelMetrics
{
    public const string MeterName = "OpenChat.Channels";

    private static readonly Meter Meter = new(MeterName);

    private static long _entities;
    private static long _voiceMembers;

    private static long _stored;
    private static long _writesFailed;
    private static long _writesRejected;

    private static readonly Histogram<double> JournalWrite = Meter.CreateHistogram<double>(
        "openchat.channels.journal.write.duration", "s", "Time from handing a message to the journal to its confirmation.",
        tags: null, advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5] });

    static ChannelMetrics()
    {
        Meter.CreateObservableCounter("openchat.channels.messages.stored", () => Volatile.Read(ref _stored), "{message}",
            "Messages the journal confirmed stored.");
        Meter.CreateObservableCounter("openchat.channels.journal.write.failures", () => new Measurement<long>[]
        {
            new(Volatile.Read(ref _writesFailed), new KeyValuePair<string, object?>("kind", "failed")),
            new(Volatile.Read(ref _writesRejected), new KeyValuePair<string, object?>("kind", "rejected")),
        }, "{write}", "Journal writes that failed (the journal errored or did not answer; the channel restarts) or were rejected (nothing stored), by kind.");
        Meter.CreateObservableUpDownCounter("openchat.channels.entities.active", () => Volatile.Read(ref _entities), "{channel}",
            "Channel actors running on this node.");
        Meter.CreateObservableUpDownCounter("openchat.channels.voice.members", () => Volatile.Read(ref _voiceMembers), "{member}",
            "Members of the voice rooms whose channels run on this node.");
    }

    internal static void Stored(long writeStartTimestamp)
    {
        Interlocked.Increment(ref _stored);
        JournalWrite.Record(Stopwatch.GetElapsedTime(writeStartTimestamp).TotalSeconds);
    }

    internal static void WriteFailed(bool rejected) => Interlocked.Increment(ref rejected ? ref _writesRejected : ref _writesFailed);

    /// <summary>Creates the meter's instruments, so that they are exported from the node's start.</summary>
    public static void Enable()
    {
    }

    internal static void EntityStarted() => Interlocked.Increment(ref _entities);

    internal static void EntityStopped() => Interlocked.Decrement(ref _entities);

    /// <summary>A channel's voice room went from <paramref name="before"/> to <paramref name="after"/> members.</summary>
    internal static void VoiceMembersChanged(int before, int after)
    {
        if (after != before) Interlocked.Add(ref _voiceMembers, after - before);
    }
}

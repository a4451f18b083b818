using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace OpenChat.MediaNode.Engine;

/// <summary>
/// The mixing engines' figures (meter <c>OpenChat.Media</c>), summed over every live <see cref="MixerEngine"/> of the
/// process (a media node has one). The engines count with <see cref="Interlocked"/> fields as they always have; the
/// observable instruments read those when metrics are collected. The tick duration is the one instrument recorded
/// where it happens, once per tick and without tags, which allocates nothing.
/// </summary>
public static class MediaMetrics
{
    public const string MeterName = "OpenChat.Media";

    private static readonly Meter Meter = new(MeterName);
    private static readonly Lock Gate = new();
    private static readonly List<MixerEngine> Engines = [];

    // Totals of engines already disposed, so that counters never go back.
    private static long _retiredTicks, _retiredLate, _retiredMissed, _retiredEncodes, _retiredDecodes, _retiredReceived, _retiredSent, _retiredExpected, _retiredForwards;
    private static long _lostReported;
    private static long _membersUdp, _membersTcp, _membersRelay;

    private static readonly Histogram<double> TickDuration = Meter.CreateHistogram<double>(
        "openchat.media.tick.duration", "s", "How long one 20 ms mixing tick of every room took.",
        tags: null, advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.0005, 0.001, 0.002, 0.005, 0.01, 0.015, 0.02, 0.03, 0.05, 0.1, 0.25] });

    static MediaMetrics()
    {
        Meter.CreateObservableGauge("openchat.media.rooms", () => Sum(e => e.RoomCount), "{room}", "Voice rooms this node mixes.");
        Meter.CreateObservableGauge("openchat.media.members", () => Sum(e => e.MemberCount), "{member}", "Members in the rooms this node mixes.");
        Meter.CreateObservableCounter("openchat.media.encodes", () => Total(e => e.Counters.Encodes, _retiredEncodes), "{frame}", "Opus frames encoded.");
        Meter.CreateObservableCounter("openchat.media.decodes", () => Total(e => e.Counters.Decodes, _retiredDecodes), "{frame}", "Opus frames decoded.");
        Meter.CreateObservableCounter("openchat.media.forwards", () => Total(e => e.Counters.Forwards, _retiredForwards), "{frame}",
            "Talkers' Opus frames sent on to a listener as they came, instead of an encoded mix.");
        Meter.CreateObservableCounter("openchat.media.ticks", () => Total(e => e.Counters.Ticks, _retiredTicks), "{tick}", "Mixing ticks run.");
        Meter.CreateObservableCounter("openchat.media.ticks.late", () => Total(e => e.Counters.LateTicks, _retiredLate), "{tick}",
            "Ticks that started later than the late-tick threshold after they were due.");
        Meter.CreateObservableCounter("openchat.media.ticks.missed", () => Total(e => e.Counters.MissedTicks, _retiredMissed), "{tick}",
            "Ticks skipped because the clock fell several ticks behind.");
        Meter.CreateObservableCounter("openchat.media.packets.received", () => Total(e => e.Counters.InboundReceived, _retiredReceived), "{packet}",
            "Audio packets that arrived from members.");
        Meter.CreateObservableCounter("openchat.media.packets.sent", () => Total(e => e.Counters.FramesSent, _retiredSent), "{packet}",
            "Audio packets sent to members.");
        Meter.CreateObservableGauge("openchat.media.members.connected", () => new Measurement<long>[]
        {
            new(Volatile.Read(ref _membersUdp), new KeyValuePair<string, object?>("path", "udp")),
            new(Volatile.Read(ref _membersTcp), new KeyValuePair<string, object?>("path", "tcp")),
            new(Volatile.Read(ref _membersRelay), new KeyValuePair<string, object?>("path", "relay")),
        }, "{member}", "Members whose media session is connected, by how it reaches the node: udp, tcp (ICE-TCP), or relay (a TURN relay).");
        Meter.CreateObservableCounter("openchat.media.packets.lost", Lost, "{packet}",
            "Audio packets members sent (by their RTP sequence numbers) that never arrived.");
    }

    /// <summary>A member's media session connected over <paramref name="path"/>.</summary>
    public static void MemberConnected(Protocol.Media.MediaPath path) => Interlocked.Increment(ref MembersOn(path));

    /// <summary>A member whose media session had connected over <paramref name="path"/> left.</summary>
    public static void MemberLeft(Protocol.Media.MediaPath path) => Interlocked.Decrement(ref MembersOn(path));

    private static ref long MembersOn(Protocol.Media.MediaPath path)
    {
        switch (path)
        {
            case Protocol.Media.MediaPath.Tcp:
                return ref _membersTcp;
            case Protocol.Media.MediaPath.Relay:
                return ref _membersRelay;
            default:
                return ref _membersUdp;
        }
    }

    /// <summary>Creates the meter's instruments, so that they are exported from the node's start.</summary>
    public static void Enable()
    {
    }

    internal static void Register(MixerEngine engine)
    {
        lock (Gate) Engines.Add(engine);
    }

    internal static void Unregister(MixerEngine engine)
    {
        lock (Gate)
        {
            if (!Engines.Remove(engine)) return;
            var c = engine.Counters;
            _retiredTicks += c.Ticks;
            _retiredLate += c.LateTicks;
            _retiredMissed += c.MissedTicks;
            _retiredEncodes += c.Encodes;
            _retiredDecodes += c.Decodes;
            _retiredReceived += c.InboundReceived;
            _retiredSent += c.FramesSent;
            _retiredExpected += c.InboundExpected;
            _retiredForwards += c.Forwards;
        }
    }

    internal static void RecordTick(long stopwatchTicks) => TickDuration.Record(stopwatchTicks / (double)Stopwatch.Frequency);

    private static int Sum(Func<MixerEngine, int> read)
    {
        lock (Gate)
        {
            int sum = 0;
            foreach (var engine in Engines) sum += read(engine);
            return sum;
        }
    }

    private static long Total(Func<MixerEngine, long> read, long retired)
    {
        lock (Gate)
        {
            long sum = retired;
            foreach (var engine in Engines) sum += read(engine);
            return sum;
        }
    }

    private static long Lost()
    {
        lock (Gate)
        {
            long expected = Total(e => e.Counters.InboundExpected, _retiredExpected);
            long received = Total(e => e.Counters.InboundReceived, _retiredReceived);
            // A late packet counted missing can still arrive; the counter holds its highest value rather than go back.
            _lostReported = Math.Max(_lostReported, expected - received);
            return _lostReported;
        }
    }
}

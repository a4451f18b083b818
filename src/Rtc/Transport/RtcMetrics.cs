using System.Diagnostics;
using System.Diagnostics.Metrics;
using OpenChat.Rtc.Rtcp;

namespace OpenChat.Rtc.Transport;

/// <summary>
/// Node-wide figures of every <see cref="RtcEndpoint"/> in the process (meter <c>OpenChat.Rtc</c>): handshakes,
/// SRTP authentication failures, bytes on the wire, dropped datagrams, and what members' RTCP reports say about the
/// streams the node sends them. The packet paths add to plain <see cref="Interlocked"/> fields; the observable
/// instruments read them when metrics are collected, so measuring adds no work per packet beyond the addition.
/// </summary>
public static class RtcMetrics
{
    public const string MeterName = "OpenChat.Rtc";

    private static readonly Meter Meter = new(MeterName);

    internal static long HandshakesActive;
    internal static long HandshakesCompleted;
    internal static long HandshakesFailed;
    internal static long HandshakesRefused;
    internal static long SrtpAuthFailures;
    internal static long BytesSent;
    internal static long BytesReceived;
    internal static long DroppedUnknownSource;
    internal static long DroppedUnclassified;
    internal static long DroppedMalformed;
    internal static long SessionsConnectedUdp;
    internal static long SessionsConnectedTcp;
    internal static long TcpConnectionsOpen;

    private static readonly Histogram<double> HandshakeDuration = Meter.CreateHistogram<double>(
        "openchat.rtc.dtls.handshake.duration", "s", "Time from a DTLS handshake's start to its end, completed or failed.",
        tags: null, advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] });

    private static readonly Histogram<double> HandshakeCpu = Meter.CreateHistogram<double>(
        "openchat.rtc.dtls.handshake.cpu", "s", "CPU time the node spent on one DTLS handshake (its handshake thread), completed or failed.",
        tags: null, advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.0005, 0.001, 0.002, 0.004, 0.008, 0.016, 0.032, 0.064] });

    /// <summary>Interarrival jitter members report for the node's stream to them (RTCP, RFC 3550 6.4.1).</summary>
    private static readonly Histogram<double> RemoteJitter = Meter.CreateHistogram<double>(
        "openchat.media.rtcp.jitter", "s", "Interarrival jitter members' RTCP reports give for the stream the node sends them.",
        tags: null, advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.001, 0.0025, 0.005, 0.01, 0.02, 0.04, 0.08, 0.16, 0.32] });

    private static readonly Histogram<double> RoundTrip = Meter.CreateHistogram<double>(
        "openchat.media.rtcp.round_trip", "s", "Round-trip time to members, from the LSR and DLSR of their RTCP reports.",
        tags: null, advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.4, 0.8, 1.6] });

    private static readonly Histogram<double> FractionLost = Meter.CreateHistogram<double>(
        "openchat.media.rtcp.fraction_lost", null, "Fraction of the node's packets each RTCP report says the member lost since its previous report.",
        tags: null, advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1] });

    static RtcMetrics()
    {
        Meter.CreateObservableUpDownCounter("openchat.rtc.dtls.handshakes.active", () => Volatile.Read(ref HandshakesActive),
            "{handshake}", "DTLS handshakes in progress.");
        Meter.CreateObservableCounter("openchat.rtc.dtls.handshakes", () => new Measurement<long>[]
        {
            new(Volatile.Read(ref HandshakesCompleted), new KeyValuePair<string, object?>("outcome", "completed")),
            new(Volatile.Read(ref HandshakesFailed), new KeyValuePair<string, object?>("outcome", "failed")),
            new(Volatile.Read(ref HandshakesRefused), new KeyValuePair<string, object?>("outcome", "refused")),
        }, "{handshake}", "DTLS handshakes by outcome: completed, failed, or refused because a handshake cap was reached.");
        Meter.CreateObservableCounter("openchat.rtc.sessions.connected", () => new Measurement<long>[]
        {
            new(Volatile.Read(ref SessionsConnectedUdp), new KeyValuePair<string, object?>("transport", "udp")),
            new(Volatile.Read(ref SessionsConnectedTcp), new KeyValuePair<string, object?>("transport", "tcp")),
        }, "{session}", "Sessions whose DTLS handshake completed, by the transport of their path: udp, or tcp (ICE-TCP).");
        Meter.CreateObservableUpDownCounter("openchat.rtc.tcp.connections", () => Volatile.Read(ref TcpConnectionsOpen),
            "{connection}", "ICE-TCP connections open, checked or still waiting for their first ICE check.");
        Meter.CreateObservableCounter("openchat.rtc.srtp.auth_failures", () => Volatile.Read(ref SrtpAuthFailures),
            "{packet}", "SRTP and SRTCP packets refused: failed authentication, replayed, or malformed.");
        Meter.CreateObservableCounter("openchat.rtc.network.transmit", () => Volatile.Read(ref BytesSent),
            "By", "Packet bytes the media sockets sent (media, RTCP, STUN, DTLS; UDP payloads and ICE-TCP frames).");
        Meter.CreateObservableCounter("openchat.rtc.network.receive", () => Volatile.Read(ref BytesReceived),
            "By", "Packet bytes the media sockets received (UDP payloads and ICE-TCP frames).");
        Meter.CreateObservableCounter("openchat.rtc.datagrams.dropped", () => new Measurement<long>[]
        {
            new(Volatile.Read(ref DroppedUnknownSource), new KeyValuePair<string, object?>("reason", "unknown_source")),
            new(Volatile.Read(ref DroppedUnclassified), new KeyValuePair<string, object?>("reason", "unclassified")),
            new(Volatile.Read(ref DroppedMalformed), new KeyValuePair<string, object?>("reason", "malformed")),
        }, "{datagram}", "Datagrams dropped at the socket: from an address no session authorised, of no known protocol, or malformed STUN or DTLS.");
    }

    /// <summary>Creates the meter's instruments, so that they are exported from the node's start.</summary>
    public static void Enable()
    {
    }

    internal static void HandshakeStarted() => Interlocked.Increment(ref HandshakesActive);

    internal static void HandshakeEnded(bool completed, long startTimestamp, double? cpuSeconds)
    {
        Interlocked.Decrement(ref HandshakesActive);
        Interlocked.Increment(ref completed ? ref HandshakesCompleted : ref HandshakesFailed);
        HandshakeDuration.Record(Stopwatch.GetElapsedTime(startTimestamp).TotalSeconds);
        if (cpuSeconds is { } cpu) HandshakeCpu.Record(cpu);
    }

    /// <summary>
    /// Records one report block a member sent about the node's stream: loss, jitter (in 48 kHz RTP units) and, when it
    /// answers one of the node's sender reports, the round-trip time at <paramref name="nowNtp"/>.
    /// </summary>
    internal static void RecordReport(in RtcpReportBlock block, ulong nowNtp, int clockRate)
    {
        FractionLost.Record(block.FractionLost / 256.0);
        RemoteJitter.Record(block.Jitter / (double)clockRate);
        var rtt = RoundTripSeconds(block, nowNtp);
        if (rtt is { } seconds) RoundTrip.Record(seconds);
    }

    /// <summary>
    /// RFC 3550 6.4.1: the round trip is A - LSR - DLSR in the middle 32 bits of NTP time (1/65536 s), A being when the
    /// report arrived. Null when the report answers no sender report, or the result is negative (clocks disagree).
    /// </summary>
    public static double? RoundTripSeconds(in RtcpReportBlock block, ulong nowNtp)
    {
        if (block.LastSenderReport == 0) return null;
        uint arrival = (uint)(nowNtp >> 16);
        uint rtt = arrival - block.LastSenderReport - block.DelaySinceLastSenderReport;
        // A wrapped difference above ~18 h means the arrival came before LSR + DLSR: no valid figure.
        if (rtt > 0x1_0000u * 3600) return null;
        return rtt / 65536.0;
    }
}

using OpenChat.Rtc.Rtcp;
using OpenChat.Rtc.Transport;
using Xunit;

namespace OpenChat.Rtc.Tests.Rtcp;

/// <summary>The round trip from a receiver report's LSR and DLSR (RFC 3550 6.4.1), as the media metrics record it.</summary>
public sealed class RoundTripTests
{
    private static readonly DateTime SentAt = new(2026, 12, 6, 12, 0, 0, DateTimeKind.Utc);

    private static RtcpReportBlock Report(uint lsr, uint dlsr) => new(1, 0, 0, 0, 0, lsr, dlsr);

    private static uint Middle(DateTime time) => (uint)(RtcpSenderInfo.ToNtp(time) >> 16);

    [Fact]
    public void Round_trip_is_arrival_minus_the_echoed_sender_report_minus_the_receivers_delay()
    {
        // The peer held our sender report for 250 ms; the report arrives 310 ms after we sent it: 60 ms round trip.
        var block = Report(Middle(SentAt), 65536 / 4);
        var rtt = RtcMetrics.RoundTripSeconds(block, RtcpSenderInfo.ToNtp(SentAt.AddMilliseconds(310)));
        Assert.NotNull(rtt);
        Assert.InRange(rtt.Value, 0.0595, 0.0605);
    }

    [Fact]
    public void A_report_that_echoes_no_sender_report_gives_no_round_trip()
    {
        Assert.Null(RtcMetrics.RoundTripSeconds(Report(0, 0), RtcpSenderInfo.ToNtp(SentAt)));
    }

    [Fact]
    public void A_delay_longer_than_the_time_since_our_report_gives_no_round_trip()
    {
        // The receiver claims it held the report for 2 s, but only 1 s has passed: the figures disagree.
        var block = Report(Middle(SentAt), 2 * 65536);
        Assert.Null(RtcMetrics.RoundTripSeconds(block, RtcpSenderInfo.ToNtp(SentAt.AddSeconds(1))));
    }
}

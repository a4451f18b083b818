using OpenChat.Rtc.Rtcp;
using Xunit;

namespace OpenChat.Rtc.Tests.Rtcp;

public class RtcpTests
{
    [Fact]
    public void Compound_sender_report_and_sdes_round_trip()
    {
        var buffer = new byte[256];
        var info = new RtcpSenderInfo(RtcpSenderInfo.ToNtp(new DateTime(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc)), 48000, 50, 5000);
        RtcpReportBlock[] blocks = [new(0xAABBCCDD, 25, 10, 65536 + 99, 120, 0x11223344, 65536)];
        int n = RtcpWriter.WriteSenderReport(buffer, 0x01020304, info, blocks);
        n += RtcpWriter.WriteSourceDescription(buffer.AsSpan(n), 0x01020304, "openchat-cname");

        var reader = new RtcpCompoundReader(buffer.AsSpan(0, n));
        Assert.True(reader.TryReadNext(out var sr));
        Assert.Equal(RtcpPacketType.SenderReport, sr.Type);
        Assert.Equal(0x01020304u, sr.SenderSsrc);
        Assert.True(sr.TryGetSenderInfo(out var readInfo));
        Assert.Equal(info, readInfo);
        Assert.Equal(1, sr.ReportBlockCount);
        Assert.Equal(blocks[0], sr.GetReportBlock(0));
        Assert.True(reader.TryReadNext(out var sdes));
        Assert.Equal(RtcpPacketType.SourceDescription, sdes.Type);
        Assert.Equal(0, sdes.Data.Length % 4);
        Assert.False(reader.TryReadNext(out _));
        Assert.False(reader.Malformed);
    }

    [Fact]
    public void Negative_cumulative_loss_survives_the_24_bit_field()
    {
        var buffer = new byte[64];
        int n = RtcpWriter.WriteReceiverReport(buffer, 1, [new RtcpReportBlock(2, 0, -3, 100, 0, 0, 0)]);
        Assert.True(RtcpPacket.TryRead(buffer.AsSpan(0, n), out var rr, out _));
        Assert.Equal(-3, rr.GetReportBlock(0).CumulativeLost);
    }

    [Fact]
    public void Statistics_report_loss_and_wrap()
    {
        var stats = new RtpReceiveStatistics(77);
        ushort seq = 65500;
        double t = 0;
        uint ts = 0;
        for (int i = 0; i < 100; i++, seq++, ts += 960, t += 0.020)
        {
            if (i % 10 == 3)
            {
                continue; // lose one in ten
            }
            stats.Update(seq, ts, t);
        }
        var block = stats.CreateReportBlock();
        Assert.Equal(10, block.CumulativeLost);
        Assert.Equal((byte)(10 * 256 / 100), block.FractionLost);
        Assert.Equal(65536u + 63u, block.ExtendedHighestSequence); // 65500 + 99 wraps to 63 in cycle 1
        Assert.Equal(0u, block.Jitter); // perfectly paced arrivals
        // Next interval without loss: the fraction resets.
        for (int i = 0; i < 50; i++, seq++, ts += 960, t += 0.020)
        {
            stats.Update(seq, ts, t);
        }
        Assert.Equal(0, stats.CreateReportBlock().FractionLost);
    }

    [Fact]
    public void Statistics_measure_jitter()
    {
        var stats = new RtpReceiveStatistics(1);
        uint ts = 0;
        for (int i = 0; i < 200; i++, ts += 960)
        {
            double arrival = i * 0.020 + (i % 2 == 0 ? 0 : 0.010); // every other packet 10 ms late
            stats.Update((ushort)i, ts, arrival);
        }
        // |D| = 480 units each time; jitter converges to 480.
        Assert.InRange(stats.Jitter, 470u, 481u);
    }

    [Theory]
    [InlineData("80 c8 00 06 00 00 00 01")]                    // SR shorter than its length
    [InlineData("81 c9 00 01 00 00 00 01")]                    // RR claims a block it lacks
    [InlineData("80 6f 00 01 00 00 00 01")]                    // not an RTCP type
    [InlineData("80 c9 00 01 00 00 00 01 80 c9 00 09 00 00")]  // second packet truncated
    public void Malformed_compounds_are_flagged(string hex)
    {
        var reader = new RtcpCompoundReader(Hex.Parse(hex));
        while (reader.TryReadNext(out _))
        {
        }
        Assert.True(reader.Malformed);
    }
}

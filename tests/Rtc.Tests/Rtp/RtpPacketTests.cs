using OpenChat.Rtc.Rtp;
using Xunit;

namespace OpenChat.Rtc.Tests.Rtp;

public class RtpPacketTests
{
    [Fact]
    public void One_byte_extension_with_audio_level_round_trips()
    {
        var buffer = new byte[200];
        int h = RtpWriter.WriteHeader(buffer, marker: true, 111, 4660, 0xDEADBEEF, 0xCAFEBABE, hasExtension: true);
        var ext = new RtpHeaderExtensionWriter(buffer.AsSpan(h));
        ext.AddAudioLevel(1, 42, voice: true);
        ext.Add(3, [1, 2, 3]);
        h += ext.Complete();
        byte[] payload = [9, 8, 7, 6, 5];
        payload.CopyTo(buffer, h);

        Assert.True(RtpPacket.TryParse(buffer.AsSpan(0, h + payload.Length), out var p));
        Assert.True(p.Marker);
        Assert.Equal(111, p.PayloadType);
        Assert.Equal(4660, p.SequenceNumber);
        Assert.Equal(0xDEADBEEFu, p.Timestamp);
        Assert.Equal(0xCAFEBABEu, p.Ssrc);
        Assert.Equal(RtpPacket.OneByteExtensionProfile, p.ExtensionProfile);
        Assert.True(p.TryGetAudioLevel(1, out var level, out var voice));
        Assert.Equal(42, level);
        Assert.True(voice);
        Assert.True(p.TryGetExtension(3, out var three));
        Assert.Equal(new byte[] { 1, 2, 3 }, three.ToArray());
        Assert.False(p.TryGetExtension(2, out _));
        Assert.Equal(payload, p.Payload.ToArray());
    }

    [Fact]
    public void Two_byte_extension_and_csrcs_round_trip()
    {
        var buffer = new byte[400];
        uint[] csrcs = [11, 22, 33];
        int h = RtpWriter.WriteHeader(buffer, false, 96, 1, 2, 3, hasExtension: true, csrcs);
        var ext = new RtpHeaderExtensionWriter(buffer.AsSpan(h), twoByte: true);
        var big = Enumerable.Range(0, 40).Select(i => (byte)i).ToArray();
        ext.Add(200, big);
        ext.Add(5, ReadOnlySpan<byte>.Empty);
        h += ext.Complete();
        Assert.True(RtpPacket.TryParse(buffer.AsSpan(0, h + 10), out var p));
        Assert.Equal(3, p.CsrcCount);
        Assert.Equal(22u, p.GetCsrc(1));
        Assert.Equal(0x1000, p.ExtensionProfile);
        Assert.True(p.TryGetExtension(200, out var v));
        Assert.Equal(big, v.ToArray());
        Assert.True(p.TryGetExtension(5, out var empty));
        Assert.True(empty.IsEmpty);
        Assert.Equal(10, p.Payload.Length);
    }

    [Fact]
    public void Browser_style_packet_parses()
    {
        // Opus from Chromium: V=2 X=1, PT 111, one-byte extensions (audio level id 1, abs-send-time id 2...)
        var packet = Hex.Parse("90 6f 1a 2b 00 01 e2 40 11 22 33 44 be de 00 02 10 ff 22 01 02 03 00 00 fc ff fe");
        Assert.True(RtpPacket.TryParse(packet, out var p));
        Assert.True(p.TryGetAudioLevel(1, out var level, out var voice));
        Assert.Equal(127, level);
        Assert.True(voice);
        Assert.Equal(new byte[] { 0xfc, 0xff, 0xfe }, p.Payload.ToArray());
    }

    [Fact]
    public void Padding_is_excluded_from_payload()
    {
        var packet = Hex.Parse("a0 6f 00 01 00 00 00 01 00 00 00 01 aa bb 00 00 03");
        Assert.True(RtpPacket.TryParse(packet, out var p));
        Assert.Equal(3, p.PaddingLength);
        Assert.Equal(new byte[] { 0xaa, 0xbb }, p.Payload.ToArray());
    }

    [Theory]
    [InlineData("80 6f 00 01 00 00 00 01 00 00 00")]                      // short
    [InlineData("40 6f 00 01 00 00 00 01 00 00 00 01")]                   // version 1
    [InlineData("83 6f 00 01 00 00 00 01 00 00 00 01 00 00 00 02")]       // CSRC count beyond data
    [InlineData("90 6f 00 01 00 00 00 01 00 00 00 01 be de 00 05 10 ff")] // extension beyond data
    [InlineData("a0 6f 00 01 00 00 00 01 00 00 00 01 aa 10")]             // padding beyond data
    [InlineData("a0 6f 00 01 00 00 00 01 00 00 00 01 aa 00")]             // padding length zero
    public void Malformed_packets_are_refused(string hex)
    {
        Assert.False(RtpPacket.TryParse(Hex.Parse(hex), out _));
    }

    [Fact]
    public void Rtcp_is_told_apart_by_payload_type_byte()
    {
        Assert.True(RtpPacket.IsRtcp(Hex.Parse("80 c8 00 06")));
        Assert.True(RtpPacket.IsRtcp(Hex.Parse("81 c9 00 07")));
        Assert.False(RtpPacket.IsRtcp(Hex.Parse("80 6f 00 01")));
        Assert.False(RtpPacket.IsRtcp(Hex.Parse("80 ef 00 01"))); // PT 111 with marker
    }
}

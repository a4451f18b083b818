using OpenChat.Rtc.Transport;
using Xunit;

namespace OpenChat.Rtc.Tests.Transport;

public class PacketClassifierTests
{
    [Theory]
    [InlineData(0, PacketKind.Stun)]
    [InlineData(3, PacketKind.Stun)]
    [InlineData(4, PacketKind.Unknown)]
    [InlineData(16, PacketKind.Unknown)]   // ZRTP
    [InlineData(20, PacketKind.Dtls)]
    [InlineData(63, PacketKind.Dtls)]
    [InlineData(64, PacketKind.Unknown)]   // TURN channel
    [InlineData(127, PacketKind.Unknown)]
    [InlineData(128, PacketKind.Rtp)]
    [InlineData(191, PacketKind.Rtp)]
    [InlineData(192, PacketKind.Unknown)]
    [InlineData(255, PacketKind.Unknown)]
    public void First_byte_decides_per_rfc_7983(int first, PacketKind expected)
    {
        Assert.Equal(expected, PacketClassifier.Classify([(byte)first, 111, 0, 0]));
    }

    [Fact]
    public void Rtcp_is_told_from_rtp_by_the_second_byte()
    {
        Assert.Equal(PacketKind.Rtcp, PacketClassifier.Classify([0x81, 201, 0, 7]));
        Assert.Equal(PacketKind.Rtp, PacketClassifier.Classify([0x80, 0xEF, 0, 7]));
        Assert.Equal(PacketKind.Unknown, PacketClassifier.Classify([]));
    }

    [Fact]
    public void Fragmented_client_hello_is_recognised()
    {
        // record header (13) + handshake header: type 1, length 0x0600, seq 0, offset 0, fragment 0x0480
        var fragmented = Hex.Parse("16 fefd 0000 000000000000 048c 01 000600 0000 000000 000480 fefd");
        var whole = Hex.Parse("16 fefd 0000 000000000000 0030 01 000024 0000 000000 000024 fefd");
        var notHello = Hex.Parse("16 fefd 0000 000000000000 0030 02 000600 0000 000000 000480 fefd");
        Assert.True(RtcEndpoint.IsFragmentedClientHello(fragmented));
        Assert.False(RtcEndpoint.IsFragmentedClientHello(whole));
        Assert.False(RtcEndpoint.IsFragmentedClientHello(notHello));
        Assert.False(RtcEndpoint.IsFragmentedClientHello(fragmented[..20]));
    }
}

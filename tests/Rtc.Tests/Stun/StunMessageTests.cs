using System.Net;
using System.Text;
using OpenChat.Rtc.Stun;
using Xunit;

namespace OpenChat.Rtc.Tests.Stun;

public class StunMessageTests
{
    [Fact]
    public void Ice_binding_request_round_trips()
    {
        var key = Encoding.UTF8.GetBytes("server-password-0123456789");
        var tid = StunTransactionId.NewRandom();
        var buffer = new byte[512];
        var w = new StunWriter(buffer, StunMessageType.BindingRequest, tid);
        w.AddUsername("srv:cli");
        w.AddPriority(0x7e7f00ff);
        w.AddIceControlling(0x0102030405060708);
        w.AddUseCandidate();
        w.AddMessageIntegrity(key);
        w.AddFingerprint();
        var raw = w.Written.ToArray();

        Assert.True(StunMessage.TryParse(raw, out var msg));
        Assert.Equal(tid, msg.TransactionId);
        Assert.Equal("srv:cli", msg.Username);
        Assert.Equal(0x7e7f00ffu, msg.Priority);
        Assert.Equal(0x0102030405060708ul, msg.IceControlling);
        Assert.True(msg.UseCandidate);
        Assert.True(msg.CheckIntegrity(raw, key));
        Assert.True(msg.CheckFingerprint(raw));
    }

    [Fact]
    public void Ipv6_xor_mapped_address_round_trips()
    {
        var ep = new IPEndPoint(IPAddress.Parse("fe80::1:2:3:4"), 50000);
        var buffer = new byte[128];
        var w = new StunWriter(buffer, StunMessageType.BindingSuccessResponse, StunTransactionId.NewRandom());
        w.AddXorMappedAddress(ep.Address, ep.Port);
        w.AddFingerprint();
        Assert.True(StunMessage.TryParse(w.Written, out var msg));
        Assert.Equal(ep, msg.XorMappedAddress);
    }

    [Fact]
    public void Any_flipped_bit_breaks_integrity_or_fingerprint_or_parsing()
    {
        var raw = Rfc5769VectorTests.SampleRequest;
        var key = Encoding.UTF8.GetBytes("VOkJxbRl1RmTxUk/WvJxBt");
        for (int bit = 0; bit < raw.Length * 8; bit++)
        {
            var copy = (byte[])raw.Clone();
            copy[bit / 8] ^= (byte)(1 << (bit % 8));
            bool accepted = StunMessage.TryParse(copy, out var msg) && msg.CheckIntegrity(copy, key) && msg.CheckFingerprint(copy);
            Assert.False(accepted, $"bit {bit} flipped was accepted");
        }
    }

    [Theory]
    [InlineData("")]
    [InlineData("00 01 00 00 21 12 a4")]
    [InlineData("00 01 00 04 21 12 a4 42 00 00 00 00 00 00 00 00 00 00 00 00")]
    [InlineData("00 01 00 04 21 12 a4 42 00 00 00 00 00 00 00 00 00 00 00 00 00 06 00 08")]
    [InlineData("80 01 00 00 21 12 a4 42 00 00 00 00 00 00 00 00 00 00 00 00")]
    [InlineData("00 01 00 00 21 12 a4 43 00 00 00 00 00 00 00 00 00 00 00 00")]
    [InlineData("00 01 00 08 21 12 a4 42 00 00 00 00 00 00 00 00 00 00 00 00 00 24 00 02 00 00 00 00")]
    public void Malformed_messages_are_refused(string hex)
    {
        Assert.False(StunMessage.TryParse(Hex.Parse(hex), out _));
    }

    [Fact]
    public void Trailing_bytes_after_the_message_are_refused()
    {
        var padded = Rfc5769VectorTests.SampleRequest.Concat(new byte[] { 0, 0, 0, 0 }).ToArray();
        Assert.False(StunMessage.TryParse(padded, out _));
    }

    [Fact]
    public void Crc32_check_value()
    {
        Assert.Equal(0xCBF43926u, Crc32.Compute("123456789"u8));
    }
}

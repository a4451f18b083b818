using System.Net;
using System.Text;
using OpenChat.Rtc.Stun;
using Xunit;

namespace OpenChat.Rtc.Tests.Stun;

/// <summary>The sample messages of RFC 5769, byte for byte.</summary>
public class Rfc5769VectorTests
{
    private const string ShortTermPassword = "VOkJxbRl1RmTxUk/WvJxBt";

    internal static readonly byte[] SampleRequest = Hex.Parse("""
        00 01 00 58 21 12 a4 42 b7 e7 a7 01 bc 34 d6 86 fa 87 df ae
        80 22 00 10 53 54 55 4e 20 74 65 73 74 20 63 6c 69 65 6e 74
        00 24 00 04 6e 00 01 ff
        80 29 00 08 93 2f f9 b1 51 26 3b 36
        00 06 00 09 65 76 74 6a 3a 68 36 76 59 20 20 20
        00 08 00 14 9a ea a7 0c bf d8 cb 56 78 1e f2 b5 b2 d3 f2 49 c1 b5 71 a2
        80 28 00 04 e5 7a 3b cf
        """);

    internal static readonly byte[] SampleIpv4Response = Hex.Parse("""
        01 01 00 3c 21 12 a4 42 b7 e7 a7 01 bc 34 d6 86 fa 87 df ae
        80 22 00 0b 74 65 73 74 20 76 65 63 74 6f 72 20
        00 20 00 08 00 01 a1 47 e1 12 a6 43
        00 08 00 14 2b 91 f5 99 fd 9e 90 c3 8c 74 89 f9 2a f9 ba 53 f0 6b e7 d7
        80 28 00 04 c0 7d 4c 96
        """);

    internal static readonly byte[] SampleIpv6Response = Hex.Parse("""
        01 01 00 48 21 12 a4 42 b7 e7 a7 01 bc 34 d6 86 fa 87 df ae
        80 22 00 0b 74 65 73 74 20 76 65 63 74 6f 72 20
        00 20 00 14 00 02 a1 47 01 13 a9 fa a5 d3 f1 79 bc 25 f4 b5 be d2 b9 d9
        00 08 00 14 a3 82 95 4e 4b e6 7b f1 17 84 c9 7c 82 92 c2 75 bf e3 ed 41
        80 28 00 04 c8 fb 0b 4c
        """);

    internal static readonly byte[] SampleLongTermRequest = Hex.Parse("""
        00 01 00 60 21 12 a4 42 78 ad 34 33 c6 ad 72 c0 29 da 41 2e
        00 06 00 12 e3 83 9e e3 83 88 e3 83 aa e3 83 83 e3 82 af e3 82 b9 00 00
        00 15 00 1c 66 2f 2f 34 39 39 6b 39 35 34 64 36 4f 4c 33 34 6f 4c 39 46 53 54 76 79 36 34 73 41
        00 14 00 0b 65 78 61 6d 70 6c 65 2e 6f 72 67 00
        00 08 00 14 f6 70 24 65 6d d6 4a 3e 02 b8 e0 71 2e 85 c9 a2 8c a8 96 66
        """);

    private static readonly StunTransactionId SampleTransaction =
        StunTransactionId.Read(Hex.Parse("b7e7a701bc34d686fa87dfae"));

    [Fact]
    public void Sample_request_parses_and_verifies()
    {
        Assert.True(StunMessage.TryParse(SampleRequest, out var msg));
        Assert.Equal(StunMessageType.BindingRequest, msg.MessageType);
        Assert.Equal(SampleTransaction, msg.TransactionId);
        Assert.Equal("evtj:h6vY", msg.Username);
        Assert.Equal("STUN test client", msg.Software);
        Assert.Equal(0x6e0001ffu, msg.Priority);
        Assert.Equal(0x932ff9b151263b36ul, msg.IceControlled);
        Assert.True(msg.CheckIntegrity(SampleRequest, Encoding.UTF8.GetBytes(ShortTermPassword)));
        Assert.True(msg.CheckFingerprint(SampleRequest));
        Assert.False(msg.CheckIntegrity(SampleRequest, Encoding.UTF8.GetBytes("wrong password")));
    }

    [Fact]
    public void Sample_ipv4_response_parses_and_verifies()
    {
        Assert.True(StunMessage.TryParse(SampleIpv4Response, out var msg));
        Assert.Equal(StunMessageType.BindingSuccessResponse, msg.MessageType);
        Assert.Equal("test vector", msg.Software);
        Assert.Equal(new IPEndPoint(IPAddress.Parse("192.0.2.1"), 32853), msg.XorMappedAddress);
        Assert.True(msg.CheckIntegrity(SampleIpv4Response, Encoding.UTF8.GetBytes(ShortTermPassword)));
        Assert.True(msg.CheckFingerprint(SampleIpv4Response));
    }

    [Fact]
    public void Sample_ipv6_response_parses_and_verifies()
    {
        Assert.True(StunMessage.TryParse(SampleIpv6Response, out var msg));
        Assert.Equal(new IPEndPoint(IPAddress.Parse("2001:db8:1234:5678:11:2233:4455:6677"), 32853), msg.XorMappedAddress);
        Assert.True(msg.CheckIntegrity(SampleIpv6Response, Encoding.UTF8.GetBytes(ShortTermPassword)));
        Assert.True(msg.CheckFingerprint(SampleIpv6Response));
    }

    [Fact]
    public void Sample_long_term_request_verifies_with_md5_key()
    {
        Assert.True(StunMessage.TryParse(SampleLongTermRequest, out var msg));
        Assert.Equal("\u30DE\u30C8\u30EA\u30C3\u30AF\u30B9", msg.Username);
        Assert.Equal("example.org", msg.Realm);
        Assert.Equal("f//499k954d6OL34oL9FSTvy64sA", msg.Nonce);
        // SASLprep("The\u00ADM\u00AAtr\u2168") is "TheMatrIX" (RFC 5769 2.4).
        var key = StunMessage.LongTermKey(msg.Username!, msg.Realm!, "TheMatrIX");
        Assert.True(msg.CheckIntegrity(SampleLongTermRequest, key));
        Assert.Equal(-1, msg.FingerprintOffset);
    }

    [Theory]
    [InlineData("192.0.2.1", "00 01 a1 47 e1 12 a6 43")]
    [InlineData("2001:db8:1234:5678:11:2233:4455:6677", "00 02 a1 47 01 13 a9 fa a5 d3 f1 79 bc 25 f4 b5 be d2 b9 d9")]
    public void Writer_encodes_xor_mapped_address_as_the_samples(string address, string expectedValue)
    {
        var buffer = new byte[128];
        var writer = new StunWriter(buffer, StunMessageType.BindingSuccessResponse, SampleTransaction);
        writer.AddXorMappedAddress(IPAddress.Parse(address), 32853);
        Assert.Equal(Hex.Parse(expectedValue), buffer.AsSpan(24, writer.Length - 24).ToArray());
    }

    [Fact]
    public void Writer_reproduces_sample_integrity_when_padding_matches()
    {
        // The RFC pads with spaces; our writer pads with zeros. Rewriting the sample's attributes and
        // copying its padding bytes must give exactly its MESSAGE-INTEGRITY and FINGERPRINT.
        var buffer = new byte[256];
        var writer = new StunWriter(buffer, StunMessageType.BindingSuccessResponse, SampleTransaction);
        writer.AddString(StunAttributeType.Software, "test vector");
        buffer[35] = 0x20;
        writer.AddXorMappedAddress(IPAddress.Parse("192.0.2.1"), 32853);
        writer.AddMessageIntegrity(Encoding.UTF8.GetBytes(ShortTermPassword));
        writer.AddFingerprint();
        Assert.Equal(Hex.Of(SampleIpv4Response), Hex.Of(writer.Written));
    }
}

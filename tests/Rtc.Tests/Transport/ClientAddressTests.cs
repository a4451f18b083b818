using System.Net;
using OpenChat.Rtc.Transport;
using Xunit;

namespace OpenChat.Rtc.Tests.Transport;

public class ClientAddressTests
{
    private static ClientAddress Of(string address) => ClientAddress.From(IPAddress.Parse(address));

    [Fact]
    public void IPv4_counts_per_address_and_a_mapped_address_counts_as_its_IPv4_address()
    {
        Assert.Equal(Of("192.0.2.7"), Of("::ffff:192.0.2.7"));
        Assert.NotEqual(Of("192.0.2.7"), Of("192.0.2.8"));
        Assert.Equal("192.0.2.7/32", Of("192.0.2.7").ToString());
    }

    [Fact]
    public void IPv6_counts_per_64_bit_prefix()
    {
        Assert.Equal(Of("2001:db8:1:2::1"), Of("2001:db8:1:2:ffff:ffff:ffff:ffff"));
        Assert.NotEqual(Of("2001:db8:1:2::1"), Of("2001:db8:1:3::1"));
        Assert.NotEqual(Of("0.0.0.1"), Of("::1"));
        Assert.Equal("2001:db8:1:2::/64", Of("2001:db8:1:2::99").ToString());
    }
}

using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Xunit;

namespace OpenChat.MediaNode.Tests.Hosting;

/// <summary>OpenChat:Media:RtcAdvertisedAddresses and RtcBindAddresses: several addresses per node, IPv4 and IPv6.</summary>
public sealed class AdvertisedAddressesTests
{
    private static MediaNodeOptions Read(params (string Key, string Value)[] settings) => AdvertisedAddressFileTests.Read(settings);

    private static (string, string)[] List(string key, params string[] values) =>
        [.. values.Select((v, i) => ($"OpenChat:Media:{key}:{i}", v))];

    [Fact]
    public void A_list_keeps_its_order_and_a_single_address_is_a_list_of_one()
    {
        var both = List("RtcBindAddresses", "0.0.0.0", "::");
        var options = Read([.. both, .. List("RtcAdvertisedAddresses", "192.168.1.20", " 2001:db8::7 ", "203.0.113.7")]);
        Assert.Equal(["192.168.1.20", "2001:db8::7", "203.0.113.7"], options.RtcAdvertisedAddresses!);
        Assert.Equal([IPAddress.Any, IPAddress.IPv6Any], options.BindAddresses());

        var single = Read(("OpenChat:Media:RtcAdvertisedAddress", "198.51.100.4"));
        Assert.Equal([IPAddress.Parse("198.51.100.4")], single.AdvertisedAddresses()!);
        Assert.Equal([IPAddress.Loopback], single.BindAddresses());
        Assert.Null(Read().AdvertisedAddresses());
        // An IPv4-mapped address is its IPv4 address; loopback next to a public address is allowed (tests use it).
        Assert.Equal(["127.0.0.1", "192.0.2.1"], Read([.. List("RtcAdvertisedAddresses", "127.0.0.1", "::ffff:192.0.2.1")]).RtcAdvertisedAddresses!);
    }

    [Fact]
    public void Bad_lists_stop_the_start_with_the_setting_and_the_address_named()
    {
        string Error(params (string, string)[] settings) => Assert.Throws<ArgumentException>(() => Read(settings)).Message;

        Assert.Contains("'media.example.com' is not an IP address", Error(List("RtcAdvertisedAddresses", "203.0.113.7", "media.example.com")));
        Assert.Contains("RtcAdvertisedAddresses: 203.0.113.7 is listed twice", Error(List("RtcAdvertisedAddresses", "203.0.113.7", "203.0.113.7")));
        Assert.Contains("RtcAdvertisedAddresses takes 1 to 8 addresses, not 9",
            Error(List("RtcAdvertisedAddresses", [.. Enumerable.Range(1, 9).Select(i => $"192.0.2.{i}")])));
        Assert.Contains("only one", Error([("OpenChat:Media:RtcAdvertisedAddress", "192.0.2.1"), .. List("RtcAdvertisedAddresses", "192.0.2.2")]));
        var v6Unbound = Error([("OpenChat:Media:RtcBindAddress", "0.0.0.0"), .. List("RtcAdvertisedAddresses", "192.0.2.1", "2001:db8::1")]);
        Assert.Contains("2001:db8::1 is IPv6 but no IPv6 address is bound", v6Unbound);
        Assert.Contains("RtcBindAddresses", v6Unbound);
        Assert.Contains("0.0.0.0 is not an address browsers can reach", Error(List("RtcAdvertisedAddresses", "0.0.0.0")));
        Assert.Contains("at most one address per family", Error(List("RtcBindAddresses", "0.0.0.0", "127.0.0.1")));
        Assert.Contains("RtcBindAddress: 'localhost' is not an IP address", Error(("OpenChat:Media:RtcBindAddress", "localhost")));
    }

    [Fact]
    public void The_node_binds_both_families_on_one_port_and_answers_with_every_address()
    {
        var options = Read([.. List("RtcBindAddresses", "127.0.0.1", "::1"), .. List("RtcAdvertisedAddresses", "::1", "127.0.0.1")]);
        using var transport = new MediaTransportService(Options.Create(options), NullLogger<MediaTransportService>.Instance);
        var endpoint = transport.Endpoint;
        Assert.Equal([AddressFamily.InterNetwork, AddressFamily.InterNetworkV6], endpoint.LocalEndPoints.Select(e => e.AddressFamily));
        Assert.Single(endpoint.LocalEndPoints.Select(e => e.Port).Distinct());
        Assert.Equal([IPAddress.IPv6Loopback, IPAddress.Loopback], endpoint.AdvertisedEndPoints.Select(e => e.Address));

        var answer = endpoint.AcceptOffer(new OpenChat.Rtc.Transport.RtcClient().CreateSession().Offer).Sdp;
        int port = endpoint.LocalEndPoint.Port;
        Assert.Contains($"c=IN IP6 ::1\r\n", answer);
        Assert.Contains($"a=candidate:1 1 udp {(126u << 24) + (65535u << 8) + 255} ::1 {port} typ host\r\n", answer);
        Assert.Contains($"a=candidate:3 1 udp {(126u << 24) + (65534u << 8) + 255} 127.0.0.1 {port} typ host\r\n", answer);
    }
}

using System.Net;
using OpenChat.MediaNode;
using Xunit;

namespace OpenChat.MediaNode.Tests.Hosting;

/// <summary>Which addresses a media node takes for TURN relays: the IP addresses of the TURN URLs, and those listed.</summary>
public sealed class MediaPathClassifierTests
{
    [Theory]
    [InlineData("turn:198.51.100.7:3478?transport=udp", "198.51.100.7")]
    [InlineData("turns:198.51.100.7:443?transport=tcp", "198.51.100.7")]
    [InlineData("turn:198.51.100.7", "198.51.100.7")]
    [InlineData("turns:[2001:db8::7]:443?transport=tcp", "2001:db8::7")]
    [InlineData("stun:[2001:db8::7]", "2001:db8::7")]
    [InlineData("turn:turn.example.org:3478", null)]
    [InlineData("turns:[2001:db8::7:443", null)]
    [InlineData("not a url", null)]
    public void A_TURN_URL_names_a_relay_address_only_when_its_host_is_an_IP_address(string url, string? expected) =>
        Assert.Equal(expected is null ? null : IPAddress.Parse(expected), MediaPathClassifier.HostAddress(url));

    [Fact]
    public void The_relays_are_the_listed_addresses_and_those_of_the_URLs_with_mapped_IPv4_taken_as_IPv4()
    {
        var classifier = MediaPathClassifier.From(new MediaNodeOptions
        {
            TurnServers = ["turns:198.51.100.7:443?transport=tcp", "turn:turn.example.org:3478"],
            TurnRelayAddresses = ["::ffff:203.0.113.9", "2001:db8::9"],
        });
        Assert.Equal(new[] { "198.51.100.7", "203.0.113.9", "2001:db8::9" }.Order(),
            classifier.Relays.Select(a => a.ToString()).Order());
    }

    [Theory]
    [InlineData("turn.example.org")]
    [InlineData("198.51.100.300")]
    public void A_relay_address_that_is_not_an_IP_address_stops_the_start_naming_the_setting(string address)
    {
        var options = new MediaNodeOptions { TurnRelayAddresses = ["198.51.100.7", address] };
        var error = Assert.Throws<ArgumentException>(options.Validate);
        Assert.Contains("OpenChat:Media:TurnRelayAddresses:1", error.Message);
    }

    [Fact]
    public void At_most_32_relay_addresses()
    {
        var options = new MediaNodeOptions { TurnRelayAddresses = Enumerable.Range(1, 33).Select(i => $"198.51.100.{i}").ToArray() };
        Assert.Contains("at most 32", Assert.Throws<ArgumentException>(options.Validate).Message);
    }
}

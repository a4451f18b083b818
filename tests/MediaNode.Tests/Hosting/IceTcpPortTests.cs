using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using OpenChat.TestSupport;
using Xunit;

namespace OpenChat.MediaNode.Tests.Hosting;

/// <summary><c>OpenChat:Media:RtcTcpPort</c>: the media node's ICE-TCP listener, off unless set.</summary>
public sealed class IceTcpPortTests
{
    private static MediaNodeOptions Read(params (string Key, string Value)[] settings) => AdvertisedAddressFileTests.Read(settings);

    [Fact]
    public void Off_by_default_and_on_at_the_port_set()
    {
        using (var off = new MediaTransportService(Options.Create(Read()), NullLogger<MediaTransportService>.Instance))
        {
            Assert.Null(off.Endpoint.TcpLocalEndPoint);
        }
        int port = Probe.FreeTcpPort();
        using var on = new MediaTransportService(Options.Create(Read(("OpenChat:Media:RtcTcpPort", port.ToString()))),
            NullLogger<MediaTransportService>.Instance);
        Assert.Equal(port, on.Endpoint.TcpLocalEndPoint!.Port);
        Assert.Equal(port, on.Endpoint.TcpAdvertisedEndPoint!.Port);
    }

    [Fact]
    public void A_port_out_of_range_stops_the_start_with_the_setting_named()
    {
        Assert.Contains("OpenChat:Media:RtcTcpPort", Assert.Throws<ArgumentOutOfRangeException>(() => Read(("OpenChat:Media:RtcTcpPort", "70000"))).Message);
    }
}

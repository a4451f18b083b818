using System.Net;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OpenChat.Rtc.Transport;

namespace OpenChat.MediaNode;

/// <summary>The node's one WebRTC endpoint: a single UDP socket shared by every member of every room, and optionally one ICE-TCP listener.</summary>
public sealed class MediaTransportService : IDisposable
{
    public MediaTransportService(IOptions<MediaNodeOptions> options, ILogger<MediaTransportService> log)
    {
        var o = options.Value;
        Endpoint = new RtcEndpoint(new RtcEndpointOptions
        {
            BindAddress = IPAddress.Parse(o.RtcBindAddress),
            Port = o.RtcPort,
            TcpPort = o.RtcTcpPort == 0 ? null : o.RtcTcpPort,
            AdvertisedAddress = o.RtcAdvertisedAddress is null ? null : IPAddress.Parse(o.RtcAdvertisedAddress),
            ConsentTimeout = o.PeerTimeout,
            MaxHandshakesPerAddress = o.RtcMaxHandshakesPerAddress,
        });
        log.LogInformation("WebRTC endpoint on udp/{Local}, advertised as {Advertised}", Endpoint.LocalEndPoint, Endpoint.AdvertisedEndPoint);
        if (Endpoint.TcpLocalEndPoint is { } tcp)
        {
            log.LogInformation("ICE-TCP on tcp/{Local}, advertised as {Advertised}", tcp, Endpoint.TcpAdvertisedEndPoint);
        }
        Paths = MediaPathClassifier.From(o);
        if (Paths.Relays.Count > 0) log.LogInformation("Media from {Relays} counts as relayed (TURN)", string.Join(", ", Paths.Relays));
    }

    /// <summary>Tells how each session's media reaches the node: UDP, TCP or through a TURN relay.</summary>
    public MediaPathClassifier Paths { get; }

    public RtcEndpoint Endpoint { get; }

    public void Dispose() => Endpoint.Dispose();
}

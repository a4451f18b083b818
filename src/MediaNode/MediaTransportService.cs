using System.Net;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OpenChat.Rtc.Transport;

namespace OpenChat.MediaNode;

/// <summary>The node's one WebRTC endpoint: a UDP socket per address family bound, shared by every member of every room, and optionally an ICE-TCP listener each.</summary>
public sealed class MediaTransportService : IDisposable
{
    public MediaTransportService(IOptions<MediaNodeOptions> options, ILogger<MediaTransportService> log)
    {
        var o = options.Value;
        Endpoint = new RtcEndpoint(new RtcEndpointOptions
        {
            BindAddresses = o.BindAddresses(),
            Port = o.RtcPort,
            TcpPort = o.RtcTcpPort == 0 ? null : o.RtcTcpPort,
            AdvertisedAddresses = o.AdvertisedAddresses(),
            ConsentTimeout = o.PeerTimeout,
            MaxHandshakesPerAddress = o.RtcMaxHandshakesPerAddress,
        });
        log.LogInformation("WebRTC endpoint on udp/{Local}, advertised as {Advertised}",
            string.Join(", ", Endpoint.LocalEndPoints), string.Join(", ", Endpoint.AdvertisedEndPoints));
        if (Endpoint.TcpLocalEndPoints.Count > 0)
        {
            log.LogInformation("ICE-TCP on tcp/{Local}, advertised as {Advertised}",
                string.Join(", ", Endpoint.TcpLocalEndPoints), string.Join(", ", Endpoint.TcpAdvertisedEndPoints));
        }
        Paths = MediaPathClassifier.From(o);
        if (Paths.Relays.Count > 0) log.LogInformation("Media from {Relays} counts as relayed (TURN)", string.Join(", ", Paths.Relays));
    }

    /// <summary>Tells how each session's media reaches the node: UDP, TCP or through a TURN relay.</summary>
    public MediaPathClassifier Paths { get; }

    public RtcEndpoint Endpoint { get; }

    public void Dispose() => Endpoint.Dispose();
}

using System.Net;
using OpenChat.Protocol.Media;
using OpenChat.Rtc.Transport;

namespace OpenChat.MediaNode;

/// <summary>
/// Tells how a connected session's media reaches this node: over TCP when its path is an ICE-TCP connection, relayed
/// when its UDP path comes from a TURN relay's address (the IP addresses in <see cref="MediaNodeOptions.TurnServers"/>
/// and <see cref="MediaNodeOptions.TurnRelayAddresses"/>), and straight over UDP otherwise.
/// </summary>
public sealed class MediaPathClassifier
{
    private readonly HashSet<IPAddress> _relays;

    public MediaPathClassifier(IEnumerable<IPAddress> relays) => _relays = relays.Select(Normalise).ToHashSet();

    public static MediaPathClassifier From(MediaNodeOptions options) =>
        new(options.TurnRelayAddresses.Select(IPAddress.Parse).Concat(options.TurnServers.Select(HostAddress).OfType<IPAddress>()));

    /// <summary>The relay addresses known, for the log.</summary>
    public IReadOnlyCollection<IPAddress> Relays => _relays;

    /// <summary>The path of <paramref name="session"/>'s selected remote address; null before ICE selected one.</summary>
    public MediaPath? Classify(RtcSession session)
    {
        if (session.Transport is not { } transport || session.RemoteEndPoint is not { } remote) return null;
        if (transport == RtcTransport.Tcp) return MediaPath.Tcp;
        return _relays.Contains(Normalise(remote.Address)) ? MediaPath.Relay : MediaPath.Udp;
    }

    /// <summary>
    /// The host of a STUN or TURN URL (<c>turn:198.51.100.7:3478?transport=udp</c>, <c>turns:[2001:db8::7]:443</c>)
    /// when it is an IP address; null for a host name or anything else (the gateways validate the URLs).
    /// </summary>
    public static IPAddress? HostAddress(string url)
    {
        var colon = url.IndexOf(':');
        if (colon < 0) return null;
        var rest = url[(colon + 1)..];
        var query = rest.IndexOf('?');
        if (query >= 0) rest = rest[..query];
        string host;
        if (rest.StartsWith('['))
        {
            var end = rest.IndexOf(']');
            if (end < 0) return null;
            host = rest[1..end];
        }
        else
        {
            var port = rest.LastIndexOf(':');
            host = port >= 0 ? rest[..port] : rest;
        }
        return IPAddress.TryParse(host, out var address) ? address : null;
    }

    private static IPAddress Normalise(IPAddress address) => address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;
}

using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.HttpOverrides;

namespace OpenChat.Gateway.Edge;

/// <summary>
/// Which reverse proxies may tell the gateway a client's address (<c>X-Forwarded-For</c>, <c>X-Forwarded-Proto</c>).
/// ASP.NET Core believes loopback by default; here only the configured proxies count, so that a client connecting
/// directly cannot name any address it likes.
/// </summary>
public static class ForwardedHeadersSetup
{
    /// <summary>Parses <see cref="GatewayOptions.KnownProxies"/> and <see cref="GatewayOptions.KnownNetworks"/>; throws on a malformed entry.</summary>
    public static (IReadOnlyList<IPAddress> Proxies, IReadOnlyList<System.Net.IPNetwork> Networks) Parse(GatewayOptions options)
    {
        var proxies = new List<IPAddress>();
        foreach (var entry in options.KnownProxies ?? [])
        {
            if (!IPAddress.TryParse(entry?.Trim(), out var address))
                throw new ArgumentException($"OpenChat:Gateway:KnownProxies: '{entry}' is not an IP address.");
            proxies.Add(address);
        }
        var networks = new List<System.Net.IPNetwork>();
        foreach (var entry in options.KnownNetworks ?? [])
        {
            if (!System.Net.IPNetwork.TryParse(entry?.Trim(), out var network))
                throw new ArgumentException($"OpenChat:Gateway:KnownNetworks: '{entry}' is not a network in CIDR notation (10.0.0.0/8).");
            networks.Add(network);
        }
        return (proxies, networks);
    }

    public static ForwardedHeadersOptions Options(GatewayOptions gateway)
    {
        var (proxies, networks) = Parse(gateway);
        var options = new ForwardedHeadersOptions
        {
            ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto,
            // Walk back through the chain while each hop is a known proxy; the first unknown hop is the client.
            ForwardLimit = null,
        };
        options.KnownProxies.Clear();
        options.KnownIPNetworks.Clear();
        foreach (var proxy in proxies) options.KnownProxies.Add(proxy);
        foreach (var network in networks) options.KnownIPNetworks.Add(network);
        return options;
    }
}

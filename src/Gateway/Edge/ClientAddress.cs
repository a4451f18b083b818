using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Http;

namespace OpenChat.Gateway.Edge;

/// <summary>
/// The key under which a client's address is counted. An IPv4 address is its own key; an IPv6 address is keyed by
/// its /64, because one subscriber usually gets a whole /64 and could otherwise step through its addresses.
/// </summary>
public static class ClientAddress
{
    /// <summary>The key of an address that is not known (a test server without a socket).</summary>
    public const string Unknown = "unknown";

    public static string Key(IPAddress? address)
    {
        if (address is null) return Unknown;
        if (address.IsIPv4MappedToIPv6) address = address.MapToIPv4();
        if (address.AddressFamily != AddressFamily.InterNetworkV6) return address.ToString();
        Span<byte> bytes = stackalloc byte[16];
        address.TryWriteBytes(bytes, out _);
        bytes[8..].Clear();
        return new IPAddress(bytes).ToString() + "/64";
    }

    /// <summary>The key of the client behind a request, after forwarded headers from known proxies were applied.</summary>
    public static string Key(HttpContext? context) => Key(context?.Connection.RemoteIpAddress);
}

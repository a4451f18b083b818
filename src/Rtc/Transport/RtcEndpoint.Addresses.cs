using System.Globalization;
using System.Net;
using System.Net.Sockets;
using OpenChat.Rtc.Ice;

namespace OpenChat.Rtc.Transport;

/// <summary>
/// The addresses an endpoint binds (one socket per address family) and advertises (one host candidate per address and
/// transport, ranked in the order given).
/// </summary>
public sealed partial class RtcEndpoint
{
    private static IReadOnlyList<IPAddress> BindAddressesOf(RtcEndpointOptions options)
    {
        var bind = options.BindAddresses ?? [options.BindAddress];
        if (bind.Count is < 1 or > 2 || bind.Select(a => a.AddressFamily).Distinct().Count() != bind.Count)
        {
            throw new ArgumentException("Bind one or two addresses, at most one per address family (for example 0.0.0.0 and ::).", nameof(options));
        }
        foreach (var address in bind)
        {
            if (address.AddressFamily is not (AddressFamily.InterNetwork or AddressFamily.InterNetworkV6) || address.IsIPv4MappedToIPv6)
            {
                throw new ArgumentException($"Cannot bind {address}: give an IPv4 or an IPv6 address (not IPv4-mapped).", nameof(options));
            }
        }
        return bind;
    }

    private static IReadOnlyList<IPAddress> AdvertisedAddressesOf(RtcEndpointOptions options, IReadOnlyList<IPAddress> bind)
    {
        var advertised = options.AdvertisedAddresses
            ?? (options.AdvertisedAddress is { } one ? [one] : [.. bind.Select(DefaultAdvertised)]);
        if (advertised.Count is < 1 or > MaxAdvertisedAddresses)
        {
            throw new ArgumentException($"Advertise 1 to {MaxAdvertisedAddresses} addresses, not {advertised.Count}.", nameof(options));
        }
        for (int i = 0; i < advertised.Count; i++)
        {
            var address = advertised[i];
            if (address.Equals(IPAddress.Any) || address.Equals(IPAddress.IPv6Any) || address.IsIPv4MappedToIPv6)
            {
                throw new ArgumentException($"Cannot advertise {address}: browsers need the node's own address (IPv4-mapped addresses written as IPv4).", nameof(options));
            }
            if (!bind.Any(b => b.AddressFamily == address.AddressFamily))
            {
                throw new ArgumentException($"Cannot advertise {address}: no {(address.AddressFamily == AddressFamily.InterNetworkV6 ? "IPv6" : "IPv4")} address is bound.", nameof(options));
            }
            for (int j = 0; j < i; j++)
            {
                if (advertised[j].Equals(address))
                {
                    throw new ArgumentException($"{address} is advertised twice.", nameof(options));
                }
            }
        }
        return advertised;
    }

    /// <summary>
    /// Makes and binds one socket per address, all on one port (so each advertised address pairs with the same port).
    /// With port 0 the first socket picks a free one; if the next family has it taken, all are closed and tried again.
    /// IPv6 sockets are IPv6-only, so IPv4 peers always arrive on the IPv4 socket as plain IPv4 addresses.
    /// </summary>
    private static List<Socket> BindAll(IReadOnlyList<IPAddress> bind, int port, Func<AddressFamily, Socket> create)
    {
        for (int attempt = 1; ; attempt++)
        {
            var sockets = new List<Socket>(bind.Count);
            try
            {
                int next = port;
                foreach (var address in bind)
                {
                    var socket = create(address.AddressFamily);
                    sockets.Add(socket);
                    if (address.AddressFamily == AddressFamily.InterNetworkV6)
                    {
                        socket.DualMode = false;
                    }
                    socket.Bind(new IPEndPoint(address, next));
                    next = ((IPEndPoint)socket.LocalEndPoint!).Port;
                }
                return sockets;
            }
            catch (SocketException e) when (e.SocketErrorCode == SocketError.AddressAlreadyInUse && port == 0 && sockets.Count > 1 && attempt < 10)
            {
                sockets.ForEach(s => s.Dispose());
            }
            catch
            {
                sockets.ForEach(s => s.Dispose());
                throw;
            }
        }
    }

    private static IPAddress DefaultAdvertised(IPAddress bound) =>
        bound.Equals(IPAddress.Any) ? IPAddress.Loopback : bound.Equals(IPAddress.IPv6Any) ? IPAddress.IPv6Loopback : bound;

    /// <summary>
    /// The UDP host candidate on the advertised address at <paramref name="index"/> (RFC 8445 5.1.2): host type
    /// preference, a local preference that falls with the rank the address was given at, component 1, and a foundation
    /// of its own (odd numbers for UDP, even for TCP).
    /// </summary>
    internal static IceCandidate UdpCandidate(IPEndPoint endPoint, int index) =>
        new((2 * index + 1).ToString(CultureInfo.InvariantCulture), 1, "udp", UdpCandidatePriority(index), endPoint.Address, endPoint.Port, "host");

    /// <summary>The UDP candidate priority of the advertised address at <paramref name="index"/>.</summary>
    internal static uint UdpCandidatePriority(int index) => IceCandidate.ComputePriority(126, 65535 - index, 1);
}

using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace OpenChat.Rtc.Transport;

/// <summary>
/// The unit a per-client limit counts: an IPv4 address (/32), or the /64 prefix of an IPv6 address, which is what one
/// subscriber usually holds. IPv4-mapped IPv6 addresses count as their IPv4 address.
/// </summary>
public readonly record struct ClientAddress
{
    private readonly ulong _prefix;
    private readonly bool _isIPv6;

    private ClientAddress(ulong prefix, bool isIPv6)
    {
        _prefix = prefix;
        _isIPv6 = isIPv6;
    }

    /// <summary>The client address an IP address belongs to.</summary>
    public static ClientAddress From(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }
        Span<byte> bytes = stackalloc byte[16];
        address.TryWriteBytes(bytes, out int written);
        return address.AddressFamily == AddressFamily.InterNetworkV6
            ? new ClientAddress(BinaryPrimitives.ReadUInt64BigEndian(bytes), isIPv6: true)
            : new ClientAddress(BinaryPrimitives.ReadUInt32BigEndian(bytes[..written]), isIPv6: false);
    }

    /// <summary><c>192.0.2.7/32</c> or <c>2001:db8:1:2::/64</c>.</summary>
    public override string ToString()
    {
        if (!_isIPv6)
        {
            return $"{new IPAddress(BinaryPrimitives.ReverseEndianness((uint)_prefix))}/32";
        }
        var bytes = new byte[16];
        BinaryPrimitives.WriteUInt64BigEndian(bytes, _prefix);
        return $"{new IPAddress(bytes)}/64";
    }
}

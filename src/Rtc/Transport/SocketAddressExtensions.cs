using System.Net;
using System.Net.Sockets;

namespace OpenChat.Rtc.Transport;

/// <summary>Helpers for the allocation-free <see cref="SocketAddress"/> receive path.</summary>
internal static class SocketAddressExtensions
{
    private static readonly IPEndPoint V4Template = new(IPAddress.Any, 0);
    private static readonly IPEndPoint V6Template = new(IPAddress.IPv6Any, 0);

    /// <summary>Copies a (reused) receive address so it can be kept as a dictionary key.</summary>
    public static SocketAddress Clone(this SocketAddress address)
    {
        var copy = new SocketAddress(address.Family, address.Size);
        address.Buffer.Span[..address.Size].CopyTo(copy.Buffer.Span);
        return copy;
    }

    public static IPEndPoint ToIPEndPoint(this SocketAddress address) =>
        (IPEndPoint)(address.Family == AddressFamily.InterNetworkV6 ? V6Template : V4Template).Create(address);

    /// <summary>The raw bytes identifying the peer, for the DTLS cookie.</summary>
    public static byte[] ToClientId(this SocketAddress address) => address.Buffer.Span[..address.Size].ToArray();
}

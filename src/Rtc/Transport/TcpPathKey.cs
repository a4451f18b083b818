using System.Net;

namespace OpenChat.Rtc.Transport;

/// <summary>
/// Names a TCP connection in the endpoint's address tables: the peer's socket address with one marker byte appended.
/// A received UDP address never has that size, so a TCP path can never be taken for (or take over) a UDP source,
/// and sessions keep one kind of key for both transports.
/// </summary>
internal static class TcpPathKey
{
    private const byte Marker = (byte)'T';

    public static SocketAddress Create(IPEndPoint remote)
    {
        var address = remote.Serialize();
        var key = new SocketAddress(address.Family, address.Size + 1);
        address.Buffer.Span[..address.Size].CopyTo(key.Buffer.Span);
        key.Buffer.Span[address.Size] = Marker;
        return key;
    }

    public static bool IsTcp(SocketAddress address) => (address.Size & 1) == 1 && address.Buffer.Span[address.Size - 1] == Marker;
}

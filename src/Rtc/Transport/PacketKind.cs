using OpenChat.Rtc.Rtp;

namespace OpenChat.Rtc.Transport;

/// <summary>What a datagram on the shared port is, by its first byte (RFC 7983).</summary>
public enum PacketKind
{
    /// <summary>Anything else: dropped.</summary>
    Unknown,
    /// <summary>First byte 0-3.</summary>
    Stun,
    /// <summary>First byte 20-63.</summary>
    Dtls,
    /// <summary>First byte 128-191, payload type byte not RTCP.</summary>
    Rtp,
    /// <summary>First byte 128-191, second byte 192-223 (RFC 5761).</summary>
    Rtcp,
}

/// <summary>First-byte demultiplexing of RFC 7983.</summary>
public static class PacketClassifier
{
    /// <summary>Classifies <paramref name="datagram"/>.</summary>
    public static PacketKind Classify(ReadOnlySpan<byte> datagram)
    {
        if (datagram.IsEmpty)
        {
            return PacketKind.Unknown;
        }
        byte b = datagram[0];
        if (b <= 3)
        {
            return PacketKind.Stun;
        }
        if (b >= 20 && b <= 63)
        {
            return PacketKind.Dtls;
        }
        if (b >= 128 && b <= 191)
        {
            return RtpPacket.IsRtcp(datagram) ? PacketKind.Rtcp : PacketKind.Rtp;
        }
        return PacketKind.Unknown;
    }
}

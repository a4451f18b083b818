using System.Buffers.Binary;

namespace OpenChat.Rtc.Rtcp;

/// <summary>The sender information of a sender report (RFC 3550 6.4.1).</summary>
public readonly record struct RtcpSenderInfo(ulong NtpTimestamp, uint RtpTimestamp, uint PacketCount, uint OctetCount)
{
    /// <summary>Size on the wire.</summary>
    public const int Size = 20;

    /// <summary>The NTP timestamp for <paramref name="time"/> (seconds since 1900 in 32.32 fixed point).</summary>
    public static ulong ToNtp(DateTime time)
    {
        var since1900 = time.ToUniversalTime() - new DateTime(1900, 1, 1, 0, 0, 0, DateTimeKind.Utc);
        ulong seconds = (ulong)since1900.Ticks / TimeSpan.TicksPerSecond;
        ulong fraction = ((ulong)since1900.Ticks % TimeSpan.TicksPerSecond << 32) / TimeSpan.TicksPerSecond;
        return (seconds << 32) | fraction;
    }

    /// <summary>Reads the 20 bytes following the SSRC of an SR.</summary>
    public static RtcpSenderInfo Read(ReadOnlySpan<byte> s) => new(
        BinaryPrimitives.ReadUInt64BigEndian(s),
        BinaryPrimitives.ReadUInt32BigEndian(s[8..]),
        BinaryPrimitives.ReadUInt32BigEndian(s[12..]),
        BinaryPrimitives.ReadUInt32BigEndian(s[16..]));

    /// <summary>Writes 20 bytes.</summary>
    public void Write(Span<byte> d)
    {
        BinaryPrimitives.WriteUInt64BigEndian(d, NtpTimestamp);
        BinaryPrimitives.WriteUInt32BigEndian(d[8..], RtpTimestamp);
        BinaryPrimitives.WriteUInt32BigEndian(d[12..], PacketCount);
        BinaryPrimitives.WriteUInt32BigEndian(d[16..], OctetCount);
    }
}

using System.Buffers.Binary;

namespace OpenChat.Rtc.Rtcp;

/// <summary>One reception report block (RFC 3550 6.4.1): loss, highest sequence, jitter, LSR/DLSR.</summary>
public readonly record struct RtcpReportBlock(
    uint Ssrc,
    byte FractionLost,
    int CumulativeLost,
    uint ExtendedHighestSequence,
    uint Jitter,
    uint LastSenderReport,
    uint DelaySinceLastSenderReport)
{
    /// <summary>Size on the wire.</summary>
    public const int Size = 24;

    /// <summary>Reads a block from 24 bytes.</summary>
    public static RtcpReportBlock Read(ReadOnlySpan<byte> s)
    {
        int lost = (s[5] << 16) | (s[6] << 8) | s[7];
        if ((lost & 0x800000) != 0)
        {
            lost |= unchecked((int)0xFF000000); // 24-bit two's complement
        }
        return new RtcpReportBlock(
            BinaryPrimitives.ReadUInt32BigEndian(s),
            s[4],
            lost,
            BinaryPrimitives.ReadUInt32BigEndian(s[8..]),
            BinaryPrimitives.ReadUInt32BigEndian(s[12..]),
            BinaryPrimitives.ReadUInt32BigEndian(s[16..]),
            BinaryPrimitives.ReadUInt32BigEndian(s[20..]));
    }

    /// <summary>Writes the block into 24 bytes.</summary>
    public void Write(Span<byte> d)
    {
        BinaryPrimitives.WriteUInt32BigEndian(d, Ssrc);
        d[4] = FractionLost;
        int lost = Math.Clamp(CumulativeLost, -0x800000, 0x7FFFFF);
        d[5] = (byte)(lost >> 16);
        d[6] = (byte)(lost >> 8);
        d[7] = (byte)lost;
        BinaryPrimitives.WriteUInt32BigEndian(d[8..], ExtendedHighestSequence);
        BinaryPrimitives.WriteUInt32BigEndian(d[12..], Jitter);
        BinaryPrimitives.WriteUInt32BigEndian(d[16..], LastSenderReport);
        BinaryPrimitives.WriteUInt32BigEndian(d[20..], DelaySinceLastSenderReport);
    }
}

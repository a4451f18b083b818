using System.Buffers.Binary;
using System.Text;

namespace OpenChat.Rtc.Rtcp;

/// <summary>Writes RTCP packets into spans; concatenate the results for a compound packet.</summary>
public static class RtcpWriter
{
    private static void WriteHeader(Span<byte> d, int count, RtcpPacketType type, int lengthBytes)
    {
        d[0] = (byte)(0x80 | (count & 0x1F));
        d[1] = (byte)type;
        BinaryPrimitives.WriteUInt16BigEndian(d[2..], (ushort)(lengthBytes / 4 - 1));
    }

    /// <summary>Writes a sender report; returns its length.</summary>
    public static int WriteSenderReport(Span<byte> d, uint ssrc, in RtcpSenderInfo info, ReadOnlySpan<RtcpReportBlock> blocks)
    {
        if (blocks.Length > 31)
        {
            throw new ArgumentOutOfRangeException(nameof(blocks), "At most 31 report blocks.");
        }
        int length = 8 + RtcpSenderInfo.Size + blocks.Length * RtcpReportBlock.Size;
        WriteHeader(d, blocks.Length, RtcpPacketType.SenderReport, length);
        BinaryPrimitives.WriteUInt32BigEndian(d[4..], ssrc);
        info.Write(d[8..]);
        for (int i = 0; i < blocks.Length; i++)
        {
            blocks[i].Write(d[(28 + i * RtcpReportBlock.Size)..]);
        }
        return length;
    }

    /// <summary>Writes a receiver report; returns its length.</summary>
    public static int WriteReceiverReport(Span<byte> d, uint ssrc, ReadOnlySpan<RtcpReportBlock> blocks)
    {
        if (blocks.Length > 31)
        {
            throw new ArgumentOutOfRangeException(nameof(blocks), "At most 31 report blocks.");
        }
        int length = 8 + blocks.Length * RtcpReportBlock.Size;
        WriteHeader(d, blocks.Length, RtcpPacketType.ReceiverReport, length);
        BinaryPrimitives.WriteUInt32BigEndian(d[4..], ssrc);
        for (int i = 0; i < blocks.Length; i++)
        {
            blocks[i].Write(d[(8 + i * RtcpReportBlock.Size)..]);
        }
        return length;
    }

    /// <summary>Writes an SDES packet with one chunk carrying CNAME; returns its length.</summary>
    public static int WriteSourceDescription(Span<byte> d, uint ssrc, string cname)
    {
        int nameLength = Encoding.UTF8.GetByteCount(cname);
        if (nameLength > 255)
        {
            throw new ArgumentException("CNAME longer than 255 bytes.", nameof(cname));
        }
        // chunk: SSRC, item (type 1, length, text), then at least one zero byte, padded to 32 bits.
        int chunk = 4 + 2 + nameLength + 1;
        chunk = (chunk + 3) & ~3;
        int length = 4 + chunk;
        d[..length].Clear();
        WriteHeader(d, 1, RtcpPacketType.SourceDescription, length);
        BinaryPrimitives.WriteUInt32BigEndian(d[4..], ssrc);
        d[8] = 1;
        d[9] = (byte)nameLength;
        Encoding.UTF8.GetBytes(cname, d[10..]);
        return length;
    }

    /// <summary>Writes a BYE for one SSRC; returns its length.</summary>
    public static int WriteGoodbye(Span<byte> d, uint ssrc)
    {
        WriteHeader(d, 1, RtcpPacketType.Goodbye, 8);
        BinaryPrimitives.WriteUInt32BigEndian(d[4..], ssrc);
        return 8;
    }
}

using System.Buffers.Binary;

namespace OpenChat.Rtc.Rtcp;

/// <summary>One RTCP packet inside a compound packet, viewed over a span.</summary>
public readonly ref struct RtcpPacket
{
    /// <summary>Length of the common header.</summary>
    public const int HeaderLength = 4;

    private RtcpPacket(ReadOnlySpan<byte> data) => Data = data;

    /// <summary>The whole packet (header included, padding included).</summary>
    public ReadOnlySpan<byte> Data { get; }

    /// <summary>Packet type.</summary>
    public RtcpPacketType Type => (RtcpPacketType)Data[1];

    /// <summary>Report count or subtype (5 bits).</summary>
    public int Count => Data[0] & 0x1F;

    /// <summary>Sender SSRC (the first word after the header).</summary>
    public uint SenderSsrc => BinaryPrimitives.ReadUInt32BigEndian(Data[4..]);

    /// <summary>Sender info of an SR.</summary>
    public bool TryGetSenderInfo(out RtcpSenderInfo info)
    {
        info = default;
        if (Type != RtcpPacketType.SenderReport || Data.Length < 8 + RtcpSenderInfo.Size)
        {
            return false;
        }
        info = RtcpSenderInfo.Read(Data[8..]);
        return true;
    }

    /// <summary>Number of report blocks actually present in an SR or RR.</summary>
    public int ReportBlockCount
    {
        get
        {
            int start = ReportBlocksOffset;
            if (start < 0)
            {
                return 0;
            }
            return Math.Min(Count, (Data.Length - start) / RtcpReportBlock.Size);
        }
    }

    private int ReportBlocksOffset => Type switch
    {
        RtcpPacketType.SenderReport => 8 + RtcpSenderInfo.Size,
        RtcpPacketType.ReceiverReport => 8,
        _ => -1,
    };

    /// <summary>Report block <paramref name="i"/> of an SR or RR.</summary>
    public RtcpReportBlock GetReportBlock(int i) =>
        RtcpReportBlock.Read(Data.Slice(ReportBlocksOffset + i * RtcpReportBlock.Size, RtcpReportBlock.Size));

    /// <summary>Reads the packet at the start of <paramref name="data"/>; <paramref name="length"/> is its size.</summary>
    public static bool TryRead(ReadOnlySpan<byte> data, out RtcpPacket packet, out int length)
    {
        packet = default;
        length = 0;
        if (data.Length < 8 || (data[0] >> 6) != 2)
        {
            return false;
        }
        length = 4 * (BinaryPrimitives.ReadUInt16BigEndian(data[2..]) + 1);
        if (length > data.Length)
        {
            return false;
        }
        var type = data[1];
        if (type < 192 || type > 223)
        {
            return false;
        }
        int minimum = (RtcpPacketType)type switch
        {
            RtcpPacketType.SenderReport => 8 + RtcpSenderInfo.Size + (data[0] & 0x1F) * RtcpReportBlock.Size,
            RtcpPacketType.ReceiverReport => 8 + (data[0] & 0x1F) * RtcpReportBlock.Size,
            _ => 4,
        };
        if (minimum > length)
        {
            return false;
        }
        packet = new RtcpPacket(data[..length]);
        return true;
    }
}

using System.Buffers.Binary;

namespace OpenChat.Rtc.Rtp;

/// <summary>Writes RTP headers into a span.</summary>
public static class RtpWriter
{
    /// <summary>Writes the fixed header and CSRCs; returns the bytes written. Set <paramref name="hasExtension"/> when an extension follows.</summary>
    public static int WriteHeader(Span<byte> destination, bool marker, byte payloadType, ushort sequenceNumber,
        uint timestamp, uint ssrc, bool hasExtension = false, ReadOnlySpan<uint> csrcs = default)
    {
        if (csrcs.Length > 15)
        {
            throw new ArgumentOutOfRangeException(nameof(csrcs), "At most 15 CSRCs.");
        }
        destination[0] = (byte)(0x80 | (hasExtension ? 0x10 : 0) | csrcs.Length);
        destination[1] = (byte)((marker ? 0x80 : 0) | (payloadType & 0x7F));
        BinaryPrimitives.WriteUInt16BigEndian(destination[2..], sequenceNumber);
        BinaryPrimitives.WriteUInt32BigEndian(destination[4..], timestamp);
        BinaryPrimitives.WriteUInt32BigEndian(destination[8..], ssrc);
        int offset = RtpPacket.FixedHeaderLength;
        foreach (uint csrc in csrcs)
        {
            BinaryPrimitives.WriteUInt32BigEndian(destination[offset..], csrc);
            offset += 4;
        }
        return offset;
    }
}

using System.Buffers.Binary;

namespace OpenChat.Rtc.Rtp;

/// <summary>A read-only view of an RTP packet (RFC 3550) over a span; parsing allocates nothing.</summary>
public readonly ref struct RtpPacket
{
    /// <summary>Length of the fixed RTP header.</summary>
    public const int FixedHeaderLength = 12;

    /// <summary>Profile of one-byte header extensions (RFC 8285).</summary>
    public const ushort OneByteExtensionProfile = 0xBEDE;

    private readonly ReadOnlySpan<byte> _data;

    private RtpPacket(ReadOnlySpan<byte> data, int headerLength, int extensionOffset, int extensionLength, int paddingLength)
    {
        _data = data;
        HeaderLength = headerLength;
        ExtensionOffset = extensionOffset;
        ExtensionLength = extensionLength;
        PaddingLength = paddingLength;
    }

    /// <summary>Whole packet.</summary>
    public ReadOnlySpan<byte> Data => _data;

    /// <summary>Header length including CSRCs and extension.</summary>
    public int HeaderLength { get; }

    /// <summary>Offset of the extension data (after its 4-byte header), or 0 if none.</summary>
    public int ExtensionOffset { get; }

    /// <summary>Length of the extension data in bytes.</summary>
    public int ExtensionLength { get; }

    /// <summary>Number of padding bytes at the end (P bit).</summary>
    public int PaddingLength { get; }

    /// <summary>Marker bit.</summary>
    public bool Marker => (_data[1] & 0x80) != 0;

    /// <summary>Payload type (7 bits).</summary>
    public byte PayloadType => (byte)(_data[1] & 0x7F);

    /// <summary>Sequence number.</summary>
    public ushort SequenceNumber => BinaryPrimitives.ReadUInt16BigEndian(_data[2..]);

    /// <summary>RTP timestamp.</summary>
    public uint Timestamp => BinaryPrimitives.ReadUInt32BigEndian(_data[4..]);

    /// <summary>Synchronisation source.</summary>
    public uint Ssrc => BinaryPrimitives.ReadUInt32BigEndian(_data[8..]);

    /// <summary>Number of contributing sources.</summary>
    public int CsrcCount => _data[0] & 0x0F;

    /// <summary>Contributing source <paramref name="i"/>.</summary>
    public uint GetCsrc(int i) => BinaryPrimitives.ReadUInt32BigEndian(_data[(FixedHeaderLength + 4 * i)..]);

    /// <summary>Whether a header extension is present.</summary>
    public bool HasExtension => (_data[0] & 0x10) != 0;

    /// <summary>The extension profile (0xBEDE for one-byte, 0x100X for two-byte), or 0.</summary>
    public ushort ExtensionProfile => HasExtension ? BinaryPrimitives.ReadUInt16BigEndian(_data[(ExtensionOffset - 4)..]) : (ushort)0;

    /// <summary>Payload without padding.</summary>
    public ReadOnlySpan<byte> Payload => _data[HeaderLength..(_data.Length - PaddingLength)];

    /// <summary>True when the second byte says RTCP (payload types 64-95 are reserved for RTCP under rtcp-mux, RFC 5761).</summary>
    public static bool IsRtcp(ReadOnlySpan<byte> data) => data.Length >= 2 && data[1] >= 192 && data[1] <= 223;

    /// <summary>Computes the header length (fixed, CSRCs, extension) without other validation.</summary>
    public static bool TryGetHeaderLength(ReadOnlySpan<byte> data, out int headerLength)
    {
        headerLength = 0;
        if (data.Length < FixedHeaderLength || (data[0] >> 6) != 2)
        {
            return false;
        }
        int length = FixedHeaderLength + 4 * (data[0] & 0x0F);
        if ((data[0] & 0x10) != 0)
        {
            if (data.Length < length + 4)
            {
                return false;
            }
            length += 4 + 4 * BinaryPrimitives.ReadUInt16BigEndian(data[(length + 2)..]);
        }
        if (length > data.Length)
        {
            return false;
        }
        headerLength = length;
        return true;
    }

    /// <summary>Parses an RTP packet; returns false if malformed.</summary>
    public static bool TryParse(ReadOnlySpan<byte> data, out RtpPacket packet)
    {
        packet = default;
        if (!TryGetHeaderLength(data, out int headerLength))
        {
            return false;
        }
        int extensionOffset = 0;
        int extensionLength = 0;
        if ((data[0] & 0x10) != 0)
        {
            int extHeader = FixedHeaderLength + 4 * (data[0] & 0x0F);
            extensionOffset = extHeader + 4;
            extensionLength = headerLength - extensionOffset;
        }
        int padding = 0;
        if ((data[0] & 0x20) != 0)
        {
            padding = data[^1];
            if (padding == 0 || headerLength + padding > data.Length)
            {
                return false;
            }
        }
        packet = new RtpPacket(data, headerLength, extensionOffset, extensionLength, padding);
        return true;
    }

    /// <summary>Finds header extension element <paramref name="id"/> (one-byte or two-byte form, RFC 8285).</summary>
    public bool TryGetExtension(int id, out ReadOnlySpan<byte> value)
    {
        value = default;
        if (!HasExtension || id <= 0)
        {
            return false;
        }
        var ext = _data.Slice(ExtensionOffset, ExtensionLength);
        ushort profile = ExtensionProfile;
        bool oneByte = profile == OneByteExtensionProfile;
        bool twoByte = (profile & 0xFFF0) == 0x1000;
        if (!oneByte && !twoByte)
        {
            return false;
        }
        int i = 0;
        while (i < ext.Length)
        {
            if (ext[i] == 0)
            {
                i++; // padding
                continue;
            }
            int elementId;
            int length;
            if (oneByte)
            {
                elementId = ext[i] >> 4;
                length = (ext[i] & 0x0F) + 1;
                if (elementId == 15)
                {
                    return false; // reserved: stop processing
                }
                i++;
            }
            else
            {
                if (i + 1 >= ext.Length)
                {
                    return false;
                }
                elementId = ext[i];
                length = ext[i + 1];
                i += 2;
            }
            if (i + length > ext.Length)
            {
                return false;
            }
            if (elementId == id)
            {
                value = ext.Slice(i, length);
                return true;
            }
            i += length;
        }
        return false;
    }

    /// <summary>Reads an RFC 6464 audio level element: level in -dBov (0 loudest .. 127 silence) and the voice flag.</summary>
    public bool TryGetAudioLevel(int id, out byte level, out bool voice)
    {
        level = 0;
        voice = false;
        if (id <= 0 || !TryGetExtension(id, out var value) || value.Length < 1)
        {
            return false;
        }
        level = (byte)(value[0] & 0x7F);
        voice = (value[0] & 0x80) != 0;
        return true;
    }
}

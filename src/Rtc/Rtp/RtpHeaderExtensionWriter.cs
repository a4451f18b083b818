using System.Buffers.Binary;

namespace OpenChat.Rtc.Rtp;

/// <summary>Writes an RTP header extension block (RFC 8285) in one-byte or two-byte form.</summary>
public ref struct RtpHeaderExtensionWriter
{
    private readonly Span<byte> _buffer;
    private readonly bool _twoByte;
    private int _length;

    /// <summary>Starts an extension block at <paramref name="destination"/> (right after the CSRCs).</summary>
    public RtpHeaderExtensionWriter(Span<byte> destination, bool twoByte = false)
    {
        _buffer = destination;
        _twoByte = twoByte;
        BinaryPrimitives.WriteUInt16BigEndian(destination, twoByte ? (ushort)0x1000 : RtpPacket.OneByteExtensionProfile);
        _length = 4;
    }

    /// <summary>Adds element <paramref name="id"/>.</summary>
    public void Add(int id, scoped ReadOnlySpan<byte> value)
    {
        if (_twoByte)
        {
            if (id is < 1 or > 255 || value.Length > 255)
            {
                throw new ArgumentOutOfRangeException(nameof(id), "Two-byte elements: id 1-255, up to 255 bytes.");
            }
            _buffer[_length++] = (byte)id;
            _buffer[_length++] = (byte)value.Length;
        }
        else
        {
            if (id is < 1 or > 14 || value.Length is < 1 or > 16)
            {
                throw new ArgumentOutOfRangeException(nameof(id), "One-byte elements: id 1-14, 1 to 16 bytes.");
            }
            _buffer[_length++] = (byte)((id << 4) | (value.Length - 1));
        }
        value.CopyTo(_buffer[_length..]);
        _length += value.Length;
    }

    /// <summary>Adds an RFC 6464 audio level element (level 0-127 in -dBov).</summary>
    public void AddAudioLevel(int id, byte level, bool voice)
    {
        Span<byte> v = [(byte)((voice ? 0x80 : 0) | (level & 0x7F))];
        Add(id, v);
    }

    /// <summary>Pads to a 32-bit boundary, fills in the length, and returns the total bytes of the block.</summary>
    public int Complete()
    {
        while ((_length & 3) != 0)
        {
            _buffer[_length++] = 0;
        }
        BinaryPrimitives.WriteUInt16BigEndian(_buffer[2..], (ushort)((_length - 4) / 4));
        return _length;
    }
}

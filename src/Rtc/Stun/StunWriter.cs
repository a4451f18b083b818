using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace OpenChat.Rtc.Stun;

/// <summary>Writes a STUN message attribute by attribute into a caller-supplied span.</summary>
/// <remarks>MESSAGE-INTEGRITY and FINGERPRINT must come last, in that order.</remarks>
public ref struct StunWriter
{
    private readonly Span<byte> _buffer;
    private readonly StunTransactionId _transactionId;
    private int _length;

    /// <summary>Starts a message of <paramref name="type"/> in <paramref name="buffer"/>.</summary>
    public StunWriter(Span<byte> buffer, StunMessageType type, StunTransactionId transactionId)
    {
        if (buffer.Length < StunMessage.HeaderLength)
        {
            throw new ArgumentException("Buffer too small for a STUN header.", nameof(buffer));
        }
        _buffer = buffer;
        _transactionId = transactionId;
        BinaryPrimitives.WriteUInt16BigEndian(buffer, (ushort)type);
        BinaryPrimitives.WriteUInt16BigEndian(buffer[2..], 0);
        BinaryPrimitives.WriteUInt32BigEndian(buffer[4..], StunMessage.MagicCookie);
        transactionId.Write(buffer[8..]);
        _length = StunMessage.HeaderLength;
    }

    /// <summary>Bytes written so far, i.e. the message length once complete.</summary>
    public readonly int Length => _length;

    /// <summary>The written message.</summary>
    public readonly ReadOnlySpan<byte> Written => _buffer[.._length];

    private Span<byte> Begin(StunAttributeType type, int valueLength)
    {
        int padded = (valueLength + 3) & ~3;
        if (_length + 4 + padded > _buffer.Length)
        {
            throw new ArgumentException("STUN buffer too small.");
        }
        var attr = _buffer.Slice(_length, 4 + padded);
        BinaryPrimitives.WriteUInt16BigEndian(attr, (ushort)type);
        BinaryPrimitives.WriteUInt16BigEndian(attr[2..], (ushort)valueLength);
        attr[(4 + valueLength)..].Clear();
        _length += 4 + padded;
        BinaryPrimitives.WriteUInt16BigEndian(_buffer[2..], (ushort)(_length - StunMessage.HeaderLength));
        return attr.Slice(4, valueLength);
    }

    /// <summary>Adds a UTF-8 string attribute (USERNAME, SOFTWARE, ...).</summary>
    public void AddString(StunAttributeType type, string value)
    {
        int count = Encoding.UTF8.GetByteCount(value);
        Encoding.UTF8.GetBytes(value, Begin(type, count));
    }

    /// <summary>Adds USERNAME.</summary>
    public void AddUsername(string username) => AddString(StunAttributeType.Username, username);

    /// <summary>Adds PRIORITY.</summary>
    public void AddPriority(uint priority) => BinaryPrimitives.WriteUInt32BigEndian(Begin(StunAttributeType.Priority, 4), priority);

    /// <summary>Adds USE-CANDIDATE.</summary>
    public void AddUseCandidate() => Begin(StunAttributeType.UseCandidate, 0);

    /// <summary>Adds ICE-CONTROLLING with a tie breaker.</summary>
    public void AddIceControlling(ulong tieBreaker) => BinaryPrimitives.WriteUInt64BigEndian(Begin(StunAttributeType.IceControlling, 8), tieBreaker);

    /// <summary>Adds ICE-CONTROLLED with a tie breaker.</summary>
    public void AddIceControlled(ulong tieBreaker) => BinaryPrimitives.WriteUInt64BigEndian(Begin(StunAttributeType.IceControlled, 8), tieBreaker);

    /// <summary>Adds ERROR-CODE.</summary>
    public void AddErrorCode(int code, string reason)
    {
        int count = Encoding.UTF8.GetByteCount(reason);
        var value = Begin(StunAttributeType.ErrorCode, 4 + count);
        value[0] = 0;
        value[1] = 0;
        value[2] = (byte)(code / 100);
        value[3] = (byte)(code % 100);
        Encoding.UTF8.GetBytes(reason, value[4..]);
    }

    /// <summary>Adds XOR-MAPPED-ADDRESS for an IPv4 or IPv6 endpoint.</summary>
    public void AddXorMappedAddress(IPAddress address, int port)
    {
        bool v6 = address.AddressFamily == AddressFamily.InterNetworkV6;
        int addressLength = v6 ? 16 : 4;
        var value = Begin(StunAttributeType.XorMappedAddress, 4 + addressLength);
        value[0] = 0;
        value[1] = (byte)(v6 ? 2 : 1);
        BinaryPrimitives.WriteUInt16BigEndian(value[2..], (ushort)(port ^ (int)(StunMessage.MagicCookie >> 16)));
        var addr = value.Slice(4, addressLength);
        address.TryWriteBytes(addr, out _);
        Span<byte> mask = stackalloc byte[16];
        BinaryPrimitives.WriteUInt32BigEndian(mask, StunMessage.MagicCookie);
        _transactionId.Write(mask[4..]);
        for (int i = 0; i < addressLength; i++)
        {
            addr[i] ^= mask[i];
        }
    }

    /// <summary>Adds MESSAGE-INTEGRITY (HMAC-SHA1) keyed with <paramref name="key"/>.</summary>
    public void AddMessageIntegrity(ReadOnlySpan<byte> key)
    {
        int prefix = _length;
        var value = Begin(StunAttributeType.MessageIntegrity, 20);
        StunMessage.ComputeIntegrity(_buffer[..prefix], key, value);
    }

    /// <summary>Adds FINGERPRINT.</summary>
    public void AddFingerprint()
    {
        int prefix = _length;
        var value = Begin(StunAttributeType.Fingerprint, 4);
        BinaryPrimitives.WriteUInt32BigEndian(value, StunMessage.ComputeFingerprint(_buffer[..prefix]));
    }
}

using System.Buffers.Binary;
using System.Net;
using System.Security.Cryptography;
using System.Text;

namespace OpenChat.Rtc.Stun;

/// <summary>A parsed STUN message (RFC 8489) with the attributes ICE uses.</summary>
/// <remarks>
/// Parsing never throws on malformed input; <see cref="TryParse"/> returns false.
/// Integrity and fingerprint are checked against the raw bytes the message was parsed from,
/// because both are computed over the exact wire encoding.
/// </remarks>
public sealed class StunMessage
{
    /// <summary>The fixed magic cookie of RFC 5389 and later.</summary>
    public const uint MagicCookie = 0x2112A442;

    /// <summary>Length of the STUN header.</summary>
    public const int HeaderLength = 20;

    /// <summary>XOR applied to the CRC-32 of a FINGERPRINT attribute.</summary>
    public const uint FingerprintXor = 0x5354554E;

    private const int MaxUsernameBytes = 513;

    /// <summary>Message type (method and class).</summary>
    public ushort Type { get; private set; }

    /// <summary>The transaction id.</summary>
    public StunTransactionId TransactionId { get; private set; }

    /// <summary>Total length of the message on the wire (header included).</summary>
    public int WireLength { get; private set; }

    /// <summary>USERNAME, if present and valid UTF-8.</summary>
    public string? Username { get; private set; }

    /// <summary>SOFTWARE, if present.</summary>
    public string? Software { get; private set; }

    /// <summary>REALM, if present.</summary>
    public string? Realm { get; private set; }

    /// <summary>NONCE, if present.</summary>
    public string? Nonce { get; private set; }

    /// <summary>PRIORITY, if present.</summary>
    public uint? Priority { get; private set; }

    /// <summary>Whether USE-CANDIDATE is present.</summary>
    public bool UseCandidate { get; private set; }

    /// <summary>ICE-CONTROLLING tie breaker, if present.</summary>
    public ulong? IceControlling { get; private set; }

    /// <summary>ICE-CONTROLLED tie breaker, if present.</summary>
    public ulong? IceControlled { get; private set; }

    /// <summary>XOR-MAPPED-ADDRESS, decoded, if present.</summary>
    public IPEndPoint? XorMappedAddress { get; private set; }

    /// <summary>MAPPED-ADDRESS, if present.</summary>
    public IPEndPoint? MappedAddress { get; private set; }

    /// <summary>ERROR-CODE number (e.g. 401), if present.</summary>
    public int? ErrorCode { get; private set; }

    /// <summary>ERROR-CODE reason phrase, if present.</summary>
    public string? ErrorReason { get; private set; }

    /// <summary>Offset of the MESSAGE-INTEGRITY attribute header, or -1.</summary>
    public int MessageIntegrityOffset { get; private set; } = -1;

    /// <summary>Offset of the FINGERPRINT attribute header, or -1.</summary>
    public int FingerprintOffset { get; private set; } = -1;

    /// <summary>Whether an attribute in the comprehension-required range was not understood.</summary>
    public bool HasUnknownRequiredAttribute { get; private set; }

    /// <summary>Binding request, success or error response, or indication.</summary>
    public StunMessageType MessageType => (StunMessageType)Type;

    /// <summary>Cheap check of the fixed header: first two bits zero, magic cookie, length equal to the datagram's.</summary>
    public static bool LooksLikeStun(ReadOnlySpan<byte> data)
    {
        if (data.Length < HeaderLength || (data[0] & 0xC0) != 0)
        {
            return false;
        }
        int length = BinaryPrimitives.ReadUInt16BigEndian(data[2..]);
        // Over UDP the datagram is the message: trailing bytes make it malformed.
        return (length & 3) == 0
            && HeaderLength + length == data.Length
            && BinaryPrimitives.ReadUInt32BigEndian(data[4..]) == MagicCookie;
    }

    /// <summary>Parses a STUN message; returns false for anything malformed.</summary>
    public static bool TryParse(ReadOnlySpan<byte> data, out StunMessage message)
    {
        message = new StunMessage();
        if (!LooksLikeStun(data))
        {
            return false;
        }
        int length = BinaryPrimitives.ReadUInt16BigEndian(data[2..]);
        message.Type = BinaryPrimitives.ReadUInt16BigEndian(data);
        message.TransactionId = StunTransactionId.Read(data[8..]);
        message.WireLength = HeaderLength + length;
        var body = data[..message.WireLength];

        int offset = HeaderLength;
        while (offset < body.Length)
        {
            if (body.Length - offset < 4)
            {
                return false;
            }
            ushort type = BinaryPrimitives.ReadUInt16BigEndian(body[offset..]);
            int valueLength = BinaryPrimitives.ReadUInt16BigEndian(body[(offset + 2)..]);
            int padded = (valueLength + 3) & ~3;
            if (offset + 4 + padded > body.Length)
            {
                return false;
            }
            var value = body.Slice(offset + 4, valueLength);

            if (message.FingerprintOffset >= 0)
            {
                // Nothing may follow FINGERPRINT.
                return false;
            }
            if (message.MessageIntegrityOffset >= 0 && type != (ushort)StunAttributeType.Fingerprint)
            {
                // RFC 8489 14.5: attributes after MESSAGE-INTEGRITY are ignored, except FINGERPRINT.
                offset += 4 + padded;
                continue;
            }
            if (!message.ReadAttribute(type, value, offset))
            {
                return false;
            }
            offset += 4 + padded;
        }
        return true;
    }

    private bool ReadAttribute(ushort type, ReadOnlySpan<byte> value, int offset)
    {
        switch ((StunAttributeType)type)
        {
            case StunAttributeType.Username:
                if (value.Length > MaxUsernameBytes || !TryDecodeUtf8(value, out var user))
                {
                    return false;
                }
                Username = user;
                return true;
            case StunAttributeType.Software:
                Software = TryDecodeUtf8(value, out var sw) ? sw : null;
                return true;
            case StunAttributeType.Realm:
                Realm = TryDecodeUtf8(value, out var realm) ? realm : null;
                return true;
            case StunAttributeType.Nonce:
                Nonce = TryDecodeUtf8(value, out var nonce) ? nonce : null;
                return true;
            case StunAttributeType.Priority:
                if (value.Length != 4)
                {
                    return false;
                }
                Priority = BinaryPrimitives.ReadUInt32BigEndian(value);
                return true;
            case StunAttributeType.UseCandidate:
                if (value.Length != 0)
                {
                    return false;
                }
                UseCandidate = true;
                return true;
            case StunAttributeType.IceControlling:
                if (value.Length != 8)
                {
                    return false;
                }
                IceControlling = BinaryPrimitives.ReadUInt64BigEndian(value);
                return true;
            case StunAttributeType.IceControlled:
                if (value.Length != 8)
                {
                    return false;
                }
                IceControlled = BinaryPrimitives.ReadUInt64BigEndian(value);
                return true;
            case StunAttributeType.XorMappedAddress:
                if (!TryReadAddress(value, xor: true, out var xorAddress))
                {
                    return false;
                }
                XorMappedAddress = xorAddress;
                return true;
            case StunAttributeType.MappedAddress:
                if (!TryReadAddress(value, xor: false, out var mapped))
                {
                    return false;
                }
                MappedAddress = mapped;
                return true;
            case StunAttributeType.ErrorCode:
                if (value.Length < 4)
                {
                    return false;
                }
                ErrorCode = (value[2] & 0x7) * 100 + value[3];
                ErrorReason = TryDecodeUtf8(value[4..], out var reason) ? reason : null;
                return true;
            case StunAttributeType.MessageIntegrity:
                if (value.Length != 20)
                {
                    return false;
                }
                MessageIntegrityOffset = offset;
                return true;
            case StunAttributeType.Fingerprint:
                if (value.Length != 4)
                {
                    return false;
                }
                FingerprintOffset = offset;
                return true;
            default:
                if (type < 0x8000)
                {
                    HasUnknownRequiredAttribute = true;
                }
                return true;
        }
    }

    private bool TryReadAddress(ReadOnlySpan<byte> value, bool xor, out IPEndPoint? endPoint)
    {
        endPoint = null;
        if (value.Length < 4)
        {
            return false;
        }
        byte family = value[1];
        int port = BinaryPrimitives.ReadUInt16BigEndian(value[2..]);
        int addressLength = family switch { 1 => 4, 2 => 16, _ => 0 };
        if (addressLength == 0 || value.Length != 4 + addressLength)
        {
            return false;
        }
        Span<byte> address = stackalloc byte[addressLength];
        value.Slice(4, addressLength).CopyTo(address);
        if (xor)
        {
            port ^= (int)(MagicCookie >> 16);
            Span<byte> mask = stackalloc byte[16];
            BinaryPrimitives.WriteUInt32BigEndian(mask, MagicCookie);
            TransactionId.Write(mask[4..]);
            for (int i = 0; i < addressLength; i++)
            {
                address[i] ^= mask[i];
            }
        }
        endPoint = new IPEndPoint(new IPAddress(address), port);
        return true;
    }

    private static bool TryDecodeUtf8(ReadOnlySpan<byte> value, out string text)
    {
        try
        {
            text = StrictUtf8.GetString(value);
            return true;
        }
        catch (DecoderFallbackException)
        {
            text = string.Empty;
            return false;
        }
    }

    private static readonly UTF8Encoding StrictUtf8 = new(false, true);

    /// <summary>
    /// Checks MESSAGE-INTEGRITY (HMAC-SHA1) over <paramref name="raw"/>, the bytes this message was parsed from.
    /// </summary>
    /// <param name="raw">The message as received.</param>
    /// <param name="key">For ICE short-term credentials, the UTF-8 password.</param>
    public bool CheckIntegrity(ReadOnlySpan<byte> raw, ReadOnlySpan<byte> key)
    {
        if (MessageIntegrityOffset < 0 || raw.Length < MessageIntegrityOffset + 24)
        {
            return false;
        }
        Span<byte> mac = stackalloc byte[20];
        ComputeIntegrity(raw[..MessageIntegrityOffset], key, mac);
        return CryptographicOperations.FixedTimeEquals(mac, raw.Slice(MessageIntegrityOffset + 4, 20));
    }

    /// <summary>Checks the FINGERPRINT attribute (CRC-32 xor 0x5354554E).</summary>
    public bool CheckFingerprint(ReadOnlySpan<byte> raw)
    {
        if (FingerprintOffset < 0 || raw.Length < FingerprintOffset + 8)
        {
            return false;
        }
        uint expected = BinaryPrimitives.ReadUInt32BigEndian(raw[(FingerprintOffset + 4)..]);
        return ComputeFingerprint(raw[..FingerprintOffset]) == expected;
    }

    /// <summary>
    /// HMAC-SHA1 over <paramref name="prefix"/> (header plus attributes before MESSAGE-INTEGRITY) with the
    /// header's length field adjusted to end just after the MESSAGE-INTEGRITY attribute.
    /// </summary>
    internal static void ComputeIntegrity(ReadOnlySpan<byte> prefix, ReadOnlySpan<byte> key, Span<byte> mac)
    {
        Span<byte> header = stackalloc byte[HeaderLength];
        prefix[..HeaderLength].CopyTo(header);
        BinaryPrimitives.WriteUInt16BigEndian(header[2..], (ushort)(prefix.Length - HeaderLength + 24));
        using var hmac = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA1, key);
        hmac.AppendData(header);
        hmac.AppendData(prefix[HeaderLength..]);
        hmac.GetHashAndReset(mac);
    }

    /// <summary>CRC-32 of <paramref name="prefix"/> with the length field adjusted to include FINGERPRINT.</summary>
    internal static uint ComputeFingerprint(ReadOnlySpan<byte> prefix)
    {
        Span<byte> header = stackalloc byte[HeaderLength];
        prefix[..HeaderLength].CopyTo(header);
        BinaryPrimitives.WriteUInt16BigEndian(header[2..], (ushort)(prefix.Length - HeaderLength + 8));
        uint crc = Crc32Continue(0xFFFFFFFFu, header);
        crc = Crc32Continue(crc, prefix[HeaderLength..]);
        return (crc ^ 0xFFFFFFFFu) ^ FingerprintXor;
    }

    private static uint Crc32Continue(uint crc, ReadOnlySpan<byte> data)
    {
        // Two-part CRC without copying the whole message: reuse the table through single-byte updates.
        foreach (byte b in data)
        {
            crc = Crc32.Update(crc, b);
        }
        return crc;
    }

    /// <summary>The long-term credential key of RFC 8489 9.2.2: MD5(username ":" realm ":" password).</summary>
    public static byte[] LongTermKey(string username, string realm, string password) =>
        MD5.HashData(Encoding.UTF8.GetBytes($"{username}:{realm}:{password}"));
}

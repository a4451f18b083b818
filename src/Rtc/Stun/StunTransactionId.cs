using System.Buffers.Binary;
using System.Security.Cryptography;

namespace OpenChat.Rtc.Stun;

/// <summary>The 96-bit STUN transaction id, held by value so matching a response allocates nothing.</summary>
public readonly record struct StunTransactionId(ulong High, uint Low)
{
    /// <summary>Size on the wire in bytes.</summary>
    public const int Size = 12;

    /// <summary>A fresh random transaction id (RFC 8489 asks for a cryptographically random one).</summary>
    public static StunTransactionId NewRandom()
    {
        Span<byte> b = stackalloc byte[Size];
        RandomNumberGenerator.Fill(b);
        return Read(b);
    }

    /// <summary>Reads 12 bytes.</summary>
    public static StunTransactionId Read(ReadOnlySpan<byte> source) =>
        new(BinaryPrimitives.ReadUInt64BigEndian(source), BinaryPrimitives.ReadUInt32BigEndian(source[8..]));

    /// <summary>Writes 12 bytes.</summary>
    public void Write(Span<byte> destination)
    {
        BinaryPrimitives.WriteUInt64BigEndian(destination, High);
        BinaryPrimitives.WriteUInt32BigEndian(destination[8..], Low);
    }
}

using System.Buffers.Binary;
using System.Net;
using OpenChat.Rtc.Transport;

namespace OpenChat.Rtc.Dtls;

/// <summary>
/// Puts a ClientHello that arrived in fragments back together as one unfragmented record, so that it can go through
/// the stateless cookie exchange like any other (BouncyCastle's <c>DtlsVerifier</c> reads only whole messages).
/// </summary>
/// <remarks>
/// One per session, created on the first fragment and dropped when the handshake starts. It holds one message from
/// one source address at a time, at most <c>maxLength</c> bytes; a longer declared length is refused outright.
/// Used only on the receive thread.
/// </remarks>
internal sealed class ClientHelloAssembler(int maxLength)
{
    private const int RecordHeader = 13;
    private const int MessageHeader = 12;
    private const byte Handshake = 22;
    private const byte ClientHello = 1;

    private byte[]? _record;
    private ulong[]? _received;
    private SocketAddress? _source;
    private int _length;
    private int _messageSeq = -1;
    private int _covered;

    /// <summary>
    /// Adds the ClientHello fragments of one datagram. True when the message is complete: <paramref name="record"/>
    /// is then one DTLS record holding the whole ClientHello (valid until the next call). False when more fragments are
    /// needed or the datagram was refused (<paramref name="refused"/>: malformed, or declares more than the limit).
    /// </summary>
    public bool TryAdd(ReadOnlySpan<byte> datagram, SocketAddress source, out ReadOnlySpan<byte> record, out bool refused)
    {
        record = default;
        refused = false;
        while (datagram.Length >= RecordHeader)
        {
            int recordLength = BinaryPrimitives.ReadUInt16BigEndian(datagram[11..]);
            if (datagram[0] != Handshake || BinaryPrimitives.ReadUInt16BigEndian(datagram[3..]) != 0
                || RecordHeader + recordLength > datagram.Length)
            {
                refused = true;
                return false;
            }
            var header = datagram[..RecordHeader];
            var body = datagram.Slice(RecordHeader, recordLength);
            datagram = datagram[(RecordHeader + recordLength)..];
            while (body.Length >= MessageHeader)
            {
                int length = ReadUInt24(body[1..]);
                int messageSeq = BinaryPrimitives.ReadUInt16BigEndian(body[4..]);
                int offset = ReadUInt24(body[6..]);
                int fragmentLength = ReadUInt24(body[9..]);
                if (body[0] != ClientHello || length == 0 || length > maxLength || offset + fragmentLength > length
                    || MessageHeader + fragmentLength > body.Length)
                {
                    refused = true;
                    Reset();
                    return false;
                }
                if (!Accept(source, messageSeq, length))
                {
                    body = body[(MessageHeader + fragmentLength)..];
                    continue;
                }
                body.Slice(MessageHeader, fragmentLength).CopyTo(_record.AsSpan(RecordHeader + MessageHeader + offset));
                Mark(offset, fragmentLength);
                header.CopyTo(_record); // the latest record's version and sequence number are the ones answered
                body = body[(MessageHeader + fragmentLength)..];
                if (_covered == _length)
                {
                    record = Complete();
                    return true;
                }
            }
        }
        return false;
    }

    /// <summary>Starts or continues the message a fragment belongs to; false for a fragment of an older message.</summary>
    private bool Accept(SocketAddress source, int messageSeq, int length)
    {
        if (_record is not null && _source!.Equals(source))
        {
            if (messageSeq < _messageSeq)
            {
                return false;
            }
            if (messageSeq == _messageSeq && length == _length)
            {
                return true;
            }
        }
        _source = source.Clone();
        _messageSeq = messageSeq;
        _length = length;
        _covered = 0;
        _record = new byte[RecordHeader + MessageHeader + length];
        _received = new ulong[(length + 63) / 64];
        return true;
    }

    private void Mark(int offset, int count)
    {
        for (int i = offset; i < offset + count; i++)
        {
            ulong bit = 1UL << (i & 63);
            if ((_received![i >> 6] & bit) == 0)
            {
                _received[i >> 6] |= bit;
                _covered++;
            }
        }
    }

    private ReadOnlySpan<byte> Complete()
    {
        var r = _record!;
        BinaryPrimitives.WriteUInt16BigEndian(r.AsSpan(11), (ushort)(MessageHeader + _length));
        var m = r.AsSpan(RecordHeader);
        m[0] = ClientHello;
        WriteUInt24(m[1..], _length);
        BinaryPrimitives.WriteUInt16BigEndian(m[4..], (ushort)_messageSeq);
        WriteUInt24(m[6..], 0);
        WriteUInt24(m[9..], _length);
        Reset();
        return r;
    }

    private void Reset()
    {
        _record = null;
        _received = null;
        _source = null;
        _messageSeq = -1;
        _covered = 0;
    }

    /// <summary>A 24-bit big-endian field of a DTLS handshake header.</summary>
    internal static int ReadUInt24(ReadOnlySpan<byte> b) => (b[0] << 16) | (b[1] << 8) | b[2];

    private static void WriteUInt24(Span<byte> b, int value)
    {
        b[0] = (byte)(value >> 16);
        b[1] = (byte)(value >> 8);
        b[2] = (byte)value;
    }
}

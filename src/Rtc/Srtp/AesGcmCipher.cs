using System.Buffers.Binary;
using System.Security.Cryptography;

namespace OpenChat.Rtc.Srtp;

/// <summary>AEAD_AES_128_GCM for SRTP and SRTCP (RFC 7714).</summary>
internal sealed class AesGcmCipher : SrtpCipher
{
    private const int GcmTagLength = 16;

    private readonly AesGcm _rtp;
    private readonly AesGcm _rtcp;
    private readonly byte[] _rtpSalt = new byte[12];
    private readonly byte[] _rtcpSalt = new byte[12];

    public AesGcmCipher(ReadOnlySpan<byte> masterKey, ReadOnlySpan<byte> masterSalt)
    {
        Span<byte> key = stackalloc byte[16];
        SrtpKeyDerivation.Derive(masterKey, masterSalt, SrtpKeyDerivation.RtpEncryption, key);
        SrtpKeyDerivation.Derive(masterKey, masterSalt, SrtpKeyDerivation.RtpSalt, _rtpSalt);
        _rtp = new AesGcm(key, GcmTagLength);
        SrtpKeyDerivation.Derive(masterKey, masterSalt, SrtpKeyDerivation.RtcpEncryption, key);
        SrtpKeyDerivation.Derive(masterKey, masterSalt, SrtpKeyDerivation.RtcpSalt, _rtcpSalt);
        _rtcp = new AesGcm(key, GcmTagLength);
        CryptographicOperations.ZeroMemory(key);
    }

    /// <summary>Builds a cipher from session key and salt directly (RFC 7714 vectors give these).</summary>
    internal AesGcmCipher(ReadOnlySpan<byte> sessionKey, ReadOnlySpan<byte> sessionSalt, bool sessionKeys)
    {
        _ = sessionKeys;
        sessionSalt.CopyTo(_rtpSalt);
        sessionSalt.CopyTo(_rtcpSalt);
        _rtp = new AesGcm(sessionKey, GcmTagLength);
        _rtcp = new AesGcm(sessionKey, GcmTagLength);
    }

    public override int TagLength => GcmTagLength;

    private void RtpNonce(Span<byte> nonce, uint ssrc, ulong index)
    {
        // RFC 7714 8.1: 00 00 || SSRC || ROC || SEQ, xored with the 96-bit salt.
        nonce[0] = 0;
        nonce[1] = 0;
        BinaryPrimitives.WriteUInt32BigEndian(nonce[2..], ssrc);
        BinaryPrimitives.WriteUInt32BigEndian(nonce[6..], (uint)(index >> 16));
        BinaryPrimitives.WriteUInt16BigEndian(nonce[10..], (ushort)index);
        for (int i = 0; i < 12; i++)
        {
            nonce[i] ^= _rtpSalt[i];
        }
    }

    private void RtcpNonce(Span<byte> nonce, uint ssrc, uint index)
    {
        // RFC 7714 9.1: 00 00 || SSRC || 00 00 || 0 || SRTCP index.
        nonce.Clear();
        BinaryPrimitives.WriteUInt32BigEndian(nonce[2..], ssrc);
        BinaryPrimitives.WriteUInt32BigEndian(nonce[8..], index & 0x7FFFFFFFu);
        for (int i = 0; i < 12; i++)
        {
            nonce[i] ^= _rtcpSalt[i];
        }
    }

    public override int ProtectRtp(Span<byte> buffer, int headerLength, int length, uint ssrc, ulong index)
    {
        Span<byte> nonce = stackalloc byte[12];
        RtpNonce(nonce, ssrc, index);
        var payload = buffer[headerLength..length];
        _rtp.Encrypt(nonce, payload, payload, buffer.Slice(length, GcmTagLength), buffer[..headerLength]);
        return length + GcmTagLength;
    }

    public override bool UnprotectRtp(Span<byte> packet, int headerLength, uint ssrc, ulong index, out int length)
    {
        length = packet.Length - GcmTagLength;
        if (length < headerLength)
        {
            return false;
        }
        Span<byte> nonce = stackalloc byte[12];
        RtpNonce(nonce, ssrc, index);
        var cipherText = packet[headerLength..length];
        // Decrypt into scratch so a forged packet leaves the caller's bytes as they were.
        var plain = Scratch.AsSpan(0, cipherText.Length);
        try
        {
            _rtp.Decrypt(nonce, cipherText, packet.Slice(length, GcmTagLength), plain, packet[..headerLength]);
        }
        catch (AuthenticationTagMismatchException)
        {
            return false;
        }
        plain.CopyTo(cipherText);
        return true;
    }

    public override int ProtectRtcp(Span<byte> buffer, int length, uint ssrc, uint index)
    {
        Span<byte> nonce = stackalloc byte[12];
        RtcpNonce(nonce, ssrc, index);
        Span<byte> aad = stackalloc byte[12];
        buffer[..8].CopyTo(aad);
        uint eAndIndex = 0x80000000u | index;
        BinaryPrimitives.WriteUInt32BigEndian(aad[8..], eAndIndex);
        var payload = buffer[8..length];
        _rtcp.Encrypt(nonce, payload, payload, buffer.Slice(length, GcmTagLength), aad);
        BinaryPrimitives.WriteUInt32BigEndian(buffer[(length + GcmTagLength)..], eAndIndex);
        return length + GcmTagLength + 4;
    }

    public override bool TryReadRtcpIndex(ReadOnlySpan<byte> packet, out uint eAndIndex)
    {
        eAndIndex = 0;
        if (packet.Length < 8 + GcmTagLength + 4)
        {
            return false;
        }
        eAndIndex = BinaryPrimitives.ReadUInt32BigEndian(packet[^4..]);
        return true;
    }

    public override bool UnprotectRtcp(Span<byte> packet, uint ssrc, uint eAndIndex, out int length)
    {
        length = packet.Length - 4 - GcmTagLength;
        Span<byte> nonce = stackalloc byte[12];
        RtcpNonce(nonce, ssrc, eAndIndex);
        Span<byte> aad = stackalloc byte[12];
        packet[..8].CopyTo(aad);
        BinaryPrimitives.WriteUInt32BigEndian(aad[8..], eAndIndex);
        if ((eAndIndex & 0x80000000u) == 0)
        {
            // Unencrypted SRTCP (RFC 7714 9.2): everything is AAD, the payload is empty.
            return false;
        }
        var cipherText = packet[8..length];
        var plain = Scratch.AsSpan(0, cipherText.Length);
        try
        {
            _rtcp.Decrypt(nonce, cipherText, packet.Slice(length, GcmTagLength), plain, aad);
        }
        catch (AuthenticationTagMismatchException)
        {
            return false;
        }
        plain.CopyTo(cipherText);
        return true;
    }

    public override void Dispose()
    {
        _rtp.Dispose();
        _rtcp.Dispose();
    }
}

using System.Buffers.Binary;
using System.Numerics;
using System.Security.Cryptography;

namespace OpenChat.Rtc.Srtp;

/// <summary>AES-128 counter mode with HMAC-SHA1-80 (RFC 3711).</summary>
internal sealed class AesCmHmacSha1Cipher : SrtpCipher
{
    private const int AuthTagLength = 10;

    private readonly Aes _rtpAes;
    private readonly Aes _rtcpAes;
    private readonly ICryptoTransform _rtpEcb;
    private readonly ICryptoTransform _rtcpEcb;
    private readonly byte[] _rtpSalt = new byte[14];
    private readonly byte[] _rtcpSalt = new byte[14];
    private readonly IncrementalHash _rtpHmac;
    private readonly IncrementalHash _rtcpHmac;
    private readonly byte[] _mac = new byte[20];

    public AesCmHmacSha1Cipher(ReadOnlySpan<byte> masterKey, ReadOnlySpan<byte> masterSalt)
    {
        Span<byte> encKey = stackalloc byte[16];
        Span<byte> authKey = stackalloc byte[20];

        SrtpKeyDerivation.Derive(masterKey, masterSalt, SrtpKeyDerivation.RtpEncryption, encKey);
        SrtpKeyDerivation.Derive(masterKey, masterSalt, SrtpKeyDerivation.RtpAuthentication, authKey);
        SrtpKeyDerivation.Derive(masterKey, masterSalt, SrtpKeyDerivation.RtpSalt, _rtpSalt);
        (_rtpAes, _rtpEcb) = CreateEcb(encKey);
        _rtpHmac = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA1, authKey);

        SrtpKeyDerivation.Derive(masterKey, masterSalt, SrtpKeyDerivation.RtcpEncryption, encKey);
        SrtpKeyDerivation.Derive(masterKey, masterSalt, SrtpKeyDerivation.RtcpAuthentication, authKey);
        SrtpKeyDerivation.Derive(masterKey, masterSalt, SrtpKeyDerivation.RtcpSalt, _rtcpSalt);
        (_rtcpAes, _rtcpEcb) = CreateEcb(encKey);
        _rtcpHmac = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA1, authKey);

        CryptographicOperations.ZeroMemory(encKey);
        CryptographicOperations.ZeroMemory(authKey);
    }

    /// <summary>Builds a context from session keys directly (test vectors give session keys, not master keys).</summary>
    internal AesCmHmacSha1Cipher(ReadOnlySpan<byte> sessionKey, ReadOnlySpan<byte> sessionSalt, ReadOnlySpan<byte> authKey)
    {
        sessionSalt.CopyTo(_rtpSalt);
        sessionSalt.CopyTo(_rtcpSalt);
        (_rtpAes, _rtpEcb) = CreateEcb(sessionKey);
        (_rtcpAes, _rtcpEcb) = CreateEcb(sessionKey);
        _rtpHmac = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA1, authKey);
        _rtcpHmac = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA1, authKey);
    }

    private static (Aes, ICryptoTransform) CreateEcb(ReadOnlySpan<byte> key)
    {
        var aes = Aes.Create();
        aes.Key = key.ToArray();
        aes.Mode = CipherMode.ECB;
        aes.Padding = PaddingMode.None;
        // One cached ECB encryptor per key: counter blocks go through TransformBlock on preallocated arrays.
        return (aes, aes.CreateEncryptor());
    }

    public override int TagLength => AuthTagLength;

    /// <summary>Keystream of the RTP direction starting at counter block <paramref name="firstBlock"/> (for the RFC 3711 B.2 vectors).</summary>
    internal void RtpKeystream(uint ssrc, ulong index, Span<byte> output, int firstBlock)
    {
        output.Clear();
        ApplyKeystream(_rtpEcb, _rtpSalt, ssrc, index, output, firstBlock);
    }

    /// <summary>XORs the AES-CM keystream for (salt, ssrc, index) into <paramref name="data"/>.</summary>
    internal void ApplyKeystream(ICryptoTransform ecb, byte[] salt, uint ssrc, ulong index, Span<byte> data, int firstBlock = 0)
    {
        int blocks = (data.Length + 15) / 16;
        if (blocks == 0)
        {
            return;
        }
        Span<byte> iv = stackalloc byte[16];
        salt.AsSpan(0, 14).CopyTo(iv);
        iv[14] = 0;
        iv[15] = 0;
        iv[4] ^= (byte)(ssrc >> 24);
        iv[5] ^= (byte)(ssrc >> 16);
        iv[6] ^= (byte)(ssrc >> 8);
        iv[7] ^= (byte)ssrc;
        for (int i = 0; i < 6; i++)
        {
            iv[8 + i] ^= (byte)(index >> (40 - 8 * i));
        }
        byte[] counterBlocks = Scratch;
        byte[] keystream = Scratch2;
        var counters = counterBlocks.AsSpan(0, blocks * 16);
        for (int b = 0; b < blocks; b++)
        {
            var block = counters.Slice(b * 16, 16);
            iv.CopyTo(block);
            block[14] = (byte)((firstBlock + b) >> 8);
            block[15] = (byte)(firstBlock + b);
        }
        ecb.TransformBlock(counterBlocks, 0, blocks * 16, keystream, 0);
        Xor(data, keystream);
    }

    internal static void Xor(Span<byte> data, ReadOnlySpan<byte> keystream)
    {
        int i = 0;
        int n = data.Length;
        if (Vector.IsHardwareAccelerated)
        {
            int width = Vector<byte>.Count;
            for (; i <= n - width; i += width)
            {
                var v = new Vector<byte>(data[i..]) ^ new Vector<byte>(keystream[i..]);
                v.CopyTo(data[i..]);
            }
        }
        for (; i < n; i++)
        {
            data[i] ^= keystream[i];
        }
    }

    private void ComputeRtpTag(ReadOnlySpan<byte> authenticated, uint roc, Span<byte> tag)
    {
        Span<byte> rocBytes = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(rocBytes, roc);
        _rtpHmac.AppendData(authenticated);
        _rtpHmac.AppendData(rocBytes);
        _rtpHmac.GetHashAndReset(_mac);
        _mac.AsSpan(0, AuthTagLength).CopyTo(tag);
    }

    public override int ProtectRtp(Span<byte> buffer, int headerLength, int length, uint ssrc, ulong index)
    {
        ApplyKeystream(_rtpEcb, _rtpSalt, ssrc, index, buffer[headerLength..length]);
        ComputeRtpTag(buffer[..length], (uint)(index >> 16), buffer.Slice(length, AuthTagLength));
        return length + AuthTagLength;
    }

    public override bool UnprotectRtp(Span<byte> packet, int headerLength, uint ssrc, ulong index, out int length)
    {
        length = packet.Length - AuthTagLength;
        if (length < headerLength)
        {
            return false;
        }
        Span<byte> tag = stackalloc byte[AuthTagLength];
        ComputeRtpTag(packet[..length], (uint)(index >> 16), tag);
        if (!CryptographicOperations.FixedTimeEquals(tag, packet.Slice(length, AuthTagLength)))
        {
            return false;
        }
        ApplyKeystream(_rtpEcb, _rtpSalt, ssrc, index, packet[headerLength..length]);
        return true;
    }

    public override int ProtectRtcp(Span<byte> buffer, int length, uint ssrc, uint index)
    {
        ApplyKeystream(_rtcpEcb, _rtcpSalt, ssrc, index, buffer[8..length]);
        BinaryPrimitives.WriteUInt32BigEndian(buffer[length..], 0x80000000u | index);
        length += 4;
        _rtcpHmac.AppendData(buffer[..length]);
        _rtcpHmac.GetHashAndReset(_mac);
        _mac.AsSpan(0, AuthTagLength).CopyTo(buffer[length..]);
        return length + AuthTagLength;
    }

    public override bool TryReadRtcpIndex(ReadOnlySpan<byte> packet, out uint eAndIndex)
    {
        eAndIndex = 0;
        if (packet.Length < 8 + 4 + AuthTagLength)
        {
            return false;
        }
        eAndIndex = BinaryPrimitives.ReadUInt32BigEndian(packet[(packet.Length - AuthTagLength - 4)..]);
        return true;
    }

    public override bool UnprotectRtcp(Span<byte> packet, uint ssrc, uint eAndIndex, out int length)
    {
        int authenticated = packet.Length - AuthTagLength;
        length = authenticated - 4;
        _rtcpHmac.AppendData(packet[..authenticated]);
        _rtcpHmac.GetHashAndReset(_mac);
        if (!CryptographicOperations.FixedTimeEquals(_mac.AsSpan(0, AuthTagLength), packet.Slice(authenticated, AuthTagLength)))
        {
            return false;
        }
        if ((eAndIndex & 0x80000000u) != 0)
        {
            ApplyKeystream(_rtcpEcb, _rtcpSalt, ssrc, eAndIndex & 0x7FFFFFFFu, packet[8..length]);
        }
        return true;
    }

    public override void Dispose()
    {
        _rtpEcb.Dispose();
        _rtcpEcb.Dispose();
        _rtpAes.Dispose();
        _rtcpAes.Dispose();
        _rtpHmac.Dispose();
        _rtcpHmac.Dispose();
    }
}

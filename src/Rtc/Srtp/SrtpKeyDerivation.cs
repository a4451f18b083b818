using System.Security.Cryptography;

namespace OpenChat.Rtc.Srtp;

/// <summary>The AES-CM key derivation function of RFC 3711 section 4.3 (key derivation rate 0).</summary>
public static class SrtpKeyDerivation
{
    /// <summary>Label for the SRTP encryption key.</summary>
    public const byte RtpEncryption = 0;
    /// <summary>Label for the SRTP authentication key.</summary>
    public const byte RtpAuthentication = 1;
    /// <summary>Label for the SRTP salt.</summary>
    public const byte RtpSalt = 2;
    /// <summary>Label for the SRTCP encryption key.</summary>
    public const byte RtcpEncryption = 3;
    /// <summary>Label for the SRTCP authentication key.</summary>
    public const byte RtcpAuthentication = 4;
    /// <summary>Label for the SRTCP salt.</summary>
    public const byte RtcpSalt = 5;

    /// <summary>Derives <paramref name="output"/>.Length bytes of session key material for <paramref name="label"/>.</summary>
    /// <remarks>
    /// A master salt shorter than 14 bytes (the 12-byte salts of AEAD profiles, RFC 7714 section 11) is
    /// padded with zeros on the right, as libsrtp and browsers do.
    /// </remarks>
    public static void Derive(ReadOnlySpan<byte> masterKey, ReadOnlySpan<byte> masterSalt, byte label, Span<byte> output)
    {
        if (masterSalt.Length > 14)
        {
            throw new ArgumentException("Master salt longer than 112 bits.", nameof(masterSalt));
        }
        int blocks = (output.Length + 15) / 16;
        Span<byte> counters = stackalloc byte[blocks * 16];
        Span<byte> x = stackalloc byte[16];
        x.Clear();
        masterSalt.CopyTo(x);
        // key_id = label || r with r = 0 (kdr 0); it is xored into the salt's rightmost 56 bits.
        x[7] ^= label;
        for (int i = 0; i < blocks; i++)
        {
            var block = counters.Slice(i * 16, 16);
            x.CopyTo(block);
            block[14] = (byte)(i >> 8);
            block[15] = (byte)i;
        }
        using var aes = Aes.Create();
        aes.Key = masterKey.ToArray();
        Span<byte> stream = stackalloc byte[blocks * 16];
        aes.EncryptEcb(counters, stream, PaddingMode.None);
        stream[..output.Length].CopyTo(output);
        CryptographicOperations.ZeroMemory(stream);
    }
}

namespace OpenChat.Rtc.Srtp;

/// <summary>SRTP protection profiles, numbered as in the DTLS use_srtp extension (RFC 5764, RFC 7714).</summary>
public enum SrtpProfile
{
    /// <summary>SRTP_AES128_CM_HMAC_SHA1_80: AES-128 counter mode, 80-bit HMAC-SHA1 tag.</summary>
    Aes128CmHmacSha1_80 = 0x0001,

    /// <summary>SRTP_AEAD_AES_128_GCM: AES-128-GCM with a 128-bit tag.</summary>
    AeadAes128Gcm = 0x0007,
}

/// <summary>Key and salt sizes per profile.</summary>
public static class SrtpProfileInfo
{
    /// <summary>Master key length in bytes.</summary>
    public static int MasterKeyLength(SrtpProfile profile) => 16;

    /// <summary>Master salt length in bytes.</summary>
    public static int MasterSaltLength(SrtpProfile profile) => profile == SrtpProfile.AeadAes128Gcm ? 12 : 14;
}

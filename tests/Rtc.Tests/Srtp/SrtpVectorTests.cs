using OpenChat.Rtc.Srtp;
using Xunit;

namespace OpenChat.Rtc.Tests.Srtp;

/// <summary>RFC 3711 appendix B, RFC 7714 section 16/17, and libsrtp's reference packets.</summary>
public class SrtpVectorTests
{
    private static readonly byte[] MasterKey = Hex.Parse("E1F97A0D3E018BE0D64FA32C06DE4139");
    private static readonly byte[] MasterSalt = Hex.Parse("0EC675AD498AFEEBB6960B3AABE6");

    [Theory]
    [InlineData(SrtpKeyDerivation.RtpEncryption, "C61E7A93744F39EE10734AFE3FF7A087")]
    [InlineData(SrtpKeyDerivation.RtpSalt, "30CBBC08863D8C85D49DB34A9AE1")]
    [InlineData(SrtpKeyDerivation.RtpAuthentication,
        "CEBE321F6FF7716B6FD4AB49AF256A156D38BAA48F0A0ACF3C34E2359E6CDBCE" +
        "E049646C43D9327AD175578EF72270986371C10C9A369AC2F94A8C5FBCDDDC25" +
        "6D6E919A48B610EF17C2041E474035766B68642C59BBFC2F34DB60DBDFB2")]
    public void Rfc3711_B3_key_derivation(byte label, string expected)
    {
        var output = new byte[expected.Length / 2];
        SrtpKeyDerivation.Derive(MasterKey, MasterSalt, label, output);
        Assert.Equal(expected.ToLowerInvariant(), Hex.Of(output));
    }

    [Theory]
    [InlineData(0x0000, "E03EAD0935C95E80E166B16DD92B4EB4")]
    [InlineData(0x0001, "D23513162B02D0F72A43A2FE4A5F97AB")]
    [InlineData(0x0002, "41E95B3BB0A2E8DD477901E4FCA894C0")]
    [InlineData(0xFEFF, "EC8CDF7398607CB0F2D21675EA9EA1E4")]
    [InlineData(0xFF00, "362B7C3C6773516318A077D7FC5073AE")]
    [InlineData(0xFF01, "6A2CC3787889374FBEB4C81B17BA6C44")]
    public void Rfc3711_B2_aes_cm_keystream(int block, string expected)
    {
        using var cipher = new AesCmHmacSha1Cipher(
            Hex.Parse("2B7E151628AED2A6ABF7158809CF4F3C"), Hex.Parse("F0F1F2F3F4F5F6F7F8F9FAFBFCFD"), new byte[20]);
        var output = new byte[16];
        cipher.RtpKeystream(ssrc: 0, index: 0, output, block);
        Assert.Equal(expected.ToLowerInvariant(), Hex.Of(output));
    }

    private static readonly byte[] ReferenceRtp = Hex.Parse("800f1234decafbadcafebabe" + string.Concat(Enumerable.Repeat("ab", 16)));
    private static readonly byte[] ReferenceRtcp = Hex.Parse("81c8000bcafebabe" + string.Concat(Enumerable.Repeat("ab", 16)));

    [Fact]
    public void Libsrtp_reference_packet_aes_cm_protect_and_unprotect()
    {
        const string expected = "800f1234decafbadcafebabe4e55dc4ce79978d88ca4d215949d2402b78d6acc99ea179b8dbb";
        using var tx = new SrtpContext(SrtpProfile.Aes128CmHmacSha1_80, MasterKey, MasterSalt);
        var buffer = new byte[64];
        ReferenceRtp.CopyTo(buffer, 0);
        Assert.True(tx.ProtectRtp(buffer, ReferenceRtp.Length, out int len));
        Assert.Equal(expected, Hex.Of(buffer.AsSpan(0, len)));

        using var rx = new SrtpContext(SrtpProfile.Aes128CmHmacSha1_80, MasterKey, MasterSalt);
        Assert.True(rx.UnprotectRtp(buffer.AsSpan(0, len), out int plain));
        Assert.Equal(Hex.Of(ReferenceRtp), Hex.Of(buffer.AsSpan(0, plain)));
    }

    [Fact]
    public void Libsrtp_reference_packet_srtcp_aes_cm()
    {
        const string expected = "81c8000bcafebabe7128035be487b9bdbef89041f977a5a880000001993e08cd54d6c1230798";
        using var tx = new SrtpContext(SrtpProfile.Aes128CmHmacSha1_80, MasterKey, MasterSalt) { NextRtcpIndex = 1 };
        var buffer = new byte[64];
        ReferenceRtcp.CopyTo(buffer, 0);
        Assert.True(tx.ProtectRtcp(buffer, ReferenceRtcp.Length, out int len));
        Assert.Equal(expected, Hex.Of(buffer.AsSpan(0, len)));

        using var rx = new SrtpContext(SrtpProfile.Aes128CmHmacSha1_80, MasterKey, MasterSalt);
        Assert.True(rx.UnprotectRtcp(buffer.AsSpan(0, len), out int plain));
        Assert.Equal(Hex.Of(ReferenceRtcp), Hex.Of(buffer.AsSpan(0, plain)));
    }

    [Fact]
    public void Libsrtp_reference_packet_gcm_with_12_byte_master_salt()
    {
        const string expected = "800f1234decafbadcafebabec5002ede04cfdd2eb91159e0880aa06ed2976826f796b201df3131a127e8a392";
        var key = Hex.Parse("000102030405060708090a0b0c0d0e0f");
        var salt = Hex.Parse("a0a1a2a3a4a5a6a7a8a9aaab");
        using var tx = new SrtpContext(SrtpProfile.AeadAes128Gcm, key, salt);
        var buffer = new byte[64];
        ReferenceRtp.CopyTo(buffer, 0);
        Assert.True(tx.ProtectRtp(buffer, ReferenceRtp.Length, out int len));
        Assert.Equal(expected, Hex.Of(buffer.AsSpan(0, len)));
    }

    private static readonly byte[] GcmKey = Hex.Parse("000102030405060708090a0b0c0d0e0f");
    private static readonly byte[] GcmSalt = Hex.Parse("517569642070726f2071756f");

    private static SrtpContext Rfc7714Context() =>
        new(SrtpProfile.AeadAes128Gcm, new AesGcmCipher(GcmKey, GcmSalt, sessionKeys: true));

    [Fact]
    public void Rfc7714_16_1_rtp_gcm_encrypt_and_decrypt()
    {
        var plain = Hex.Parse("8040f17b8041f8d35501a0b247616c6c696120657374206f6d6e69732064697669736120696e207061727465732074726573");
        const string expected = "8040f17b8041f8d35501a0b2f24de3a3fb34de6cacba861c9d7e4bcabe633bd50d294e6f42a5f47a51c7d19b36de3adf8833899d7f27beb16a9152cf765ee4390cce";
        using var tx = Rfc7714Context();
        var buffer = new byte[128];
        plain.CopyTo(buffer, 0);
        Assert.True(tx.ProtectRtp(buffer, plain.Length, out int len));
        Assert.Equal(expected, Hex.Of(buffer.AsSpan(0, len)));

        using var rx = Rfc7714Context();
        Assert.True(rx.UnprotectRtp(buffer.AsSpan(0, len), out int plainLength));
        Assert.Equal(Hex.Of(plain), Hex.Of(buffer.AsSpan(0, plainLength)));
    }

    [Fact]
    public void Rfc7714_17_1_rtcp_gcm_encrypt_and_decrypt()
    {
        var plain = Hex.Parse("81c8000d4d6172734e5450314e545032525450200000042a0000e9304c756e61deadbeefdeadbeefdeadbeefdeadbeefdeadbeef");
        const string expected = "81c8000d4d61727363e94885dcdab67ca727d7662f6b7e997ff5c0f76c06f32dc676a5f1730d6fda4ce09b4686303ded0bb9275bc84aa45896cf4d2fc5abf87245d9eade800005d4";
        using var tx = Rfc7714Context();
        tx.NextRtcpIndex = 0x5d4;
        var buffer = new byte[128];
        plain.CopyTo(buffer, 0);
        Assert.True(tx.ProtectRtcp(buffer, plain.Length, out int len));
        Assert.Equal(expected, Hex.Of(buffer.AsSpan(0, len)));

        using var rx = Rfc7714Context();
        Assert.True(rx.UnprotectRtcp(buffer.AsSpan(0, len), out int plainLength));
        Assert.Equal(Hex.Of(plain), Hex.Of(buffer.AsSpan(0, plainLength)));
    }
}

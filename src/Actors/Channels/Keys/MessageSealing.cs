using System.Security.Cryptography;
using System.Text;

namespace OpenChat.Channels.Keys;

/// <summary>
/// Seals a message's text under the message's own 256-bit key with AES-GCM: a random 12-byte nonce, the 16-byte tag,
/// then the ciphertext. The key id is bound in as associated data, so a sealed text cannot pass for another message's.
/// </summary>
public static class MessageSealing
{
    public const int KeySize = 32;
    private const int NonceSize = 12;
    private const int TagSize = 16;

    public static byte[] NewKey() => RandomNumberGenerator.GetBytes(KeySize);

    public static string NewKeyId() => Guid.NewGuid().ToString("N");

    public static byte[] Seal(byte[] key, string keyId, string text)
    {
        var plain = Encoding.UTF8.GetBytes(text);
        var sealedText = new byte[NonceSize + TagSize + plain.Length];
        var nonce = sealedText.AsSpan(0, NonceSize);
        RandomNumberGenerator.Fill(nonce);
        using var aes = new AesGcm(key, TagSize);
        aes.Encrypt(nonce, plain, sealedText.AsSpan(NonceSize + TagSize), sealedText.AsSpan(NonceSize, TagSize), Encoding.UTF8.GetBytes(keyId));
        CryptographicOperations.ZeroMemory(plain);
        return sealedText;
    }

    /// <summary>The text, or null when it cannot be opened with this key.</summary>
    public static string? Open(byte[] key, string keyId, byte[] sealedText)
    {
        if (sealedText.Length < NonceSize + TagSize) return null;
        var plain = new byte[sealedText.Length - NonceSize - TagSize];
        try
        {
            using var aes = new AesGcm(key, TagSize);
            aes.Decrypt(sealedText.AsSpan(0, NonceSize), sealedText.AsSpan(NonceSize + TagSize), sealedText.AsSpan(NonceSize, TagSize), plain,
                Encoding.UTF8.GetBytes(keyId));
            return Encoding.UTF8.GetString(plain);
        }
        catch (CryptographicException)
        {
            return null;
        }
    }
}

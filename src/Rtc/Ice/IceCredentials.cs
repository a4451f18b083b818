using System.Security.Cryptography;

namespace OpenChat.Rtc.Ice;

/// <summary>ICE username fragment and password (RFC 8839 5.4: ufrag at least 4, password at least 22 ice-chars).</summary>
public sealed record IceCredentials(string Ufrag, string Password)
{
    private const string IceChars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

    /// <summary>Fresh random credentials: 8-character ufrag (48 bits), 24-character password (144 bits).</summary>
    public static IceCredentials Generate() => new(RandomString(8), RandomString(24));

    private static string RandomString(int length) => RandomNumberGenerator.GetString(IceChars, length);

    /// <summary>True if <paramref name="value"/> has only ice-chars and a length within the bounds.</summary>
    public static bool IsValid(string? value, int min, int max) =>
        value is not null && value.Length >= min && value.Length <= max && value.All(c => IceChars.Contains(c));
}

namespace OpenChat.Rtc.Tests;

internal static class Hex
{
    public static byte[] Parse(string hex) =>
        Convert.FromHexString(new string(hex.Where(Uri.IsHexDigit).ToArray()));

    public static string Of(ReadOnlySpan<byte> data) => Convert.ToHexString(data).ToLowerInvariant();
}

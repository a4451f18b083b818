using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using OpenChat.Protocol.Text;
using OpenChat.Protocol.Ids;

namespace OpenChat.Gateway.Auth;

/// <summary>
/// Issues and checks signed session tokens: <c>v1.payload.signature</c>, HMAC-SHA256 over the payload.
/// A token lets a reconnecting client be the same user without a server-side session store.
/// </summary>
public sealed class TokenService
{
    private const string Prefix = "v1.";
    private const int MaxTokenLength = 1024;
    private readonly byte[] _key;
    private readonly TimeProvider _time;
    private readonly TimeSpan _lifetime;

    public TokenService(byte[] key, TimeSpan lifetime, TimeProvider? time = null)
    {
        if (key.Length < 32) throw new ArgumentException("The signing key must have at least 32 bytes.", nameof(key));
        _key = key;
        _lifetime = lifetime;
        _time = time ?? TimeProvider.System;
    }

    private sealed record Payload(string Uid, string Name, long Exp);

    public (string Token, SessionIdentity Identity) Issue(UserId user, string displayName)
    {
        var expires = _time.GetUtcNow().Add(_lifetime);
        var payload = JsonSerializer.SerializeToUtf8Bytes(new Payload(user.Value, displayName, expires.ToUnixTimeSeconds()));
        var body = Base64Url.EncodeToString(payload);
        var signature = Base64Url.EncodeToString(HMACSHA256.HashData(_key, Encoding.ASCII.GetBytes(body)));
        return (Prefix + body + "." + signature, new SessionIdentity(user, displayName, DateTimeOffset.FromUnixTimeSeconds(expires.ToUnixTimeSeconds())));
    }

    /// <summary>The identity in a valid, unexpired token; null for anything else.</summary>
    public SessionIdentity? Validate(string? token)
    {
        if (token is null || token.Length > MaxTokenLength || !token.StartsWith(Prefix, StringComparison.Ordinal)) return null;
        var rest = token.AsSpan(Prefix.Length);
        var dot = rest.IndexOf('.');
        if (dot <= 0) return null;
        var body = rest[..dot];
        var signature = rest[(dot + 1)..];

        Span<byte> expected = stackalloc byte[32];
        HMACSHA256.HashData(_key, Encoding.ASCII.GetBytes(body.ToString()), expected);
        Span<byte> given = stackalloc byte[64];
        if (!Base64Url.TryDecodeFromChars(signature, given, out var written) || written != 32) return null;
        if (!CryptographicOperations.FixedTimeEquals(expected, given[..written])) return null;

        try
        {
            var payload = JsonSerializer.Deserialize<Payload>(Base64Url.DecodeFromChars(body));
            if (payload is null || string.IsNullOrEmpty(payload.Uid) || payload.Uid.Length > UserId.MaxLength) return null;
            if (TextRules.NormalizeDisplayName(payload.Name, out _) is null) return null;
            var expires = DateTimeOffset.FromUnixTimeSeconds(payload.Exp);
            if (expires <= _time.GetUtcNow()) return null;
            return new SessionIdentity(new UserId(payload.Uid), payload.Name, expires);
        }
        catch (Exception e) when (e is JsonException or FormatException or ArgumentException)
        {
            return null;
        }
    }

    /// <summary>The configured key, or one generated on first start and kept (owner-only) in the data directory.</summary>
    public static byte[] LoadOrCreateKey(AuthOptions options, string dataDirectory)
    {
        if (!string.IsNullOrWhiteSpace(options.SigningKey))
        {
            byte[] configured;
            try
            {
                configured = Convert.FromBase64String(options.SigningKey);
            }
            catch (FormatException)
            {
                throw new InvalidOperationException("OpenChat:Auth:SigningKey must be base64.");
            }
            if (configured.Length < 32) throw new InvalidOperationException("OpenChat:Auth:SigningKey must decode to at least 32 bytes.");
            return configured;
        }

        Directory.CreateDirectory(dataDirectory);
        var path = Path.Combine(dataDirectory, "signing.key");
        if (File.Exists(path))
        {
            var stored = Convert.FromBase64String(File.ReadAllText(path).Trim());
            if (stored.Length >= 32) return stored;
        }
        var key = RandomNumberGenerator.GetBytes(32);
        var temp = path + ".tmp";
        File.WriteAllText(temp, Convert.ToBase64String(key));
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(temp, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        File.Move(temp, path, overwrite: true);
        return key;
    }
}

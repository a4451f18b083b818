using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using OpenChat.Protocol.Text;
using OpenChat.Protocol.Ids;

namespace OpenChat.Gateway.Auth;

/// <summary>
/// Issues and checks signed session tokens, <c>v1.payload.signature</c>: HMAC-SHA256 over the base64url payload with a
/// key of the <see cref="SigningKeyRing"/>, whose id the payload names (<c>Kid</c>). A token names its user, its
/// session (shared by the session's renewals, so one revocation ends them all), when it was issued (so a user's older
/// sessions can be ended) and when the session began (renewal never takes it past <see cref="MaxSessionAge"/>).
/// The form is the one the previous release issues and reads (it ignores the fields it does not know), so tokens
/// pass between old and new gateways during a rolling update; its tokens (guests, no key id, no session) are
/// accepted until they expire. Whether a valid token was revoked is not decided here (<see cref="IdentityCache"/>).
/// </summary>
public sealed class TokenService
{
    private const string Prefix = "v1.";

    /// <summary>Whether <paramref name="bearer"/> has the form of a session token (valid or not).</summary>
    public static bool LooksLikeToken(string bearer) => bearer.StartsWith(Prefix, StringComparison.Ordinal);
    private const int MaxTokenLength = 1024;
    private readonly SigningKeyRing _keys;
    private readonly TimeProvider _time;

    public TokenService(SigningKeyRing keys, TimeSpan lifetime, TimeSpan maxSessionAge, TimeProvider? time = null)
    {
        _keys = keys;
        Lifetime = lifetime;
        MaxSessionAge = maxSessionAge;
        _time = time ?? TimeProvider.System;
    }

    public TimeSpan Lifetime { get; }

    public TimeSpan MaxSessionAge { get; }

    // Uid, Name and Exp are the previous release's fields, under its names.
    private sealed record Payload(string Uid, string Name, long Exp, string? Kid = null, string? Sid = null, long? Iat = null,
        long? Auth = null, string? Kind = null, string? Un = null);

    /// <summary>A token for a new session (a sign-in, a new guest) that began now.</summary>
    public (string Token, SessionIdentity Identity) IssueNew(UserId user, string displayName, SessionKind kind, string? username, DateTimeOffset? notBefore = null) =>
        Issue(user, displayName, kind, username, NewSessionId(), Now(notBefore), notBefore);

    /// <summary>
    /// The next token of an existing session: same session id and start, a later expiry but never past the start plus
    /// <see cref="MaxSessionAge"/>. Null when the session is that old already.
    /// </summary>
    public (string Token, SessionIdentity Identity)? Renew(SessionIdentity current, string? displayName = null, DateTimeOffset? notBefore = null)
    {
        // A token of the earlier form has no session: it becomes one that begins now.
        var sessionId = current.SessionId ?? NewSessionId();
        var began = current.SessionId is null ? Now(notBefore) : current.AuthTime;
        if (began + MaxSessionAge <= _time.GetUtcNow().AddMinutes(1)) return null;
        return Issue(current.User, displayName ?? current.DisplayName, current.Kind, current.Username, sessionId, began, notBefore);
    }

    private (string Token, SessionIdentity Identity) Issue(UserId user, string displayName, SessionKind kind, string? username,
        string sessionId, DateTimeOffset began, DateTimeOffset? notBefore = null)
    {
        var issued = Now(notBefore);
        var expires = issued.Add(Lifetime);
        var limit = began + MaxSessionAge;
        if (expires > limit) expires = limit;
        var (kid, key) = _keys.Current;
        var payload = new Payload(user.Value, displayName, expires.ToUnixTimeSeconds(), kid, sessionId, issued.ToUnixTimeMilliseconds(),
            began.ToUnixTimeSeconds(), kind == SessionKind.Account ? "a" : "g", username);
        var body = Base64Url.EncodeToString(JsonSerializer.SerializeToUtf8Bytes(payload, JsonOptions));
        var signature = Base64Url.EncodeToString(HMACSHA256.HashData(key, Encoding.ASCII.GetBytes(body)));
        return (Prefix + body + "." + signature, Identity(payload)!);
    }

    /// <summary>The time a token issued now carries: after <paramref name="notBefore"/>, in whole milliseconds.</summary>
    private DateTimeOffset Now(DateTimeOffset? notBefore)
    {
        var now = DateTimeOffset.FromUnixTimeMilliseconds(_time.GetUtcNow().ToUnixTimeMilliseconds());
        return notBefore is { } cut && now <= cut ? DateTimeOffset.FromUnixTimeMilliseconds(cut.ToUnixTimeMilliseconds() + 1) : now;
    }

    private static string NewSessionId() => Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(12));

    private static readonly JsonSerializerOptions JsonOptions = new() { DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull };

    /// <summary>The identity in a valid, unexpired token; null for anything else.</summary>
    public SessionIdentity? Validate(string? token)
    {
        if (token is null || token.Length > MaxTokenLength || !token.StartsWith(Prefix, StringComparison.Ordinal)) return null;
        var rest = token.AsSpan(Prefix.Length);
        var dot = rest.IndexOf('.');
        if (dot <= 0) return null;
        var body = rest[..dot].ToString();
        var signature = rest[(dot + 1)..];
        // The key id is read before the signature is checked (to choose the key) and trusted only after it.
        var claimed = Read(body);
        if (claimed is null) return null;
        if (claimed.Kid is not null)
        {
            if (!_keys.TryGet(claimed.Kid, out var key) || !Signed(key, body, signature)) return null;
            return Identity(claimed);
        }
        // The previous release's tokens name no key: any key of the ring may have signed them. They are guests'.
        foreach (var key in _keys.All)
        {
            if (Signed(key, body, signature)) return Identity(claimed with { Sid = null, Iat = null, Auth = null, Kind = "g", Un = null });
        }
        return null;
    }

    private static Payload? Read(string body)
    {
        try
        {
            return JsonSerializer.Deserialize<Payload>(Base64Url.DecodeFromChars(body), JsonOptions);
        }
        catch (Exception e) when (e is JsonException or FormatException or ArgumentException)
        {
            return null;
        }
    }

    private static bool Signed(byte[] key, string body, ReadOnlySpan<char> signature)
    {
        Span<byte> expected = stackalloc byte[32];
        HMACSHA256.HashData(key, Encoding.ASCII.GetBytes(body), expected);
        Span<byte> given = stackalloc byte[64];
        return Base64Url.TryDecodeFromChars(signature, given, out var written) && written == 32
            && CryptographicOperations.FixedTimeEquals(expected, given[..written]);
    }

    private SessionIdentity? Identity(Payload payload)
    {
        if (string.IsNullOrEmpty(payload.Uid) || !UserId.TryParse(payload.Uid, out var user)) return null;
        if (TextRules.NormalizeDisplayName(payload.Name, out _) is null) return null;
        var expires = DateTimeOffset.FromUnixTimeSeconds(payload.Exp);
        if (expires <= _time.GetUtcNow()) return null;
        var kind = payload.Kind == "a" ? SessionKind.Account : SessionKind.Guest;
        if (kind == SessionKind.Account && string.IsNullOrEmpty(payload.Un)) return null;
        if (payload.Sid is { Length: > 64 }) return null;
        return new SessionIdentity(user, payload.Name, expires, kind, payload.Un, payload.Sid,
            payload.Iat is { } iat ? DateTimeOffset.FromUnixTimeMilliseconds(iat) : null,
            payload.Auth is { } auth ? DateTimeOffset.FromUnixTimeSeconds(auth) : expires);
    }
}

using System.Globalization;
using System.Security.Claims;
using OpenChat.Protocol.Ids;

namespace OpenChat.Gateway.Auth;

/// <summary>A <see cref="SessionIdentity"/> as the claims of an authenticated request or hub connection, and back.</summary>
public static class SessionClaims
{
    private const string Kind = "openchat:kind";
    private const string Username = "openchat:username";
    private const string SessionId = "openchat:sid";
    private const string IssuedAt = "openchat:iat";
    private const string AuthTime = "openchat:auth";
    private const string Expires = "openchat:exp";

    public static ClaimsPrincipal ToPrincipal(SessionIdentity identity, string scheme)
    {
        var claims = new List<Claim>
        {
            new(ClaimTypes.NameIdentifier, identity.User.Value),
            new(TokenAuthenticationHandler.DisplayNameClaim, identity.DisplayName),
            new(Kind, identity.Kind.ToString()),
            new(Expires, identity.ExpiresAt.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture)),
            new(AuthTime, identity.AuthTime.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture)),
        };
        if (identity.Username is not null) claims.Add(new Claim(Username, identity.Username));
        if (identity.SessionId is not null) claims.Add(new Claim(SessionId, identity.SessionId));
        if (identity.IssuedAt is { } iat) claims.Add(new Claim(IssuedAt, iat.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture)));
        return new ClaimsPrincipal(new ClaimsIdentity(claims, scheme));
    }

    /// <summary>The identity of an authenticated principal; null for anyone else.</summary>
    public static SessionIdentity? From(ClaimsPrincipal? principal)
    {
        if (principal?.Identity?.IsAuthenticated != true) return null;
        var user = principal.FindFirstValue(ClaimTypes.NameIdentifier);
        var name = principal.FindFirstValue(TokenAuthenticationHandler.DisplayNameClaim);
        if (!UserId.TryParse(user, out var id) || string.IsNullOrEmpty(name)) return null;
        return new SessionIdentity(
            id,
            name,
            Seconds(principal.FindFirstValue(Expires)) ?? DateTimeOffset.MaxValue,
            Enum.TryParse<SessionKind>(principal.FindFirstValue(Kind), out var kind) ? kind : SessionKind.Guest,
            principal.FindFirstValue(Username),
            principal.FindFirstValue(SessionId),
            long.TryParse(principal.FindFirstValue(IssuedAt), CultureInfo.InvariantCulture, out var ms) ? DateTimeOffset.FromUnixTimeMilliseconds(ms) : null,
            Seconds(principal.FindFirstValue(AuthTime)) ?? default);
    }

    private static DateTimeOffset? Seconds(string? value) =>
        long.TryParse(value, CultureInfo.InvariantCulture, out var s) ? DateTimeOffset.FromUnixTimeSeconds(s) : null;
}

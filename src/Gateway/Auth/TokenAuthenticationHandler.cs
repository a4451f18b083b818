using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace OpenChat.Gateway.Auth;

/// <summary>
/// Authenticates requests by session token: the <c>Authorization: Bearer</c> header, or the
/// <c>access_token</c> query parameter on the hub (browsers cannot set headers on WebSockets). A token must be
/// valid, unexpired and not revoked (<see cref="IdentityCache"/>); while this gateway has not yet loaded the
/// revocations, requests that need a session are answered 503 rather than 401.
/// </summary>
public sealed class TokenAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder,
    TokenService tokens,
    IdentityCache identities) : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "OpenChatToken";
    public const string DisplayNameClaim = "openchat:name";
    private const string NotLoadedKey = "openchat:identities-not-loaded";
    private const string EndedKey = "openchat:session-ended";

    /// <summary>The token a request carries, or null.</summary>
    public static string? TokenOf(HttpRequest request)
    {
        var header = request.Headers.Authorization.ToString();
        if (header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)) return header["Bearer ".Length..].Trim();
        if (request.Path.StartsWithSegments(GatewayEndpoints.HubPath)) return request.Query["access_token"].ToString();
        return null;
    }

    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var token = TokenOf(Request);
        if (string.IsNullOrEmpty(token)) return Task.FromResult(AuthenticateResult.NoResult());
        var identity = tokens.Validate(token);
        if (identity is null) return Task.FromResult(AuthenticateResult.Fail("Invalid or expired session token."));
        if (!identities.CanAuthenticate)
        {
            Context.Items[NotLoadedKey] = true;
            return Task.FromResult(AuthenticateResult.Fail("This gateway is starting."));
        }
        if (identities.Loaded && identities.IsRevoked(identity))
        {
            if (identities.EndedBecause(identity) is { } reason) Context.Items[EndedKey] = reason;
            return Task.FromResult(AuthenticateResult.Fail("This session was ended."));
        }
        return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(SessionClaims.ToPrincipal(identity, SchemeName), SchemeName)));
    }

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        if (Context.Items.ContainsKey(NotLoadedKey))
        {
            Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
            Response.Headers.RetryAfter = "1";
            await Response.WriteAsJsonAsync(new { error = "unavailable", message = "The server is starting; try again in a moment." });
            return;
        }
        // A moderator ended the session (kick, ban): the client shows the user why.
        if (Context.Items.TryGetValue(EndedKey, out var reason) && reason is string text)
        {
            Response.StatusCode = StatusCodes.Status401Unauthorized;
            await Response.WriteAsJsonAsync(new { error = "session_ended", message = text });
            return;
        }
        await base.HandleChallengeAsync(properties);
    }
}

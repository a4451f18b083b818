using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace OpenChat.Gateway.Auth;

/// <summary>
/// Authenticates requests by session token: the <c>Authorization: Bearer</c> header, or the
/// <c>access_token</c> query parameter on the hub (browsers cannot set headers on WebSockets).
/// </summary>
public sealed class TokenAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder,
    TokenService tokens) : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "OpenChatToken";
    public const string DisplayNameClaim = "openchat:name";

    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        string? token = null;
        var header = Request.Headers.Authorization.ToString();
        if (header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
            token = header["Bearer ".Length..].Trim();
        else if (Request.Path.StartsWithSegments(GatewayEndpoints.HubPath))
            token = Request.Query["access_token"].ToString();

        if (string.IsNullOrEmpty(token)) return Task.FromResult(AuthenticateResult.NoResult());
        var identity = tokens.Validate(token);
        if (identity is null) return Task.FromResult(AuthenticateResult.Fail("Invalid or expired session token."));

        var claims = new ClaimsIdentity(
            [new Claim(ClaimTypes.NameIdentifier, identity.User.Value), new Claim(DisplayNameClaim, identity.DisplayName)],
            SchemeName);
        return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(claims), SchemeName)));
    }
}

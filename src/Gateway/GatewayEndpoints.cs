using System.Reflection;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Options;
using OpenChat.Actors.Channels;
using OpenChat.Actors.Ids;
using OpenChat.Gateway.Auth;
using OpenChat.Gateway.Hub;
using OpenChat.Gateway.Sessions;

namespace OpenChat.Gateway;

/// <summary>The gateway's HTTP surface: the hub, session creation, server info and the start page.</summary>
public static class GatewayEndpoints
{
    public const string HubPath = "/hub";

    public static WebApplication MapOpenChatGateway(this WebApplication app)
    {
        app.UseRateLimiter();
        app.UseAuthentication();
        app.UseAuthorization();

        app.MapHub<ChatHub>(HubPath);
        app.MapPost("/api/session", CreateSession).RequireRateLimiting(GatewaySetup.SessionRateLimitPolicy);
        app.MapGet("/api/info", (ChannelCatalog catalog) => Results.Ok(new
        {
            name = "OpenChat",
            version = typeof(GatewayEndpoints).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "dev",
            channels = catalog.Channels.Select(ChannelDto.From),
        }));
        app.MapAdminEndpoints();
        app.MapGet("/", () => Results.Content(StartPage.Value, "text/html; charset=utf-8"));
        return app;
    }

    /// <summary>
    /// Starts a guest session: a display name, optionally with the previous token so the user keeps their id.
    /// </summary>
    private static IResult CreateSession(SessionRequest? request, TokenService tokens, IOptions<AuthOptions> auth)
    {
        if (!auth.Value.AllowGuests)
            return Problem(StatusCodes.Status403Forbidden, "forbidden", "This server does not admit guests.");
        if (request is null)
            return Problem(StatusCodes.Status400BadRequest, "invalid_argument", "A JSON body with displayName is required.");
        var name = TextRules.NormalizeDisplayName(request.DisplayName, out var reason);
        if (name is null) return Problem(StatusCodes.Status400BadRequest, "invalid_argument", reason);

        var user = UserId.NewGuest();
        if (!string.IsNullOrEmpty(request.Token))
        {
            var previous = tokens.Validate(request.Token);
            if (previous is null) return Problem(StatusCodes.Status401Unauthorized, "invalid_token", "The previous token is invalid or expired.");
            user = previous.User;
        }
        var (token, identity) = tokens.Issue(user, name);
        return Results.Ok(new SessionDto(token, identity.User.Value, identity.DisplayName, identity.ExpiresAt));
    }

    /// <summary>The error body every gateway HTTP endpoint uses: <c>{"error": code, "message": detail}</c>.</summary>
    internal static IResult Problem(int status, string code, string detail) =>
        Results.Json(new { error = code, message = detail }, statusCode: status);

    private static readonly Lazy<string> StartPage = new(() =>
    {
        using var stream = typeof(GatewayEndpoints).Assembly.GetManifestResourceStream("OpenChat.Gateway.index.html")!;
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    });
}

using System.Reflection;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Net.Http.Headers;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Options;
using OpenChat.Protocol.Text;
using OpenChat.Protocol.Ids;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OpenChat.Gateway.Auth;
using OpenChat.Gateway.Edge;
using OpenChat.Gateway.Https;
using OpenChat.Gateway.Hub;
using OpenChat.Gateway.Sessions;
using OpenChat.Gateway.Turn;
using OpenChat.Gateway.WebClient;

namespace OpenChat.Gateway;

/// <summary>The gateway's HTTP surface: the hub, session creation, server info and the web client.</summary>
public static class GatewayEndpoints
{
    public const string HubPath = "/hub";

    /// <summary>
    /// The web client's content security policy: its own scripts, styles and connections only (the hub's
    /// WebSocket is same-origin), no inline script, no plugins, and no framing by other sites.
    /// </summary>
    public const string ContentSecurityPolicy =
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
        "media-src 'self' blob:; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

    /// <summary>Addresses that belong to the server, never to the web client's pages.</summary>
    private static readonly string[] ServerPaths = ["/api", HubPath, "/healthz", "/metrics"];

    public static WebApplication MapOpenChatGateway(this WebApplication app)
    {
        var gateway = app.Services.GetRequiredService<IOptions<GatewayOptions>>().Value;
        var turnLog = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger<TurnOptions>();
        foreach (var warning in app.Services.GetRequiredService<IOptions<TurnOptions>>().Value.Warnings())
            turnLog.LogWarning("{Warning}", warning);
        // First, so that every limit keyed by client address sees the client rather than the proxy.
        app.UseForwardedHeaders(ForwardedHeadersSetup.Options(gateway));
        app.UseOpenChatHttpsRedirect();
        app.UseMiddleware<ApiBodyLimit>();
        // Before routing: an API call's content type decides which endpoint matches.
        app.UseMiddleware<ApiJsonBodies>();
        app.UseRouting();
        app.Use((context, next) =>
        {
            var headers = context.Response.Headers;
            headers.ContentSecurityPolicy = ContentSecurityPolicy;
            headers.XContentTypeOptions = "nosniff";
            headers.XFrameOptions = "DENY";
            headers["Referrer-Policy"] = "no-referrer";
            headers["Permissions-Policy"] = "microphone=(self), camera=(), geolocation=(), payment=()";
            return next(context);
        });
        app.UseStaticFiles(new StaticFileOptions
        {
            FileProvider = EmbeddedWebClient.Instance,
            OnPrepareResponse = context => context.Context.Response.Headers.CacheControl =
                context.Context.Request.Path.StartsWithSegments("/assets")
                    ? "public, max-age=31536000, immutable" // names carry a content hash
                    : "no-cache",
        });
        app.UseRateLimiter();
        app.UseAuthentication();
        app.UseAuthorization();

        app.MapHub<ChatHub>(HubPath);
        app.MapAccountEndpoints();
        // Whether a token is still accepted: the web client connects its WebSocket without negotiation (so any gateway
        // can take it, no sticky sessions), and a browser never sees the status of a refused WebSocket upgrade.
        app.MapGet("/api/session", (HttpContext context) => Results.Ok(new
        {
            userId = context.User.FindFirst(System.Security.Claims.ClaimTypes.NameIdentifier)?.Value,
            displayName = context.User.FindFirst(Auth.TokenAuthenticationHandler.DisplayNameClaim)?.Value,
        })).RequireAuthorization();
        app.MapGet("/api/info", (ChannelCatalog catalog, IOptions<AuthOptions> auth, IdentityCache identities) =>
        {
            var settings = ServerEndpoints.Current(catalog, gateway, auth.Value);
            return Results.Ok(new
            {
                name = settings.Name,
                description = settings.Description,
                version = typeof(GatewayEndpoints).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "dev",
                // Only what anyone may see: the channels open to @everyone.
                channels = catalog.Channels.Where(c => catalog.Permissions.InChannel(Access.Anonymous, false, c.Id) != Protocol.Permissions.Permission.None)
                    .Select(c => ChannelDto.From(c)),
                auth = new
                {
                    guestsAllowed = settings.GuestsAllowed,
                    registrationOpen = auth.Value.AllowRegistration,
                    joinPolicy = ServerSettingsDto.From(settings).JoinPolicy,
                    setupRequired = identities.Loaded && identities.Owner is null,
                },
            });
        });
        app.MapAdminEndpoints();
        app.MapPermissionEndpoints();
        app.MapGet("/", ServeClient);
        // Any other page address (not a file, not the server's own) is the single-page client too.
        app.MapFallback(context =>
            ServerPaths.Any(p => context.Request.Path.StartsWithSegments(p, StringComparison.OrdinalIgnoreCase))
            || !(HttpMethods.IsGet(context.Request.Method) || HttpMethods.IsHead(context.Request.Method))
                ? Results.NotFound().ExecuteAsync(context)
                : ServeClient(context).ExecuteAsync(context));
        return app;
    }

    /// <summary>The error body every gateway HTTP endpoint uses: <c>{"error": code, "message": detail}</c>.</summary>
    internal static IResult Problem(int status, string code, string detail) =>
        Results.Json(new { error = code, message = detail }, statusCode: status);

    /// <summary>The client's index.html, revalidated on every load so a new build is picked up at once.</summary>
    private static IResult ServeClient(HttpContext context)
    {
        var page = EmbeddedWebClient.Instance.Index;
        context.Response.Headers.CacheControl = "no-cache";
        context.Response.Headers.ETag = page.ETag;
        var ifNoneMatch = context.Request.GetTypedHeaders().IfNoneMatch;
        if (ifNoneMatch.Any(tag => tag.Tag == page.ETag || tag.Equals(EntityTagHeaderValue.Any)))
            return Results.StatusCode(StatusCodes.Status304NotModified);
        return Results.Bytes(page.Content, "text/html; charset=utf-8");
    }
}

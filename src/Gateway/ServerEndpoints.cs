using Akka.Actor;
using Akka.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Options;
using OpenChat.Gateway.Audit;
using OpenChat.Gateway.Auth;
using OpenChat.Gateway.Hub;
using OpenChat.Gateway.Sessions;
using OpenChat.Hosting;
using OpenChat.Protocol;
using OpenChat.Protocol.Accounts;
using OpenChat.Protocol.Cluster;
using OpenChat.Protocol.Commands;
using OpenChat.Protocol.Permissions;

namespace OpenChat.Gateway;

/// <summary>
/// The server's settings (name, description, join policy, guests) and its invites over HTTP. Reading the settings needs
/// a session; changing them and managing invites needs <see cref="Permission.ManageServer"/> (or the admin key).
/// </summary>
public static class ServerEndpoints
{
    public sealed record SettingsRequest(string? Name, string? Description, string? JoinPolicy, bool? GuestsAllowed);

    public sealed record InviteRequest(int? MaxUses, long? ExpiresInSeconds);

    public sealed record InviteCreatorDto(string Id, string Name);

    /// <summary>An invite as the panel lists it; <c>Url</c> is the link to hand out.</summary>
    public sealed record InviteDto(string Code, string Url, InviteCreatorDto CreatedBy, DateTimeOffset CreatedAt, DateTimeOffset? ExpiresAt, int? MaxUses, int Uses);

    /// <summary>What someone holding an invite link is told before registering: which server, and until when.</summary>
    public sealed record InviteCheckDto(string Code, string Server, string Description, DateTimeOffset? ExpiresAt, int? UsesLeft);

    /// <summary>An invite lasts at least a minute and at most a year (or until revoked).</summary>
    public static readonly TimeSpan MinInviteLifetime = TimeSpan.FromMinutes(1);

    public static readonly TimeSpan MaxInviteLifetime = TimeSpan.FromDays(365);

    /// <summary>The settings in force: the stored ones, or the operator's configuration until someone changed them.</summary>
    public static ServerSettings Current(ChannelCatalog catalog, GatewayOptions gateway, AuthOptions auth) => catalog.Settings ?? Configured(gateway, auth);

    private static ServerSettings Configured(GatewayOptions gateway, AuthOptions auth) =>
        new(gateway.ServerName.Trim(), gateway.ServerDescription.Trim(), gateway.JoinPolicy, auth.AllowGuests);

    /// <summary>Maps the endpoints: those needing a caller on <paramref name="group"/> (whose filter sets it), the invite check on <paramref name="app"/>.</summary>
    public static void Map(WebApplication app, RouteGroupBuilder group)
    {
        app.MapGet("/api/invites/{code}", async (string code, ChannelCatalog catalog, IOptions<GatewayOptions> gateway, IOptions<AuthOptions> auth,
            IRequiredActor<AccountsSingleton> accounts, CallBudgets budgets) =>
        {
            if (code.Length > 64) return InviteInvalid("This invite is not valid.");
            var settings = Current(catalog, gateway.Value, auth.Value);
            return await AccountEndpoints.Ask(accounts, new CheckInvite(code), budgets) switch
            {
                InviteView i => Results.Json(new InviteCheckDto(i.Code, settings.Name, settings.Description, i.ExpiresAt, i.MaxUses - i.Uses)),
                CommandRejected { Code: ErrorCode.InviteInvalid } r => InviteInvalid(r.Reason),
                var other => Unavailable(other),
            };
        }).RequireRateLimiting(GatewaySetup.SessionRateLimitPolicy);

        group.MapGet("/server/settings", (ChannelCatalog catalog, IOptions<GatewayOptions> gateway, IOptions<AuthOptions> auth) =>
            Results.Json(ServerSettingsDto.From(Current(catalog, gateway.Value, auth.Value))));
        group.MapPatch("/server/settings", UpdateSettings);

        group.MapGet("/server/invites", async (HttpContext http, IRequiredActor<AccountsSingleton> accounts, CallBudgets budgets) =>
        {
            if (!PermissionEndpoints.Caller(http).Can(Permission.ManageServer)) return PermissionEndpoints.Missing(Permission.ManageServer);
            return await AccountEndpoints.Ask(accounts, GetInvites.Instance, budgets) switch
            {
                InviteList list => Results.Json(new { invites = list.Invites.Select(i => Dto(i, http)).ToArray() }),
                var other => Unavailable(other),
            };
        });
        group.MapPost("/server/invites", async (InviteRequest? request, HttpContext http, IRequiredActor<AccountsSingleton> accounts, IdentityCache identities,
            CallBudgets budgets, AuditTrail audit) =>
        {
            var access = PermissionEndpoints.Caller(http);
            if (!access.Can(Permission.ManageServer)) return PermissionEndpoints.Missing(Permission.ManageServer);
            request ??= new InviteRequest(null, null);
            if (request.MaxUses is < 1 or > CreateInvite.MaxUsesLimit)
                return Problem(StatusCodes.Status400BadRequest, "invalid_argument", $"maxUses is 1 to {CreateInvite.MaxUsesLimit}, or absent for any number.");
            if (request.ExpiresInSeconds is { } seconds && (seconds < MinInviteLifetime.TotalSeconds || seconds > MaxInviteLifetime.TotalSeconds))
                return Problem(StatusCodes.Status400BadRequest, "invalid_argument",
                    $"expiresInSeconds is {MinInviteLifetime.TotalSeconds} to {MaxInviteLifetime.TotalSeconds}, or absent for an invite that lasts until revoked.");
            var expires = request.ExpiresInSeconds is { } s ? DateTimeOffset.UtcNow.AddSeconds(s) : (DateTimeOffset?)null;
            var byName = SessionClaims.From(http.User)?.DisplayName ?? "admin key";
            return await AccountEndpoints.Ask(accounts, new CreateInvite(access.User, byName, request.MaxUses, expires), budgets) switch
            {
                InviteView i => Created(i, http, access, audit),
                CommandRejected { Code: ErrorCode.InvalidArgument } r => Problem(StatusCodes.Status400BadRequest, r.Code.WireName(), r.Reason),
                var other => Unavailable(other),
            };
        });
        group.MapDelete("/server/invites/{code}", async (string code, HttpContext http, IRequiredActor<AccountsSingleton> accounts, CallBudgets budgets,
            AuditTrail audit) =>
        {
            var access = PermissionEndpoints.Caller(http);
            if (!access.Can(Permission.ManageServer)) return PermissionEndpoints.Missing(Permission.ManageServer);
            if (code.Length > 64) return Problem(StatusCodes.Status404NotFound, "invite_invalid", "There is no such invite.");
            var reply = await AccountEndpoints.Ask(accounts, new RevokeInvite(code, access.User), budgets);
            if (reply is RevocationDone) audit.Record(access, "invite.revoke", new AuditTarget("invite", code));
            return reply switch
            {
                RevocationDone => Results.NoContent(),
                CommandRejected { Code: ErrorCode.InviteInvalid } r => Problem(StatusCodes.Status404NotFound, r.Code.WireName(), r.Reason),
                var other => Unavailable(other),
            };
        });
    }

    private static async Task<IResult> UpdateSettings(SettingsRequest? request, HttpContext http, IRequiredActor<ChannelDirectory> directory, ChannelCatalog catalog,
        IOptions<GatewayOptions> gateway, IOptions<AuthOptions> auth, AuditTrail audit)
    {
        var access = PermissionEndpoints.Caller(http);
        if (!access.Can(Permission.ManageServer)) return PermissionEndpoints.Missing(Permission.ManageServer);
        if (request is null) return Problem(StatusCodes.Status400BadRequest, "invalid_argument", "A JSON body is required.");
        JoinPolicy? policy = null;
        if (request.JoinPolicy is not null)
        {
            if (request.JoinPolicy is not ("open" or "invite")) return Problem(StatusCodes.Status400BadRequest, "invalid_argument", "joinPolicy is open or invite.");
            policy = request.JoinPolicy == "invite" ? JoinPolicy.Invite : JoinPolicy.Open;
        }
        var before = Current(catalog, gateway.Value, auth.Value);
        object reply;
        try
        {
            reply = await directory.ActorRef.Ask<object>(new UpdateServerSettings(Configured(gateway.Value, auth.Value), request.Name, request.Description, policy,
                request.GuestsAllowed), gateway.Value.ClusterTimeout);
        }
        catch (AskTimeoutException)
        {
            return Problem(StatusCodes.Status503ServiceUnavailable, "unavailable", "The channel directory did not answer in time.");
        }
        if (reply is not ServerSettingsSaved saved)
            return reply is CommandRejected r
                ? Problem(StatusCodes.Status400BadRequest, r.Code.WireName(), r.Reason)
                : Problem(StatusCodes.Status500InternalServerError, "internal", "Unexpected reply.");
        await catalog.CaughtUpAsync(saved.Revision, gateway.Value.ClusterTimeout);
        audit.Record(access, "server.update", AuditTarget.Server, detail: Describe(before, saved.Settings));
        return Results.Json(ServerSettingsDto.From(saved.Settings));
    }

    /// <summary>What a settings change did, for the audit log ("renamed to Lan party, invite only").</summary>
    private static string? Describe(ServerSettings before, ServerSettings after)
    {
        var parts = new List<string>();
        if (before.Name != after.Name) parts.Add($"renamed to {after.Name}");
        if (before.Description != after.Description) parts.Add("description changed");
        if (before.JoinPolicy != after.JoinPolicy) parts.Add(after.JoinPolicy == JoinPolicy.Invite ? "invite only" : "open to all");
        if (before.GuestsAllowed != after.GuestsAllowed) parts.Add(after.GuestsAllowed ? "guests allowed" : "guests refused");
        return parts.Count == 0 ? null : string.Join(", ", parts);
    }

    private static IResult Created(InviteView invite, HttpContext http, Access access, AuditTrail audit)
    {
        var limits = $"{(invite.MaxUses is { } max ? $"{max} uses" : "any number of uses")}{(invite.ExpiresAt is { } at ? $", until {at:u}" : "")}";
        audit.Record(access, "invite.create", new AuditTarget("invite", invite.Code), detail: limits);
        return Results.Json(Dto(invite, http), statusCode: StatusCodes.Status201Created);
    }

    private static InviteDto Dto(InviteView i, HttpContext http) =>
        new(i.Code, $"{http.Request.Scheme}://{http.Request.Host}/invite/{i.Code}", new InviteCreatorDto(i.CreatedBy.Value, i.CreatedByName), i.CreatedAt,
            i.ExpiresAt, i.MaxUses, i.Uses);

    private static IResult InviteInvalid(string reason) => Problem(StatusCodes.Status404NotFound, "invite_invalid", reason);

    private static IResult Unavailable(object reply) => reply is CommandRejected r
        ? Problem(StatusCodes.Status503ServiceUnavailable, r.Code.WireName(), r.Reason)
        : Problem(StatusCodes.Status503ServiceUnavailable, "unavailable", "The accounts service answered unexpectedly.");

    private static IResult Problem(int status, string code, string detail) => GatewayEndpoints.Problem(status, code, detail);
}

using Akka.Actor;
using Akka.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using OpenChat.Gateway.Audit;
using OpenChat.Gateway.Auth;
using OpenChat.Gateway.Edge;
using OpenChat.Gateway.Hub;
using OpenChat.Gateway.Sessions;
using OpenChat.Hosting;
using OpenChat.Protocol;
using OpenChat.Protocol.Accounts;
using OpenChat.Protocol.Cluster;
using OpenChat.Protocol.Commands;
using OpenChat.Protocol.Ids;
using OpenChat.Protocol.Permissions;

namespace OpenChat.Gateway;

/// <summary>
/// Roles, members' roles, channel overrides and channels over HTTP, for members with the permissions (docs/permissions.md).
/// Every call needs a session token, or the admin key, which acts as the owner. The gateway refuses what the caller's
/// permissions plainly exclude; the directory judges every change again on its own state (hierarchy, what the caller
/// may grant), so two changes racing cannot get around the rules.
/// </summary>
public static class PermissionEndpoints
{
    public sealed record RoleRequest(string? Name, string[]? Permissions, int? Position, string? Color);

    public sealed record OverrideRequest(string[]? Allow, string[]? Deny);

    public sealed record RemovalRequest(string? Reason);

    /// <summary>A time-out: how many minutes (1 to 40320) and why.</summary>
    public sealed record TimeOutRequest(int? Minutes, string? Reason);

    /// <summary>The caller of a request: set by the filter on every endpoint of this group.</summary>
    private const string AccessKey = "openchat:access";

    public static void MapPermissionEndpoints(this WebApplication app)
    {
        var group = app.MapGroup("/api").AddEndpointFilter(async (context, next) =>
        {
            var http = context.HttpContext;
            var catalog = http.RequestServices.GetRequiredService<ChannelCatalog>();
            if (SessionClaims.From(http.User) is { } identity)
            {
                if (!catalog.IsLoaded) return NotLoaded();
                http.Items[AccessKey] = Access.For(identity, catalog, http.RequestServices.GetRequiredService<IdentityCache>());
                return await next(context);
            }
            var guard = http.RequestServices.GetRequiredService<AdminGuard>();
            var header = http.Request.Headers.Authorization.ToString();
            var given = header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? header["Bearer ".Length..].Trim() : "";
            var address = ClientAddress.Key(http);
            // A session token that did not authenticate (expired, revoked) is not a wrong admin key.
            if (given.Length > 0 && !TokenService.LooksLikeToken(given) && guard.Enabled && !guard.IsThrottled(address, out _) && guard.Check(given, address))
            {
                if (!catalog.IsLoaded) return NotLoaded();
                http.Items[AccessKey] = Access.AdminKey(catalog);
                return await next(context);
            }
            return Problem(StatusCodes.Status401Unauthorized, "forbidden", "A session token is required.");
        });

        group.MapGet("/me/permissions", (HttpContext http) => Results.Json(PermissionsDto.From(Caller(http))));

        group.MapGet("/server/audit", (HttpContext http, IRequiredActor<AuditLogSingleton> log, CallBudgets budgets) =>
            AuditEndpoints.Query(Caller(http), http, log, budgets));

        group.MapGet("/server/roles", (HttpContext http) =>
            Results.Json(new { roles = Caller(http).Model.Roles.Select(RoleDto.From).ToArray() }));
        group.MapPost("/server/roles", async (RoleRequest? request, HttpContext http, IRequiredActor<ChannelDirectory> directory, IOptions<GatewayOptions> options) =>
        {
            var access = Caller(http);
            if (!access.Can(Permission.ManageRoles)) return Missing(Permission.ManageRoles);
            if (request is null) return Problem(StatusCodes.Status400BadRequest, "invalid_argument", "A JSON body is required.");
            if (!Permissions.TryParse(request.Permissions, out var permissions, out var unknown)) return UnknownPermission(unknown);
            return await Send(http, directory, new CreateRole(access.Caller, request.Name ?? "", permissions, request.Color), options.Value, StatusCodes.Status201Created,
                r => Trail(http).Record(access, "role.create", AuditTarget.Role(((RoleResult)r).Role!.Id, ((RoleResult)r).Role!.Name), detail: AuditDetails.RoleUpdate(null, permissions, null, null)));
        });
        group.MapPatch("/server/roles/{roleId}", async (string roleId, RoleRequest? request, HttpContext http, IRequiredActor<ChannelDirectory> directory,
            IOptions<GatewayOptions> options) =>
        {
            var access = Caller(http);
            if (!access.Can(Permission.ManageRoles)) return Missing(Permission.ManageRoles);
            if (request is null) return Problem(StatusCodes.Status400BadRequest, "invalid_argument", "A JSON body is required.");
            Permission? permissions = null;
            if (request.Permissions is not null)
            {
                if (!Permissions.TryParse(request.Permissions, out var parsed, out var unknown)) return UnknownPermission(unknown);
                permissions = parsed;
            }
            return await Send(http, directory, new UpdateRole(access.Caller, roleId, request.Name, permissions, request.Position, request.Color),
                options.Value, StatusCodes.Status200OK, _ => Trail(http).Record(access, AuditDetails.OnlyMoves(request.Name, permissions, request.Position, request.Color)
                    ? "role.reorder" : "role.update", AuditTarget.Role(roleId), detail: AuditDetails.RoleUpdate(request.Name, permissions, request.Position, request.Color)));
        });
        group.MapDelete("/server/roles/{roleId}", async (string roleId, HttpContext http, IRequiredActor<ChannelDirectory> directory, IOptions<GatewayOptions> options) =>
        {
            var access = Caller(http);
            if (!access.Can(Permission.ManageRoles)) return Missing(Permission.ManageRoles);
            var name = access.Model.FindRole(roleId)?.Name;
            return await Send(http, directory, new DeleteRole(access.Caller, roleId), options.Value, StatusCodes.Status204NoContent,
                _ => Trail(http).Record(access, "role.delete", AuditTarget.Role(roleId, name)));
        });

        group.MapGet("/server/members", async (string? query, HttpContext http, IRequiredActor<AccountsSingleton> accounts, IdentityCache identities, CallBudgets budgets) =>
        {
            var access = Caller(http);
            // Those who give roles, kick or ban find the members they act on.
            if (!access.Can(Permission.ManageRoles) && !access.Can(Permission.KickMembers) && !access.Can(Permission.BanMembers))
                return Missing(Permission.ManageRoles);
            if (query is { Length: > 64 }) return Problem(StatusCodes.Status400BadRequest, "invalid_argument", "A query has at most 64 characters.");
            return await AskAccounts(accounts, new FindAccounts(query ?? "", FindAccounts.MaxLimit), budgets) switch
            {
                AccountsFound found => Results.Json(new
                {
                    members = found.Accounts.Select(a => new MemberRolesDto(a.User.Value, a.Username,
                        access.Model.RolesOf(a.User).Select(r => r.Id).ToArray(), identities.TimeOutOf(a.User)?.Until)).ToArray(),
                }),
                var other => Refused(other),
            };
        });
        group.MapPut("/server/members/{userId}/roles/{roleId}", (string userId, string roleId, HttpContext http, IRequiredActor<ChannelDirectory> directory,
            IRequiredActor<AccountsSingleton> accounts, CallBudgets budgets, IOptions<GatewayOptions> options) =>
            SetMemberRole(userId, roleId, true, http, directory, accounts, budgets, options.Value));
        group.MapDelete("/server/members/{userId}/roles/{roleId}", (string userId, string roleId, HttpContext http, IRequiredActor<ChannelDirectory> directory,
            IRequiredActor<AccountsSingleton> accounts, CallBudgets budgets, IOptions<GatewayOptions> options) =>
            SetMemberRole(userId, roleId, false, http, directory, accounts, budgets, options.Value));

        group.MapPost("/server/members/{userId}/kick", (string userId, RemovalRequest? request, HttpContext http, IRequiredActor<AccountsSingleton> accounts,
            IdentityCache identities, CallBudgets budgets) => RemoveMember(userId, request?.Reason, ban: false, http, accounts, identities, budgets));
        group.MapPost("/server/members/{userId}/ban", (string userId, RemovalRequest? request, HttpContext http, IRequiredActor<AccountsSingleton> accounts,
            IdentityCache identities, CallBudgets budgets) => RemoveMember(userId, request?.Reason, ban: true, http, accounts, identities, budgets));
        group.MapPost("/server/members/{userId}/timeout", (string userId, TimeOutRequest? request, HttpContext http, IRequiredActor<AccountsSingleton> accounts,
            IdentityCache identities, CallBudgets budgets) => TimeOut(userId, request, http, accounts, identities, budgets));
        group.MapDelete("/server/members/{userId}/timeout", (string userId, HttpContext http, IRequiredActor<AccountsSingleton> accounts,
            IdentityCache identities, CallBudgets budgets) => LiftTimeOut(userId, http, accounts, identities, budgets));
        group.MapDelete("/server/members/{userId}/ban", async (string userId, HttpContext http, IRequiredActor<AccountsSingleton> accounts, CallBudgets budgets) =>
        {
            var access = Caller(http);
            if (!access.Can(Permission.BanMembers)) return Missing(Permission.BanMembers);
            if (!UserId.TryParse(userId, out var user)) return Problem(StatusCodes.Status404NotFound, "unknown_user", "No such member.");
            return await AskAccounts(accounts, new UnbanMember(user, access.User), budgets) switch
            {
                RevocationDone => Recorded(Results.NoContent(), () => Trail(http).Record(access, "member.unban", AuditTarget.Member(user))),
                CommandRejected { Code: ErrorCode.UnknownUser } r => Problem(StatusCodes.Status404NotFound, r.Code.WireName(), r.Reason),
                var other => Refused(other),
            };
        });
        group.MapGet("/server/cluster", (HttpContext http, ActorSystem system, GatewayRuntime runtime) =>
            Caller(http).Can(Permission.ManageServer) ? AdminEndpoints.ClusterView(system, runtime) : Task.FromResult(Missing(Permission.ManageServer)));
        group.MapGet("/server/bans", async (HttpContext http, IRequiredActor<AccountsSingleton> accounts, CallBudgets budgets) =>
        {
            if (!Caller(http).Can(Permission.BanMembers)) return Missing(Permission.BanMembers);
            return await AskAccounts(accounts, GetBans.Instance, budgets) switch
            {
                BanList list => Results.Json(new
                {
                    bans = list.Bans.Select(b => new { userId = b.User.Value, name = b.Username, by = b.By.Value, byName = b.ByName, reason = b.Reason, at = b.At }).ToArray(),
                }),
                var other => Refused(other),
            };
        });

        group.MapGet("/channels/{channelId}/overrides", async (string channelId, HttpContext http, IRequiredActor<AccountsSingleton> accounts, CallBudgets budgets) =>
        {
            var access = Caller(http);
            if (VisibleChannel(http, channelId, access) is not { } channel) return UnknownChannel();
            if (!access.Can(Permission.ManageRoles, channel.Id)) return Missing(Permission.ManageRoles);
            var overrides = await Task.WhenAll(access.Model.OverridesOf(channel.Id).Select(o => Describe(o, access.Model, accounts, budgets)));
            return Results.Json(new { overrides });
        });
        group.MapPut("/channels/{channelId}/overrides/{target}/{id}", async (string channelId, string target, string id, OverrideRequest? request, HttpContext http,
            IRequiredActor<ChannelDirectory> directory, IRequiredActor<AccountsSingleton> accounts, CallBudgets budgets, IOptions<GatewayOptions> options) =>
        {
            if (request is null) return Problem(StatusCodes.Status400BadRequest, "invalid_argument", "A JSON body with allow and deny is required.");
            if (!Permissions.TryParse(request.Allow, out var allow, out var unknown) || !Permissions.TryParse(request.Deny, out var deny, out unknown))
                return UnknownPermission(unknown);
            if ((allow & deny) != 0) return Problem(StatusCodes.Status400BadRequest, "invalid_argument", "A permission is either allowed or denied.");
            return await SetOverride(channelId, target, id, allow, deny, http, directory, accounts, budgets, options.Value);
        });
        group.MapDelete("/channels/{channelId}/overrides/{target}/{id}", (string channelId, string target, string id, HttpContext http,
            IRequiredActor<ChannelDirectory> directory, IRequiredActor<AccountsSingleton> accounts, CallBudgets budgets, IOptions<GatewayOptions> options) =>
            SetOverride(channelId, target, id, Permission.None, Permission.None, http, directory, accounts, budgets, options.Value));

        ServerEndpoints.Map(app, group);
        group.MapPost("/channels", async (AdminEndpoints.CreateChannelRequest? request, HttpContext http, IRequiredActor<ChannelDirectory> directory,
            IOptions<GatewayOptions> options) =>
        {
            if (!Caller(http).Can(Permission.ManageChannels)) return Missing(Permission.ManageChannels);
            return await AdminEndpoints.CreateChannel(request, directory, options, http.RequestServices.GetRequiredService<ChannelCatalog>(), Trail(http), Caller(http));
        });
        group.MapPatch("/channels/{channelId}", async (string channelId, AdminEndpoints.UpdateChannelRequest? request, HttpContext http,
            IRequiredActor<ChannelDirectory> directory, IOptions<GatewayOptions> options, AuditTrail audit) =>
        {
            var access = Caller(http);
            if (VisibleChannel(http, channelId, access) is not { } channel) return UnknownChannel();
            if (!access.Can(Permission.ManageChannels, channel.Id)) return Missing(Permission.ManageChannels);
            return await AdminEndpoints.UpdateChannel(access, channel.Id, request, directory, options.Value,
                http.RequestServices.GetRequiredService<ChannelCatalog>(), audit);
        });
        group.MapPut("/channels/order", async (AdminEndpoints.ChannelOrderRequest? request, HttpContext http, IRequiredActor<ChannelDirectory> directory,
            IOptions<GatewayOptions> options, AuditTrail audit) =>
        {
            var access = Caller(http);
            if (!access.Can(Permission.ManageChannels)) return Missing(Permission.ManageChannels);
            return await AdminEndpoints.ReorderChannels(access, request, directory, options.Value, http.RequestServices.GetRequiredService<ChannelCatalog>(), audit);
        });
        group.MapDelete("/channels/{channelId}", async (string channelId, HttpContext http, IRequiredActor<ChannelDirectory> directory, IOptions<GatewayOptions> options) =>
        {
            var access = Caller(http);
            if (VisibleChannel(http, channelId, access) is not { } channel) return UnknownChannel();
            if (!access.Can(Permission.ManageChannels, channel.Id)) return Missing(Permission.ManageChannels);
            return await AdminEndpoints.Send(directory, new DeleteChannel(channel.Id), options.Value, StatusCodes.Status204NoContent,
                http.RequestServices.GetRequiredService<ChannelCatalog>(), _ => Trail(http).Record(access, "channel.delete", AuditTarget.Channel(channel.Id, channel.Name)));
        });
    }

    /// <summary>
    /// Kicks (ends every session; the member may come back) or bans (also keeps the account from signing in) a member
    /// ranked below the caller, with an optional reason.
    /// </summary>
    private static async Task<IResult> RemoveMember(string userId, string? reason, bool ban, HttpContext http, IRequiredActor<AccountsSingleton> accounts,
        IdentityCache identities, CallBudgets budgets)
    {
        var access = Caller(http);
        var needed = ban ? Permission.BanMembers : Permission.KickMembers;
        if (!access.Can(needed)) return Missing(needed);
        if (!UserId.TryParse(userId, out var user)) return Problem(StatusCodes.Status404NotFound, "unknown_user", "No such member.");
        if (!access.Outranks(user, identities.IsOwner(user)))
            return Problem(StatusCodes.Status403Forbidden, "forbidden", "You can act on members ranked below you only.");
        if (!ServerVoice.TryNormalizeReason(reason, out var why)) return Problem(StatusCodes.Status400BadRequest, "invalid_argument", ServerVoice.ReasonRule);
        return await AskAccounts(accounts, new RemoveMember(user, access.User, why, ban), budgets) switch
        {
            SessionsCut => Recorded(Results.NoContent(), () => Trail(http).Record(access, ban ? "member.ban" : "member.kick", AuditTarget.Member(user), why)),
            CommandRejected { Code: ErrorCode.UnknownUser } r => Problem(StatusCodes.Status404NotFound, r.Code.WireName(), r.Reason),
            var other => Refused(other),
        };
    }

    /// <summary>
    /// Times out a member ranked below the caller (as a kick would need): for the minutes given they may not post, speak
    /// or connect to voice, and are taken out of voice. A new time-out replaces the one in force.
    /// </summary>
    private static async Task<IResult> TimeOut(string userId, TimeOutRequest? request, HttpContext http, IRequiredActor<AccountsSingleton> accounts,
        IdentityCache identities, CallBudgets budgets)
    {
        var access = Caller(http);
        if (!access.Can(Permission.KickMembers)) return Missing(Permission.KickMembers);
        if (!UserId.TryParse(userId, out var user)) return Problem(StatusCodes.Status404NotFound, "unknown_user", "No such member.");
        if (identities.IsOwner(user)) return Problem(StatusCodes.Status403Forbidden, "forbidden", "The owner cannot be timed out.");
        if (!access.Outranks(user, false))
            return Problem(StatusCodes.Status403Forbidden, "forbidden", "You can act on members ranked below you only.");
        if (request?.Minutes is not { } minutes || minutes is < 1 or > TimeOutMember.MaxMinutes)
            return Problem(StatusCodes.Status400BadRequest, "invalid_argument", $"minutes is required: 1 to {TimeOutMember.MaxMinutes} (four weeks).");
        if (!ServerVoice.TryNormalizeReason(request.Reason, out var why)) return Problem(StatusCodes.Status400BadRequest, "invalid_argument", ServerVoice.ReasonRule);
        switch (await AskAccounts(accounts, new TimeOutMember(user, access.User, minutes, why), budgets))
        {
            case TimeOutSet set:
                // This gateway's next request, and its sessions, see the time-out at once.
                identities.ApplyOwn(timeOut: new UserTimeOut(set.User, set.Until, set.Reason));
                return Recorded(Results.NoContent(), () => Trail(http).Record(access, "member.timeout", AuditTarget.Member(user), why,
                    minutes == 1 ? "for 1 minute" : $"for {minutes} minutes"));
            case CommandRejected { Code: ErrorCode.InvalidArgument } r:
                return Problem(StatusCodes.Status400BadRequest, r.Code.WireName(), r.Reason);
            case var other:
                return Refused(other);
        }
    }

    /// <summary>Ends a member's time-out early; the same rules as giving one.</summary>
    private static async Task<IResult> LiftTimeOut(string userId, HttpContext http, IRequiredActor<AccountsSingleton> accounts, IdentityCache identities, CallBudgets budgets)
    {
        var access = Caller(http);
        if (!access.Can(Permission.KickMembers)) return Missing(Permission.KickMembers);
        if (!UserId.TryParse(userId, out var user)) return Problem(StatusCodes.Status404NotFound, "unknown_user", "No such member.");
        if (!access.Outranks(user, identities.IsOwner(user)))
            return Problem(StatusCodes.Status403Forbidden, "forbidden", "You can act on members ranked below you only.");
        switch (await AskAccounts(accounts, new LiftTimeOut(user, access.User), budgets))
        {
            case RevocationDone:
                identities.ApplyOwn(timeOut: new UserTimeOut(user, http.RequestServices.GetRequiredService<TimeProvider>().GetUtcNow(), null));
                return Recorded(Results.NoContent(), () => Trail(http).Record(access, "member.timeout-lifted", AuditTarget.Member(user)));
            case CommandRejected { Code: ErrorCode.UnknownUser } r:
                return Problem(StatusCodes.Status404NotFound, "not_timed_out", r.Reason);
            case var other:
                return Refused(other);
        }
    }

    private static async Task<IResult> SetMemberRole(string userId, string roleId, bool assigned, HttpContext http, IRequiredActor<ChannelDirectory> directory,
        IRequiredActor<AccountsSingleton> accounts, CallBudgets budgets, GatewayOptions options)
    {
        var access = Caller(http);
        if (!access.Can(Permission.ManageRoles)) return Missing(Permission.ManageRoles);
        if (!UserId.TryParse(userId, out var user)) return Problem(StatusCodes.Status404NotFound, "unknown_user", "No such member.");
        // Roles go to registered members; taking one away works for any id, so a deleted account's roles can be cleared.
        if (assigned && await AskAccounts(accounts, new GetAccount(user), budgets) is not AccountLookup { Account: not null })
            return Problem(StatusCodes.Status404NotFound, "unknown_user", "No registered member has this id.");
        return await Send(http, directory, new SetMemberRole(access.Caller, user, roleId, assigned), options, StatusCodes.Status204NoContent,
            _ => Trail(http).Record(access, "member.roles", AuditTarget.Member(user), detail: (assigned ? "added " : "removed ") + (access.Model.FindRole(roleId)?.Name ?? roleId)));
    }

    private static async Task<IResult> SetOverride(string channelId, string target, string id, Permission allow, Permission deny, HttpContext http,
        IRequiredActor<ChannelDirectory> directory, IRequiredActor<AccountsSingleton> accounts, CallBudgets budgets, GatewayOptions options)
    {
        var access = Caller(http);
        if (VisibleChannel(http, channelId, access) is not { } channel) return UnknownChannel();
        if (!access.Can(Permission.ManageRoles, channel.Id)) return Missing(Permission.ManageRoles);
        OverrideTarget kind;
        switch (target)
        {
            case "role": kind = OverrideTarget.Role; break;
            case "member":
                kind = OverrideTarget.Member;
                if (!UserId.TryParse(id, out _)) return Problem(StatusCodes.Status404NotFound, "unknown_user", "No such member.");
                break;
            default: return Problem(StatusCodes.Status400BadRequest, "invalid_argument", "The target is role or member.");
        }
        var command = new SetChannelOverride(access.Caller, channel.Id, kind, id, allow, deny);
        object reply;
        try
        {
            reply = await directory.ActorRef.Ask<object>(command, options.ClusterTimeout);
        }
        catch (AskTimeoutException)
        {
            return Problem(StatusCodes.Status503ServiceUnavailable, "unavailable", "The channel directory did not answer in time.");
        }
        if (reply is not PermissionsSaved saved) return Rejected(reply);
        await http.RequestServices.GetRequiredService<ChannelCatalog>().CaughtUpAsync(saved.Model.Revision, options.ClusterTimeout);
        Trail(http).Record(access, "override.set", AuditTarget.Channel(channel.Id, channel.Name), detail: AuditDetails.Override(target, kind == OverrideTarget.Role
            ? saved.Model.FindRole(id)?.Name ?? id : id, allow, deny));
        if ((allow | deny) == 0) return Results.NoContent();
        var stored = saved.Model.OverridesOf(channel.Id).First(o => o.Target == kind && o.Id == id);
        return Results.Json(await Describe(stored, saved.Model, accounts, budgets));
    }

    private static async Task<OverrideDto> Describe(ChannelOverride o, PermissionModel model, IRequiredActor<AccountsSingleton> accounts, CallBudgets budgets)
    {
        var name = o.Target == OverrideTarget.Role
            ? model.FindRole(o.Id)?.Name ?? o.Id
            : await AskAccounts(accounts, new GetAccount(new UserId(o.Id)), budgets) is AccountLookup { Account: { } account } ? account.Username : o.Id;
        return new OverrideDto(o.Target == OverrideTarget.Role ? "role" : "member", o.Id, name,
            Permissions.ToNames(o.Allow), Permissions.ToNames(o.Deny));
    }

    /// <summary>The channel, when it exists and the caller can see it; a hidden channel is answered as a missing one.</summary>
    private static ChannelInfo? VisibleChannel(HttpContext http, string channelId, Access access)
    {
        if (!ChannelId.TryParse(channelId, out var id)) return null;
        var channel = http.RequestServices.GetRequiredService<ChannelCatalog>().Find(id);
        return channel is not null && access.CanView(id) ? channel : null;
    }

    internal static Access Caller(HttpContext http) => (Access)http.Items[AccessKey]!;

    private static AuditTrail Trail(HttpContext http) => http.RequestServices.GetRequiredService<AuditTrail>();

    /// <summary>Records an action that took effect, answering with its result.</summary>
    private static IResult Recorded(IResult result, Action record)
    {
        record();
        return result;
    }

    private static async Task<IResult> Send(HttpContext http, IRequiredActor<ChannelDirectory> directory, object command, GatewayOptions options, int successStatus,
        Action<object>? done = null)
    {
        var catalog = http.RequestServices.GetRequiredService<ChannelCatalog>();
        object reply;
        try
        {
            reply = await directory.ActorRef.Ask<object>(command, options.ClusterTimeout);
        }
        catch (AskTimeoutException)
        {
            return Problem(StatusCodes.Status503ServiceUnavailable, "unavailable", "The channel directory did not answer in time.");
        }
        if (reply is RoleResult or PermissionsSaved)
        {
            await catalog.CaughtUpAsync(reply is RoleResult r ? r.Revision : ((PermissionsSaved)reply).Model.Revision, options.ClusterTimeout);
            done?.Invoke(reply);
        }
        return reply switch
        {
            RoleResult { Role: { } role } => Results.Json(RoleDto.From(role), statusCode: successStatus),
            PermissionsSaved or RoleResult => Results.NoContent(),
            var other => Rejected(other),
        };
    }

    private static IResult Rejected(object reply) => reply switch
    {
        CommandRejected { Code: ErrorCode.Forbidden } r => Problem(StatusCodes.Status403Forbidden, r.Code.WireName(), r.Reason),
        CommandRejected { Code: ErrorCode.UnknownRole or ErrorCode.UnknownChannel or ErrorCode.UnknownUser } r =>
            Problem(StatusCodes.Status404NotFound, r.Code.WireName(), r.Reason),
        CommandRejected r => Problem(StatusCodes.Status400BadRequest, r.Code.WireName(), r.Reason),
        _ => Problem(StatusCodes.Status500InternalServerError, "internal", "Unexpected reply."),
    };

    private static Task<object> AskAccounts(IRequiredActor<AccountsSingleton> accounts, object message, CallBudgets budgets) =>
        AccountEndpoints.Ask(accounts, message, budgets);

    private static IResult Refused(object reply) => reply is CommandRejected r
        ? Problem(StatusCodes.Status503ServiceUnavailable, r.Code.WireName(), r.Reason)
        : Problem(StatusCodes.Status503ServiceUnavailable, "unavailable", "The accounts service answered unexpectedly.");

    internal static IResult Missing(Permission needed) =>
        Problem(StatusCodes.Status403Forbidden, "forbidden", $"You need the {Permissions.ToNames(needed)[0]} permission.");

    private static IResult UnknownPermission(string? name) =>
        Problem(StatusCodes.Status400BadRequest, "invalid_argument", $"'{name}' is not a permission; permissions are: {string.Join(", ", Permissions.AllNames)}.");

    private static IResult NotLoaded() => Problem(StatusCodes.Status503ServiceUnavailable, "unavailable", "The channel list has not been loaded yet.");

    private static IResult UnknownChannel() => Problem(StatusCodes.Status404NotFound, "unknown_channel", "No such channel.");

    private static IResult Problem(int status, string code, string detail) => GatewayEndpoints.Problem(status, code, detail);
}

using Akka.Actor;
using Akka.Hosting;
using Microsoft.AspNetCore.Http;
using OpenChat.Gateway.Auth;
using OpenChat.Protocol;
using OpenChat.Protocol.Audit;
using OpenChat.Protocol.Cluster;
using OpenChat.Protocol.Commands;
using OpenChat.Protocol.Permissions;

namespace OpenChat.Gateway.Audit;

/// <summary>
/// <c>GET /api/server/audit</c>: a page of the audit log, newest first, for members with view audit log and the admin
/// key. Filters: <c>action</c> (an action or its kind: <c>member</c> for every <c>member.*</c>), <c>actor</c> and
/// <c>target</c> (ids), <c>member</c> (an id or part of a name, as actor or target); <c>before</c> (an entry id) and
/// <c>limit</c> (1 to 100, default 50) page through it.
/// </summary>
public static class AuditEndpoints
{
    public const int MaxFilterLength = 100;

    public static async Task<IResult> Query(Access access, HttpContext http, IRequiredActor<AuditLogSingleton> log, CallBudgets budgets)
    {
        if (!access.Can(Permission.ViewAuditLog))
            return GatewayEndpoints.Problem(StatusCodes.Status403Forbidden, "forbidden", "You need the viewAuditLog permission.");
        var q = http.Request.Query;
        if (!TryFilter(q["action"], out var action) || !TryFilter(q["actor"], out var actor) || !TryFilter(q["target"], out var target)
            || !TryFilter(q["member"], out var member))
            return Invalid($"A filter has at most {MaxFilterLength} characters.");
        if (action is not null && (action.Length > AuditRules.MaxActionLength || action.Any(c => c is not (>= 'a' and <= 'z' or >= '0' and <= '9' or '.' or '-'))))
            return Invalid("action is an action name (member.kick) or its kind (member).");
        long? before = null;
        if (q["before"].ToString() is { Length: > 0 } b)
        {
            if (!long.TryParse(b, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var id) || id < 1)
                return Invalid("before is an entry id.");
            before = id;
        }
        var limit = QueryAudit.DefaultLimit;
        if (q["limit"].ToString() is { Length: > 0 } l
            && (!int.TryParse(l, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out limit) || limit is < 1 or > QueryAudit.MaxLimit))
            return Invalid($"limit is 1 to {QueryAudit.MaxLimit}.");

        object reply;
        try
        {
            reply = await log.ActorRef.Ask<object>(new QueryAudit(new AuditFilter(action?.TrimEnd('.'), actor, target, member), before, limit), budgets.Cluster);
        }
        catch (AskTimeoutException)
        {
            return GatewayEndpoints.Problem(StatusCodes.Status503ServiceUnavailable, "unavailable", "The audit log did not answer in time; try again.");
        }
        return reply switch
        {
            AuditPage page => Results.Json(new { entries = page.Entries, hasMore = page.HasMore }),
            CommandRejected { Code: ErrorCode.InvalidArgument } r => Invalid(r.Reason),
            CommandRejected r => GatewayEndpoints.Problem(StatusCodes.Status503ServiceUnavailable, r.Code.WireName(), r.Reason),
            _ => GatewayEndpoints.Problem(StatusCodes.Status500InternalServerError, "internal", "Unexpected reply."),
        };
    }

    private static bool TryFilter(Microsoft.Extensions.Primitives.StringValues raw, out string? value)
    {
        value = string.IsNullOrWhiteSpace(raw.ToString()) ? null : raw.ToString().Trim();
        return value is null || value.Length <= MaxFilterLength && raw.Count == 1;
    }

    private static IResult Invalid(string detail) => GatewayEndpoints.Problem(StatusCodes.Status400BadRequest, "invalid_argument", detail);
}

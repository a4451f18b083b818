using OpenChat.Protocol.Permissions;

namespace OpenChat.Gateway.Audit;

/// <summary>The short human texts an audit entry's detail holds ("renamed to lobby", "muted, deafened").</summary>
public static class AuditDetails
{
    public static string? RoleUpdate(string? name, Permission? permissions, int? position, string? color) => Join(
        name is null ? null : $"renamed to {name}",
        permissions is null ? null : "permissions: " + Names(permissions.Value),
        position is null ? null : $"moved to position {position}",
        color is null ? null : color.Length == 0 ? "colour cleared" : $"colour {color}");

    /// <summary>Whether a role change only moved it: recorded as <c>role.reorder</c>.</summary>
    public static bool OnlyMoves(string? name, Permission? permissions, int? position, string? color) =>
        position is not null && name is null && permissions is null && color is null;

    public static string Override(string target, string name, Permission allow, Permission deny) =>
        (allow | deny) == 0
            ? $"{target} {name}: cleared"
            : $"{target} {name}: " + Join(allow == 0 ? null : "allow " + Names(allow), deny == 0 ? null : "deny " + Names(deny));

    public static string Voice(bool muted, bool deafened) => (muted, deafened) switch
    {
        (true, true) => "muted, deafened",
        (true, false) => "muted",
        (false, true) => "deafened",
        _ => "mute and deafen lifted",
    };

    private static string Names(Permission permissions) => permissions == 0 ? "none" : string.Join(", ", Permissions.ToNames(permissions));

    private static string? Join(params string?[] parts) =>
        parts.Where(p => p is not null).ToArray() is { Length: > 0 } present ? string.Join("; ", present) : null;
}

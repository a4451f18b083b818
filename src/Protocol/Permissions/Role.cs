namespace OpenChat.Protocol.Permissions;

/// <summary>
/// A role: a named set of permissions. Roles are ordered by <paramref name="Position"/> (higher is more senior);
/// <c>@everyone</c> (<see cref="EveryoneId"/>) is always at 0 and every member holds it.
/// </summary>
public sealed record Role(string Id, string Name, Permission Permissions, int Position, string? Color = null)
{
    public const string EveryoneId = "everyone";
    public const string EveryoneName = "@everyone";
    public const int MaxNameLength = 32;

    public bool IsEveryone => Id == EveryoneId;

    /// <summary>A role color: <c>#rrggbb</c>.</summary>
    public static bool IsValidColor(string? color) =>
        color is null || (color.Length == 7 && color[0] == '#' && color.Skip(1).All(char.IsAsciiHexDigit));
}

/// <summary>Whom a channel override is for.</summary>
public enum OverrideTarget
{
    Role,
    Member,
}

/// <summary>
/// A channel's exception to the server-wide permissions, for one role or one member: what it allows and what it denies
/// (a permission in neither is inherited).
/// </summary>
public sealed record ChannelOverride(OverrideTarget Target, string Id, Permission Allow, Permission Deny);

/// <summary>
/// A member's voice as moderators set it, server-wide: server-muted (mixed as muted in every channel, whatever they
/// choose) and server-deafened (hears nothing). Only another moderator lifts it.
/// </summary>
public sealed record ServerVoice(bool Muted, bool Deafened)
{
    public static ServerVoice None { get; } = new(false, false);

    /// <summary>The longest reason a moderator may give.</summary>
    public const int MaxReasonLength = 512;

    public static readonly string ReasonRule = $"A reason has at most {MaxReasonLength} characters, without control characters.";

    /// <summary>
    /// A moderator's reason as stored: trimmed, null when blank; false when it is longer than
    /// <see cref="MaxReasonLength"/> or holds control or invisible characters.
    /// </summary>
    public static bool TryNormalizeReason(string? raw, out string? reason)
    {
        reason = string.IsNullOrWhiteSpace(raw) ? null : raw.Trim();
        return reason is null || reason.Length <= MaxReasonLength && Text.TextRules.FindUnsafeCharacter(reason) is null;
    }
}

namespace OpenChat.Protocol.Permissions;

/// <summary>
/// What a member may do, server-wide (from their roles) or in one channel (after the channel's overrides). Stored by
/// name in the directory's journal, so a flag is never renamed or renumbered.
/// </summary>
[Flags]
public enum Permission : long
{
    None = 0,
    ViewChannel = 1 << 0,
    ReadHistory = 1 << 1,
    SendMessages = 1 << 2,
    Connect = 1 << 3,
    Speak = 1 << 4,
    ManageChannels = 1 << 5,
    ManageRoles = 1 << 6,
    ManageMessages = 1 << 7,
    MuteMembers = 1 << 8,
    MoveMembers = 1 << 9,
    KickMembers = 1 << 10,
    BanMembers = 1 << 11,
    ResetPasswords = 1 << 12,
    Administrator = 1 << 13,
    ViewAuditLog = 1 << 14,
    ManageServer = 1 << 15,
}

/// <summary>Permission names as clients see them, and the sets the model starts from.</summary>
public static class Permissions
{
    /// <summary>Every permission there is.</summary>
    public const Permission All = (Permission)((1L << 16) - 1);

    /// <summary>What @everyone may do on a new server (and on one that had no roles before): take part, manage nothing.</summary>
    public const Permission EveryoneDefault =
        Permission.ViewChannel | Permission.ReadHistory | Permission.SendMessages | Permission.Connect | Permission.Speak;

    /// <summary>Permissions that mean something in one channel, so a channel override may allow or deny them.</summary>
    public const Permission ChannelScoped =
        Permission.ViewChannel | Permission.ReadHistory | Permission.SendMessages | Permission.Connect | Permission.Speak
        | Permission.ManageChannels | Permission.ManageRoles | Permission.ManageMessages | Permission.MuteMembers | Permission.MoveMembers;

    private static readonly (Permission Flag, string Name)[] Names =
        Enum.GetValues<Permission>().Where(p => p != Permission.None)
            .Select(p => (p, char.ToLowerInvariant(p.ToString()[0]) + p.ToString()[1..]))
            .ToArray();

    /// <summary>The wire names of the flags in <paramref name="set"/> (<c>viewChannel</c>, <c>speak</c>, ...), in flag order.</summary>
    public static string[] ToNames(Permission set) =>
        Names.Where(n => (set & n.Flag) != 0).Select(n => n.Name).ToArray();

    /// <summary>Parses wire names; false (with the unknown name) when one is not a permission.</summary>
    public static bool TryParse(IEnumerable<string>? names, out Permission set, out string? unknown)
    {
        set = Permission.None;
        unknown = null;
        if (names is null) return true;
        foreach (var name in names)
        {
            var match = Array.FindIndex(Names, n => string.Equals(n.Name, name, StringComparison.Ordinal));
            if (match < 0)
            {
                unknown = name ?? "null";
                return false;
            }
            set |= Names[match].Flag;
        }
        return true;
    }

    /// <summary>Every wire name.</summary>
    public static IReadOnlyList<string> AllNames { get; } = Names.Select(n => n.Name).ToArray();
}

using System.Collections.Frozen;
using System.Text.Json.Serialization;
using OpenChat.Protocol.Ids;

namespace OpenChat.Protocol.Permissions;

/// <summary>
/// The server's roles, who holds which, and the channels' overrides: everything a permission is computed from.
/// Immutable; the directory sends a new one with every change. The rules (those of Discord):
/// <list type="number">
/// <item>The owner holds every permission.</item>
/// <item>Server-wide, a member holds what @everyone and each of their roles allow; <see cref="Permission.Administrator"/> implies everything and ignores overrides.</item>
/// <item>In a channel, overrides apply in turn: @everyone's (deny, then allow), then the member's roles' (all their denies, then all their allows), then the member's own.</item>
/// <item>Without <see cref="Permission.ViewChannel"/> in a channel, a member holds nothing there; without <see cref="Permission.Connect"/>, no <see cref="Permission.Speak"/>.</item>
/// </list>
/// </summary>
/// <remarks>
/// <see cref="Revision"/> is the directory's journal position when the model was made: a gateway that stored a change
/// waits until its copy has caught up with it before answering, so the caller's next request sees the change.
/// </remarks>
public sealed record PermissionModel(
    IReadOnlyList<Role> Roles,
    IReadOnlyDictionary<string, IReadOnlyList<string>> MemberRoles,
    IReadOnlyDictionary<string, IReadOnlyList<ChannelOverride>> Overrides,
    long Revision = 0,
    IReadOnlyDictionary<string, ServerVoice>? VoiceModeration = null)
{
    public const int MaxRoles = 100;
    public const int MaxRolesPerMember = 25;
    public const int MaxOverridesPerChannel = 100;

    /// <summary>How many members may be server-muted or server-deafened at once.</summary>
    public const int MaxModeratedVoices = 10_000;

    public static PermissionModel Default { get; } = new(
        [new Role(Role.EveryoneId, Role.EveryoneName, Permissions.EveryoneDefault, 0)],
        new Dictionary<string, IReadOnlyList<string>>(),
        new Dictionary<string, IReadOnlyList<ChannelOverride>>());

    private FrozenDictionary<string, Role>? _byId;

    [JsonIgnore]
    private FrozenDictionary<string, Role> ById => _byId ??= Roles.ToFrozenDictionary(r => r.Id);

    [JsonIgnore]
    public Role Everyone => ById.GetValueOrDefault(Role.EveryoneId) ?? Default.Roles[0];

    public Role? FindRole(string id) => ById.GetValueOrDefault(id);

    /// <summary>The member's roles other than @everyone, most senior first.</summary>
    public IReadOnlyList<Role> RolesOf(UserId user) =>
        MemberRoles.TryGetValue(user.Value, out var ids)
            ? ids.Select(FindRole).OfType<Role>().OrderByDescending(r => r.Position).ToArray()
            : [];

    /// <summary>The position of the member's most senior role (0 for @everyone only); the owner ranks above every role.</summary>
    public int Rank(UserId user, bool owner) =>
        owner ? int.MaxValue : RolesOf(user).Select(r => r.Position).DefaultIfEmpty(0).Max();

    /// <summary>What the member may do server-wide (no channel overrides).</summary>
    public Permission ServerPermissions(UserId user, bool owner)
    {
        if (owner) return Permissions.All;
        var set = Everyone.Permissions;
        foreach (var role in RolesOf(user)) set |= role.Permissions;
        return (set & Permission.Administrator) != 0 ? Permissions.All : set;
    }

    /// <summary>Whether a moderator server-muted or server-deafened the member (never the owner).</summary>
    public ServerVoice VoiceOf(UserId user) =>
        VoiceModeration?.GetValueOrDefault(user.Value) ?? ServerVoice.None;

    /// <summary>What the member may do in <paramref name="channel"/>. A server-muted member may not speak anywhere.</summary>
    public Permission InChannel(UserId user, bool owner, ChannelId channel)
    {
        var set = Unmoderated(user, owner, channel);
        return !owner && VoiceOf(user).Muted ? set & ~Permission.Speak : set;
    }

    private Permission Unmoderated(UserId user, bool owner, ChannelId channel)
    {
        var set = ServerPermissions(user, owner);
        if (set == Permissions.All) return set;
        if (Overrides.TryGetValue(channel.Value, out var overrides) && overrides.Count > 0)
        {
            if (overrides.FirstOrDefault(o => o.Target == OverrideTarget.Role && o.Id == Role.EveryoneId) is { } everyone)
                set = (set & ~everyone.Deny) | everyone.Allow;
            var held = MemberRoles.TryGetValue(user.Value, out var ids) ? ids : [];
            Permission allow = 0, deny = 0;
            foreach (var o in overrides)
            {
                if (o.Target != OverrideTarget.Role || o.Id == Role.EveryoneId || !held.Contains(o.Id)) continue;
                allow |= o.Allow;
                deny |= o.Deny;
            }
            set = (set & ~deny) | allow;
            if (overrides.FirstOrDefault(o => o.Target == OverrideTarget.Member && o.Id == user.Value) is { } own)
                set = (set & ~own.Deny) | own.Allow;
        }
        if ((set & Permission.ViewChannel) == 0) return Permission.None;
        if ((set & Permission.Connect) == 0) set &= ~Permission.Speak;
        return set;
    }

    public IReadOnlyList<ChannelOverride> OverridesOf(ChannelId channel) =>
        Overrides.TryGetValue(channel.Value, out var overrides) ? overrides : [];
}

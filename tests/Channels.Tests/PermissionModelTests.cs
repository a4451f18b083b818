using OpenChat.Protocol.Ids;
using OpenChat.Protocol.Permissions;
using Xunit;

namespace OpenChat.Channels.Tests;

public sealed class PermissionModelTests
{
    private static readonly UserId Ann = new("u-ann");
    private static readonly UserId Bob = new("u-bob");
    private static readonly ChannelId Stage = new("stage");
    private static readonly ChannelId General = new("general");

    private static PermissionModel Model(Permission everyone, Role[] roles, (UserId User, string[] Roles)[] members, params ChannelOverride[] stage) => new(
        roles.Append(new Role(Role.EveryoneId, Role.EveryoneName, everyone, 0)).ToArray(),
        members.ToDictionary(m => m.User.Value, m => (IReadOnlyList<string>)m.Roles),
        new Dictionary<string, IReadOnlyList<ChannelOverride>> { [Stage.Value] = stage });

    [Fact]
    public void A_member_holds_everyone_s_permissions_and_their_roles_and_the_owner_holds_all()
    {
        var model = Model(Permissions.EveryoneDefault, [new Role("mod", "Mod", Permission.KickMembers, 1)], [(Ann, ["mod"])]);
        Assert.Equal(Permissions.EveryoneDefault | Permission.KickMembers, model.ServerPermissions(Ann, false));
        Assert.Equal(Permissions.EveryoneDefault, model.ServerPermissions(Bob, false));
        Assert.Equal(Permissions.All, model.ServerPermissions(Bob, true));
        Assert.Equal(int.MaxValue, model.Rank(Bob, true));
        Assert.Equal(1, model.Rank(Ann, false));
        Assert.Equal(0, model.Rank(Bob, false));
    }

    [Fact]
    public void Overrides_apply_everyone_then_roles_then_the_member_and_a_role_allow_beats_everyone_s_deny()
    {
        var crew = new Role("crew", "Crew", Permission.None, 1);
        var muted = new Role("muted", "Muted", Permission.None, 2);
        var model = Model(Permissions.EveryoneDefault, [crew, muted], [(Ann, ["crew"]), (Bob, ["crew", "muted"])],
            new ChannelOverride(OverrideTarget.Role, Role.EveryoneId, 0, Permission.ViewChannel),
            new ChannelOverride(OverrideTarget.Role, "crew", Permission.ViewChannel, 0),
            new ChannelOverride(OverrideTarget.Role, "muted", 0, Permission.Speak),
            new ChannelOverride(OverrideTarget.Member, Bob.Value, Permission.Speak, 0));

        // A private channel: @everyone is denied the view, the crew role is allowed it.
        Assert.Equal(Permission.None, model.InChannel(new UserId("u-eve"), false, Stage));
        Assert.True(model.InChannel(Ann, false, Stage).HasFlag(Permission.ViewChannel | Permission.Speak));
        // A role's deny and another role's allow: the allow wins (all denies first, then all allows)...
        var withoutOwn = model with { Overrides = new Dictionary<string, IReadOnlyList<ChannelOverride>> { [Stage.Value] = model.Overrides[Stage.Value].SkipLast(1).ToArray() } };
        Assert.False(withoutOwn.InChannel(Bob, false, Stage).HasFlag(Permission.Speak));
        // ...and the member's own override has the last word.
        Assert.True(model.InChannel(Bob, false, Stage).HasFlag(Permission.Speak));
        // Another channel has no overrides.
        Assert.Equal(Permissions.EveryoneDefault, model.InChannel(new UserId("u-eve"), false, General));
    }

    [Fact]
    public void Administrator_and_the_owner_ignore_overrides_and_without_connect_there_is_no_speak()
    {
        var admin = new Role("admin", "Admin", Permission.Administrator, 1);
        var model = Model(Permissions.EveryoneDefault, [admin], [(Ann, ["admin"])],
            new ChannelOverride(OverrideTarget.Role, Role.EveryoneId, 0, Permission.ViewChannel | Permission.Connect));
        Assert.Equal(Permissions.All, model.InChannel(Ann, false, Stage));
        Assert.Equal(Permissions.All, model.InChannel(Bob, true, Stage));

        var noConnect = Model(Permissions.EveryoneDefault, [], [], new ChannelOverride(OverrideTarget.Role, Role.EveryoneId, 0, Permission.Connect));
        var held = noConnect.InChannel(Bob, false, Stage);
        Assert.True(held.HasFlag(Permission.ViewChannel));
        Assert.False(held.HasFlag(Permission.Speak));
    }

    [Fact]
    public void Permission_names_round_trip_and_an_unknown_name_is_reported()
    {
        Assert.Equal(["viewChannel", "speak", "administrator"], Permissions.ToNames(Permission.ViewChannel | Permission.Speak | Permission.Administrator));
        Assert.True(Permissions.TryParse(Permissions.AllNames, out var all, out _));
        Assert.Equal(Permissions.All, all);
        Assert.False(Permissions.TryParse(["speak", "fly"], out _, out var unknown));
        Assert.Equal("fly", unknown);
        Assert.Equal(16, Permissions.AllNames.Count);
    }
}

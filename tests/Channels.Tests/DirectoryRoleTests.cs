using Akka.Actor;
using Akka.TestKit;
using Akka.TestKit.Xunit2;
using OpenChat.Channels.Directory;
using OpenChat.Protocol;
using OpenChat.Protocol.Commands;
using OpenChat.Protocol.Ids;
using OpenChat.Protocol.Permissions;
using OpenChat.Protocol.Queries;
using Xunit;
using Xunit.Abstractions;

namespace OpenChat.Channels.Tests;

public sealed class DirectoryRoleTests : TestKit
{
    private static readonly Caller Owner = new(new UserId("u-owner"), true);
    private static readonly Caller Mod = new(new UserId("u-mod"), false);
    private static readonly Caller Member = new(new UserId("u-member"), false);
    private static readonly ChannelId General = new("general");
    private readonly TestProbe _region;

    public DirectoryRoleTests(ITestOutputHelper output)
        : base(ActorTestConfig.Setup(ActorTestConfig.NewDatabase()), "directory-roles", output)
    {
        _region = CreateTestProbe("region");
    }

    private IActorRef Start() => Sys.ActorOf(DirectoryActor.Props(new DirectoryOptions(), _region.Ref));

    private Role Create(IActorRef directory, Caller by, string name, Permission permissions)
    {
        directory.Tell(new CreateRole(by, name, permissions, null));
        return ExpectMsg<RoleResult>().Role!;
    }

    private PermissionModel ModelOf(IActorRef directory)
    {
        directory.Tell(GetChannels.Instance);
        return ExpectMsg<ChannelList>().Permissions!;
    }

    private ErrorCode Refused(IActorRef directory, object command)
    {
        directory.Tell(command);
        return ExpectMsg<CommandRejected>().Code;
    }

    [Fact]
    public void A_new_server_has_only_everyone_with_the_default_permissions()
    {
        var model = ModelOf(Start());
        var everyone = Assert.Single(model.Roles);
        Assert.Equal((Role.EveryoneId, Permissions.EveryoneDefault, 0), (everyone.Id, everyone.Permissions, everyone.Position));
    }

    [Fact]
    public void Roles_members_and_overrides_survive_a_restart_and_watchers_get_each_change()
    {
        var directory = Start();
        var watcher = CreateTestProbe();
        directory.Tell(new WatchDirectory(watcher.Ref));
        watcher.ExpectMsg<ChannelList>();

        var crew = Create(directory, Owner, "Crew", Permission.ViewChannel);
        Assert.Contains(watcher.ExpectMsg<ChannelList>().Permissions!.Roles, r => r.Id == crew.Id);
        directory.Tell(new SetMemberRole(Owner, Member.User, crew.Id, true));
        ExpectMsg<PermissionsSaved>();
        directory.Tell(new SetChannelOverride(Owner, General, OverrideTarget.Role, Role.EveryoneId, 0, Permission.ViewChannel));
        ExpectMsg<PermissionsSaved>();
        directory.Tell(new SetChannelOverride(Owner, General, OverrideTarget.Role, crew.Id, Permission.ViewChannel, 0));
        var saved = ExpectMsg<PermissionsSaved>().Model;
        Assert.True(saved.InChannel(Member.User, false, General).HasFlag(Permission.ViewChannel));
        Assert.Equal(Permission.None, saved.InChannel(Mod.User, false, General));

        Watch(directory);
        directory.Tell(PoisonPill.Instance);
        ExpectTerminated(directory);
        var model = ModelOf(Start());
        Assert.Equal(["Crew", Role.EveryoneName], model.Roles.Select(r => r.Name));
        Assert.Equal([crew.Id], model.MemberRoles[Member.User.Value]);
        Assert.Equal(2, model.OverridesOf(General).Count);
        Assert.Equal(Permission.None, model.InChannel(Mod.User, false, General));
    }

    [Fact]
    public void Nobody_grants_what_they_do_not_hold_nor_acts_on_a_role_at_or_above_their_own()
    {
        var directory = Start();
        var admins = Create(directory, Owner, "Admins", Permission.ManageRoles | Permission.KickMembers);
        var mods = Create(directory, Owner, "Mods", Permission.ManageRoles);
        var helpers = Create(directory, Owner, "Helpers", Permission.None);
        directory.Tell(new UpdateRole(Owner, helpers.Id, null, null, 1, null));
        ExpectMsg<RoleResult>();
        directory.Tell(new UpdateRole(Owner, mods.Id, null, null, 2, null));
        ExpectMsg<RoleResult>();
        directory.Tell(new SetMemberRole(Owner, Mod.User, mods.Id, true));
        ExpectMsg<PermissionsSaved>();
        var before = ModelOf(directory);
        Assert.Equal([admins.Id, mods.Id, helpers.Id, Role.EveryoneId], before.Roles.Select(r => r.Id));

        // Without manage roles: nothing.
        Assert.Equal(ErrorCode.Forbidden, Refused(directory, new CreateRole(Member, "Mine", Permission.None, null)));
        // A permission the moderator lacks cannot be granted, in a role or in an override.
        Assert.Equal(ErrorCode.Forbidden, Refused(directory, new CreateRole(Mod, "Kickers", Permission.KickMembers, null)));
        Assert.Equal(ErrorCode.Forbidden, Refused(directory, new UpdateRole(Mod, helpers.Id, null, Permission.BanMembers, null, null)));
        Assert.Equal(ErrorCode.Forbidden,
            Refused(directory, new SetChannelOverride(Mod, General, OverrideTarget.Role, helpers.Id, Permission.MuteMembers, 0)));
        // Roles at or above the moderator's own are out of reach.
        Assert.Equal(ErrorCode.Forbidden, Refused(directory, new UpdateRole(Mod, mods.Id, "Mods2", null, null, null)));
        Assert.Equal(ErrorCode.Forbidden, Refused(directory, new DeleteRole(Mod, admins.Id)));
        Assert.Equal(ErrorCode.Forbidden, Refused(directory, new SetMemberRole(Mod, Member.User, admins.Id, true)));
        Assert.Equal(ErrorCode.Forbidden, Refused(directory, new UpdateRole(Mod, helpers.Id, null, null, 2, null)));
        // The refusals changed nothing.
        var after = ModelOf(directory);
        Assert.Equal(before.Roles, after.Roles);
        Assert.False(after.MemberRoles.ContainsKey(Member.User.Value));
        Assert.Empty(after.OverridesOf(General));

        // Below their own role, with what they hold, the moderator may act; a new role goes just below theirs.
        var created = Create(directory, Mod, "Greeters", Permission.ManageRoles);
        Assert.Equal(2, created.Position);
        Assert.Equal([admins.Id, mods.Id, created.Id, helpers.Id, Role.EveryoneId], ModelOf(directory).Roles.Select(r => r.Id));
        directory.Tell(new SetMemberRole(Mod, Member.User, helpers.Id, true));
        ExpectMsg<PermissionsSaved>();
    }

    [Fact]
    public void Deleting_a_role_takes_it_from_members_and_overrides_and_deleting_a_channel_drops_its_overrides()
    {
        var directory = Start();
        var crew = Create(directory, Owner, "Crew", Permission.None);
        directory.Tell(new SetMemberRole(Owner, Member.User, crew.Id, true));
        ExpectMsg<PermissionsSaved>();
        directory.Tell(new SetChannelOverride(Owner, General, OverrideTarget.Role, crew.Id, Permission.Speak, 0));
        ExpectMsg<PermissionsSaved>();
        directory.Tell(new DeleteRole(Owner, crew.Id));
        var model = ExpectMsg<PermissionsSaved>().Model;
        Assert.Single(model.Roles);
        Assert.False(model.MemberRoles.TryGetValue(Member.User.Value, out var held) && held.Count > 0);
        Assert.Empty(model.OverridesOf(General));

        directory.Tell(new SetChannelOverride(Owner, General, OverrideTarget.Member, Member.User.Value, 0, Permission.SendMessages));
        ExpectMsg<PermissionsSaved>();
        directory.Tell(new DeleteChannel(General));
        ExpectMsg<ChannelInfoResult>();
        Assert.Empty(ModelOf(directory).OverridesOf(General));
    }

    [Fact]
    public void Bad_role_changes_are_refused_with_a_reason()
    {
        var directory = Start();
        Assert.Equal(ErrorCode.InvalidArgument, Refused(directory, new CreateRole(Owner, "  ", Permission.None, null)));
        Assert.Equal(ErrorCode.InvalidArgument, Refused(directory, new CreateRole(Owner, "@here", Permission.None, null)));
        Assert.Equal(ErrorCode.InvalidArgument, Refused(directory, new CreateRole(Owner, new string('r', 33), Permission.None, null)));
        Assert.Equal(ErrorCode.InvalidArgument, Refused(directory, new CreateRole(Owner, "Red", Permission.None, "red")));
        Assert.Equal(ErrorCode.InvalidArgument, Refused(directory, new DeleteRole(Owner, Role.EveryoneId)));
        Assert.Equal(ErrorCode.UnknownRole, Refused(directory, new UpdateRole(Owner, "nope", "x", null, null, null)));
        Assert.Equal(ErrorCode.UnknownChannel, Refused(directory, new SetChannelOverride(Owner, new ChannelId("nope"), OverrideTarget.Role, Role.EveryoneId, 0, Permission.Speak)));
        // Server-wide permissions have no meaning in one channel.
        Assert.Equal(ErrorCode.InvalidArgument, Refused(directory, new SetChannelOverride(Owner, General, OverrideTarget.Role, Role.EveryoneId, Permission.BanMembers, 0)));
        Assert.Single(ModelOf(directory).Roles);
    }

    [Fact]
    public void A_server_mute_is_kept_with_who_and_why_denies_speak_everywhere_and_only_reaches_members_ranked_below()
    {
        var directory = Start();
        var mods = Create(directory, Owner, "Mods", Permission.MuteMembers);
        directory.Tell(new SetMemberRole(Owner, Mod.User, mods.Id, true));
        ExpectMsg<PermissionsSaved>();

        // Without mute members, on the owner, on oneself, on an equal: refused.
        Assert.Equal(ErrorCode.Forbidden, Refused(directory, new ModerateVoice(Member, General, Mod.User, false, true, false, null)));
        Assert.Equal(ErrorCode.Forbidden, Refused(directory, new ModerateVoice(Mod, General, Owner.User, true, true, false, null)));
        Assert.Equal(ErrorCode.Forbidden, Refused(directory, new ModerateVoice(Mod, General, Mod.User, false, true, false, null)));
        Assert.Equal(ErrorCode.InvalidArgument, Refused(directory, new ModerateVoice(Mod, General, Member.User, false, true, false, "bad\u0007")));
        Assert.Null(ModelOf(directory).VoiceModeration!.GetValueOrDefault(Member.User.Value));

        directory.Tell(new ModerateVoice(Mod, General, Member.User, false, true, true, "shouting"));
        var model = ExpectMsg<PermissionsSaved>().Model;
        Assert.Equal(new ServerVoice(true, true), model.VoiceOf(Member.User));
        Assert.False(model.InChannel(Member.User, false, General).HasFlag(Permission.Speak));
        Assert.False(model.InChannel(Member.User, false, new ChannelId("lounge")).HasFlag(Permission.Speak));

        Watch(directory);
        directory.Tell(PoisonPill.Instance);
        ExpectTerminated(directory);
        directory = Start();
        Assert.Equal(new ServerVoice(true, true), ModelOf(directory).VoiceOf(Member.User));
        directory.Tell(new ModerateVoice(Owner, General, Member.User, false, false, false, null));
        Assert.Equal(ServerVoice.None, ExpectMsg<PermissionsSaved>().Model.VoiceOf(Member.User));
    }
}

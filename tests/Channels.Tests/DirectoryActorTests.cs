using Akka.Actor;
using Akka.TestKit;
using Akka.TestKit.Xunit2;
using OpenChat.Channels.Directory;
using OpenChat.Protocol.Ids;
using OpenChat.Protocol;
using OpenChat.Protocol.Commands;
using OpenChat.Protocol.Queries;
using Xunit;
using Xunit.Abstractions;

namespace OpenChat.Channels.Tests;

public sealed class DirectoryActorTests : TestKit
{
    private readonly TestProbe _region;

    public DirectoryActorTests(ITestOutputHelper output)
        : base(ActorTestConfig.Setup(ActorTestConfig.NewDatabase()), "directory", output)
    {
        _region = CreateTestProbe("region");
    }

    private IActorRef Start(DirectoryOptions? options = null) =>
        Sys.ActorOf(DirectoryActor.Props(options ?? new DirectoryOptions(), _region.Ref));

    private void Restart(ref IActorRef directory, DirectoryOptions? options = null)
    {
        Watch(directory);
        directory.Tell(PoisonPill.Instance);
        ExpectTerminated(directory);
        directory = Start(options);
    }

    [Fact]
    public void First_start_seeds_general_and_lounge()
    {
        var directory = Start();
        directory.Tell(GetChannels.Instance);
        var list = ExpectMsg<ChannelList>().Channels;
        Assert.Equal([("general", ChannelKind.Text), ("lounge", ChannelKind.Voice)], list.Select(c => (c.Id.Value, c.Kind)));
    }

    [Fact]
    public void Changes_survive_a_restart_and_the_configured_seed_is_not_applied_twice()
    {
        var directory = Start();
        directory.Tell(new CreateChannel("Dev Talk", ChannelKind.Text, "code"));
        var created = ExpectMsg<ChannelInfoResult>().Info!;
        Assert.Equal("dev-talk", created.Id.Value);
        directory.Tell(new UpdateChannel(new ChannelId("general"), null, "new topic", null));
        ExpectMsg<ChannelInfoResult>();
        Assert.Equal("new topic", _region.ExpectMsg<ChannelInfoChanged>().Info!.Topic);

        var otherSeed = new DirectoryOptions { InitialChannels = [new InitialChannel { Id = "other", Name = "other" }] };
        Restart(ref directory, otherSeed);

        directory.Tell(GetChannels.Instance);
        var list = ExpectMsg<ChannelList>().Channels;
        Assert.Equal(["general", "lounge", "dev-talk"], list.Select(c => c.Id.Value));
        Assert.Equal("new topic", list[0].Topic);
    }

    [Fact]
    public void Invalid_changes_are_refused_and_change_nothing()
    {
        var directory = Start();
        directory.Tell(new CreateChannel("General", ChannelKind.Text, ""));
        Assert.Equal(ErrorCode.NameTaken, ExpectMsg<CommandRejected>().Code);
        directory.Tell(new CreateChannel("   ", ChannelKind.Text, ""));
        Assert.Equal(ErrorCode.InvalidArgument, ExpectMsg<CommandRejected>().Code);
        directory.Tell(new CreateChannel(new string('n', 33), ChannelKind.Text, ""));
        Assert.Equal(ErrorCode.InvalidArgument, ExpectMsg<CommandRejected>().Code);
        directory.Tell(new CreateChannel("x", (ChannelKind)7, ""));
        Assert.Equal(ErrorCode.InvalidArgument, ExpectMsg<CommandRejected>().Code);
        directory.Tell(new UpdateChannel(new ChannelId("nope"), "x", null, null));
        Assert.Equal(ErrorCode.UnknownChannel, ExpectMsg<CommandRejected>().Code);
        directory.Tell(new UpdateChannel(new ChannelId("general"), null, new string('t', 257), null));
        Assert.Equal(ErrorCode.InvalidArgument, ExpectMsg<CommandRejected>().Code);

        directory.Tell(GetChannels.Instance);
        var list = ExpectMsg<ChannelList>().Channels;
        Assert.Equal(2, list.Count);
        Assert.Equal("Say hello", list[0].Topic);
        _region.ExpectNoMsg(TimeSpan.FromMilliseconds(100));
    }

    [Fact]
    public void A_deleted_channel_id_is_never_reused()
    {
        var directory = Start();
        directory.Tell(new CreateChannel("random", ChannelKind.Text, ""));
        var first = ExpectMsg<ChannelInfoResult>().Info!;
        directory.Tell(new DeleteChannel(first.Id));
        Assert.Null(ExpectMsg<ChannelInfoResult>().Info);
        Assert.Null(_region.ExpectMsg<ChannelInfoChanged>().Info);

        Restart(ref directory);
        directory.Tell(new CreateChannel("random", ChannelKind.Text, ""));
        var second = ExpectMsg<ChannelInfoResult>().Info!;
        Assert.NotEqual(first.Id, second.Id);
        directory.Tell(new GetChannelInfo(first.Id));
        Assert.Null(ExpectMsg<ChannelInfoResult>().Info);
    }

    [Fact]
    public void Watchers_receive_the_whole_list_on_every_change()
    {
        var directory = Start();
        var watcher = CreateTestProbe();
        directory.Tell(new WatchDirectory(watcher.Ref));
        Assert.Equal(2, watcher.ExpectMsg<ChannelList>().Channels.Count);

        directory.Tell(new CreateChannel("Music", ChannelKind.Voice, ""));
        ExpectMsg<ChannelInfoResult>();
        var update = watcher.ExpectMsg<ChannelList>();
        Assert.Equal(3, update.Channels.Count);
        Assert.Equal("Music", update.Channels[^1].Name);
    }

    [Fact]
    public void Categories_are_normalised_cleared_and_survive_a_restart()
    {
        var directory = Start();
        var general = new ChannelId("general");
        directory.Tell(new UpdateChannel(general, null, null, null, "  Text rooms "));
        Assert.Equal("Text rooms", ExpectMsg<ChannelInfoResult>().Info!.Category);
        Assert.Equal("Text rooms", _region.ExpectMsg<ChannelInfoChanged>().Info!.Category);
        directory.Tell(new UpdateChannel(general, null, null, null, new string('c', 33)));
        Assert.Equal(ErrorCode.InvalidArgument, ExpectMsg<CommandRejected>().Code);
        directory.Tell(new UpdateChannel(general, null, null, null, "bad\u202Ename"));
        Assert.Equal(ErrorCode.InvalidArgument, ExpectMsg<CommandRejected>().Code);
        // A change without a category keeps it.
        directory.Tell(new UpdateChannel(general, "chat", null, null));
        Assert.Equal("Text rooms", ExpectMsg<ChannelInfoResult>().Info!.Category);

        Restart(ref directory);
        directory.Tell(new GetChannelInfo(general));
        Assert.Equal("Text rooms", ExpectMsg<ChannelInfoResult>().Info!.Category);
        directory.Tell(new UpdateChannel(general, null, null, null, ""));
        Assert.Null(ExpectMsg<ChannelInfoResult>().Info!.Category);
    }

    [Fact]
    public void Reordering_sets_positions_in_one_event_and_needs_exactly_the_current_channels()
    {
        var directory = Start();
        directory.Tell(new CreateChannel("music", ChannelKind.Voice, ""));
        ExpectMsg<ChannelInfoResult>();
        var watcher = CreateTestProbe();
        directory.Tell(new WatchDirectory(watcher.Ref));
        watcher.ExpectMsg<ChannelList>();
        ChannelId[] Ids(params string[] ids) => ids.Select(i => new ChannelId(i)).ToArray();

        directory.Tell(new ReorderChannels(Ids("general", "lounge")));
        Assert.Equal(ErrorCode.InvalidArgument, ExpectMsg<CommandRejected>().Code);
        directory.Tell(new ReorderChannels(Ids("general", "lounge", "lounge")));
        Assert.Equal(ErrorCode.InvalidArgument, ExpectMsg<CommandRejected>().Code);
        directory.Tell(new ReorderChannels(Ids("general", "lounge", "music", "nope")));
        Assert.Equal(ErrorCode.InvalidArgument, ExpectMsg<CommandRejected>().Code);
        directory.Tell(new ReorderChannels(Ids("general", "lounge", "nope")));
        Assert.Equal(ErrorCode.InvalidArgument, ExpectMsg<CommandRejected>().Code);
        watcher.ExpectNoMsg(TimeSpan.FromMilliseconds(100));

        directory.Tell(new ReorderChannels(Ids("music", "general", "lounge")));
        var revision = ExpectMsg<ChannelsReordered>().Revision;
        var list = watcher.ExpectMsg<ChannelList>();
        Assert.Equal(["music", "general", "lounge"], list.Channels.Select(c => c.Id.Value));
        Assert.Equal([0, 1, 2], list.Channels.Select(c => c.Position));
        Assert.Equal(revision, list.Permissions!.Revision);

        Restart(ref directory);
        directory.Tell(GetChannels.Instance);
        Assert.Equal(["music", "general", "lounge"], ExpectMsg<ChannelList>().Channels.Select(c => c.Id.Value));
    }

    [Fact]
    public void Server_settings_start_from_the_gateways_configuration_and_survive_a_restart()
    {
        var directory = Start();
        var watcher = CreateTestProbe();
        directory.Tell(new WatchDirectory(watcher.Ref));
        Assert.Null(watcher.ExpectMsg<ChannelList>().Settings);
        var configured = new ServerSettings("Configured", "", JoinPolicy.Open, true);

        directory.Tell(new UpdateServerSettings(configured, null, "  A place to talk  ", JoinPolicy.Invite, null));
        var saved = ExpectMsg<ServerSettingsSaved>().Settings;
        Assert.Equal(new ServerSettings("Configured", "A place to talk", JoinPolicy.Invite, true), saved);
        Assert.Equal(saved, watcher.ExpectMsg<ChannelList>().Settings);

        directory.Tell(new UpdateServerSettings(configured, "", null, null, null));
        Assert.Equal(ErrorCode.InvalidArgument, ExpectMsg<CommandRejected>().Code);
        directory.Tell(new UpdateServerSettings(configured, null, new string('d', 501), null, null));
        Assert.Equal(ErrorCode.InvalidArgument, ExpectMsg<CommandRejected>().Code);
        directory.Tell(new UpdateServerSettings(configured, null, null, (JoinPolicy)9, null));
        Assert.Equal(ErrorCode.InvalidArgument, ExpectMsg<CommandRejected>().Code);

        Restart(ref directory);
        // The stored settings win over the configuration from now on.
        directory.Tell(new UpdateServerSettings(configured with { Name = "Other" }, null, null, null, false));
        Assert.Equal(new ServerSettings("Configured", "A place to talk", JoinPolicy.Invite, false), ExpectMsg<ServerSettingsSaved>().Settings);
    }
}

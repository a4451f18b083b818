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
}

using Akka.Actor;
using Akka.TestKit;
using Akka.TestKit.Xunit2;
using OpenChat.Channels;
using OpenChat.Channels.Directory;
using OpenChat.Protocol.Ids;
using OpenChat.Protocol;
using OpenChat.Protocol.Commands;
using OpenChat.Protocol.Events;
using OpenChat.Protocol.Queries;
using Xunit;
using Xunit.Abstractions;

namespace OpenChat.Channels.Tests;

public sealed class ChannelActorTests : TestKit
{
    private static readonly ChannelId General = new("general");
    private static readonly ChannelId Lounge = new("lounge");
    private static readonly UserId Alice = new("u-alice");
    private static readonly UserId Bob = new("u-bob");

    private readonly IActorRef _directory;
    private readonly TestProbe _region;
    private readonly TestProbe _placement;

    private readonly string _database;

    public ChannelActorTests(ITestOutputHelper output)
        : this(ActorTestConfig.NewDatabase(), output)
    {
    }

    private ChannelActorTests(string database, ITestOutputHelper output)
        : base(ActorTestConfig.Setup(database), "channels", output)
    {
        _database = database;
        _region = CreateTestProbe("region");
        _placement = CreateTestProbe("placement");
        _directory = Sys.ActorOf(DirectoryActor.Props(new DirectoryOptions(), _region.Ref), "directory");
    }

    // These tests post in bursts from one user; the channel's post budget has its own test (ChannelTextTests).
    private static ChannelOptions Options(int recent = 200, int snapshotEvery = 500) =>
        new() { RecentCapacity = recent, SnapshotEvery = snapshotEvery, PostsPerUserWindow = 1_000_000 };

    // A fresh name each time: a restarted channel under its old name can race the release of that name.
    private IActorRef StartChannel(ChannelId id, ChannelOptions? options = null) =>
        Sys.ActorOf(ChannelActor.Props(id, _directory, _placement.Ref, options ?? Options()), $"{id}-{Guid.NewGuid():N}");

    private static string Nonce() => Guid.NewGuid().ToString("N");

    private ChatMessage Post(IActorRef channel, string text, UserId? author = null)
    {
        channel.Tell(new PostMessage(General, author ?? Alice, "Alice", text, Nonce()), TestActor);
        return ExpectMsg<PostAccepted>().Message;
    }

    [Fact]
    public async Task Post_is_acknowledged_after_storing_and_pushed_to_each_subscriber_once()
    {
        var channel = StartChannel(General);
        var subscriber = CreateTestProbe();
        channel.Tell(new SubscribeChannel(General, Bob, "Bob", subscriber.Ref, 50), subscriber.Ref);
        subscriber.ExpectMsg<Subscribed>();

        var accepted = Post(channel, "  hello world \n");

        Assert.Equal(1, accepted.Id);
        Assert.Equal("hello world", accepted.Text);
        Assert.Equal(Alice, accepted.Author);
        var pushed = subscriber.ExpectMsg<MessagePosted>();
        Assert.Equal(accepted, pushed.Message);
        subscriber.ExpectNoMsg(TimeSpan.FromMilliseconds(200));

        // Stored means stored: with the whole actor system gone, a channel started afresh on the same journal has it.
        Shutdown(Sys);
        var restarted = ActorSystem.Create("channels-restarted", ActorTestConfig.Setup(_database));
        try
        {
            var directory = restarted.ActorOf(DirectoryActor.Props(new DirectoryOptions(), restarted.DeadLetters), "directory");
            var channel2 = restarted.ActorOf(ChannelActor.Props(General, directory, restarted.DeadLetters, Options()), "general");
            var history = await channel2.Ask<HistoryPage>(new GetHistory(General, null, 50), TimeSpan.FromSeconds(15));
            Assert.Equal([accepted], history.Messages);
        }
        finally
        {
            await restarted.Terminate();
        }
    }

    [Fact]
    public void Subscribers_receive_messages_in_the_order_they_were_stored()
    {
        var channel = StartChannel(General);
        var subscriber = CreateTestProbe();
        channel.Tell(new SubscribeChannel(General, Bob, "Bob", subscriber.Ref, 50), subscriber.Ref);
        subscriber.ExpectMsg<Subscribed>();

        var senders = Enumerable.Range(0, 3).Select(_ => CreateTestProbe()).ToArray();
        for (var i = 0; i < 90; i++)
            channel.Tell(new PostMessage(General, Alice, "Alice", $"m{i}", $"n{i}"), senders[i % 3].Ref);

        var received = Enumerable.Range(0, 90).Select(_ => subscriber.ExpectMsg<MessagePosted>().Message).ToList();
        Assert.Equal(Enumerable.Range(1, 90).Select(i => (long)i), received.Select(m => m.Id));
        Assert.Equal(Enumerable.Range(0, 90).Select(i => $"m{i}"), received.Select(m => m.Text));
        foreach (var sender in senders)
        {
            var acks = Enumerable.Range(0, 30).Select(_ => sender.ExpectMsg<PostAccepted>().Message.Id).ToList();
            Assert.Equal(acks.OrderBy(x => x), acks);
        }
    }

    [Fact]
    public void History_pages_newest_first_then_older_by_cursor_from_memory_and_journal()
    {
        // Only 30 messages are held in memory, so older pages come from the SQLite journal.
        var channel = StartChannel(General, Options(recent: 30));
        for (var i = 1; i <= 120; i++) Post(channel, $"message {i}");

        channel.Tell(new GetHistory(General, null, 50));
        var newest = ExpectMsg<HistoryPage>();
        Assert.Equal(Enumerable.Range(71, 50).Select(i => (long)i), newest.Messages.Select(m => m.Id));
        Assert.True(newest.HasMore);

        channel.Tell(new GetHistory(General, newest.Messages[0].Id, 50));
        var older = ExpectMsg<HistoryPage>();
        Assert.Equal(Enumerable.Range(21, 50).Select(i => (long)i), older.Messages.Select(m => m.Id));
        Assert.Equal("message 21", older.Messages[0].Text);
        Assert.True(older.HasMore);

        channel.Tell(new GetHistory(General, older.Messages[0].Id, 50));
        var oldest = ExpectMsg<HistoryPage>();
        Assert.Equal(Enumerable.Range(1, 20).Select(i => (long)i), oldest.Messages.Select(m => m.Id));
        Assert.False(oldest.HasMore);

        channel.Tell(new GetHistory(General, 1, 50));
        Assert.Empty(ExpectMsg<HistoryPage>().Messages);
    }

    [Theory]
    [InlineData("")]
    [InlineData("   \n\t ")]
    [InlineData("bell\u0007")]
    public void Invalid_text_is_refused_and_nothing_is_stored(string text)
    {
        var channel = StartChannel(General);
        channel.Tell(new PostMessage(General, Alice, "Alice", text, Nonce()));
        Assert.Equal(ErrorCode.InvalidText, ExpectMsg<CommandRejected>().Code);

        channel.Tell(new GetHistory(General, null, 50));
        Assert.Empty(ExpectMsg<HistoryPage>().Messages);
    }

    [Fact]
    public void Text_of_exactly_2000_characters_is_accepted_and_2001_is_refused()
    {
        var channel = StartChannel(General);
        Assert.Equal(2000, Post(channel, new string('x', 2000)).Text.Length);

        channel.Tell(new PostMessage(General, Alice, "Alice", new string('y', 2001), Nonce()));
        Assert.Equal(ErrorCode.InvalidText, ExpectMsg<CommandRejected>().Code);
        channel.Tell(new GetHistory(General, null, 50));
        Assert.Single(ExpectMsg<HistoryPage>().Messages);
    }

    [Fact]
    public void Posting_to_a_voice_channel_is_refused_as_the_wrong_kind()
    {
        var channel = StartChannel(Lounge);
        channel.Tell(new PostMessage(Lounge, Alice, "Alice", "hi", Nonce()));
        Assert.Equal(ErrorCode.WrongChannelKind, ExpectMsg<CommandRejected>().Code);
        channel.Tell(new GetHistory(Lounge, null, 50));
        Assert.Equal(ErrorCode.WrongChannelKind, ExpectMsg<CommandRejected>().Code);
    }

    [Fact]
    public void A_channel_the_directory_does_not_know_refuses_everything()
    {
        var unknown = new ChannelId("no-such-channel");
        var channel = StartChannel(unknown);
        channel.Tell(new PostMessage(unknown, Alice, "Alice", "hi", Nonce()));
        Assert.Equal(ErrorCode.UnknownChannel, ExpectMsg<CommandRejected>().Code);
        channel.Tell(new SubscribeChannel(unknown, Alice, "Alice", TestActor, 50));
        Assert.Equal(ErrorCode.UnknownChannel, ExpectMsg<CommandRejected>().Code);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(101)]
    [InlineData(-5)]
    public void History_limits_outside_1_to_100_are_refused(int limit)
    {
        var channel = StartChannel(General);
        channel.Tell(new GetHistory(General, null, limit));
        Assert.Equal(ErrorCode.InvalidArgument, ExpectMsg<CommandRejected>().Code);
    }

    [Fact]
    public void History_is_recovered_from_the_journal_after_the_channel_is_stopped_and_started_again()
    {
        var options = Options(recent: 20, snapshotEvery: 10);
        var first = StartChannel(General, options);
        for (var i = 1; i <= 25; i++) Post(first, $"before restart {i}");
        Watch(first);
        first.Tell(PoisonPill.Instance);
        ExpectTerminated(first);

        var second = StartChannel(General, options);
        var accepted = Post(second, "after restart");
        Assert.Equal(26, accepted.Id);

        second.Tell(new GetHistory(General, null, 100));
        var page = ExpectMsg<HistoryPage>();
        Assert.Equal(Enumerable.Range(1, 26).Select(i => (long)i), page.Messages.Select(m => m.Id));
        Assert.Equal("before restart 1", page.Messages[0].Text);
        Assert.Equal("after restart", page.Messages[^1].Text);
        Assert.False(page.HasMore);
    }

    [Fact]
    public void Presence_counts_users_not_sessions_and_follows_subscriber_death()
    {
        var channel = StartChannel(General);
        var aliceTab1 = CreateTestProbe();
        var aliceTab2 = CreateTestProbe();
        var bob = CreateTestProbe();

        channel.Tell(new SubscribeChannel(General, Alice, "Alice", aliceTab1.Ref, 50), aliceTab1.Ref);
        aliceTab1.ExpectMsg<Subscribed>();
        channel.Tell(new SubscribeChannel(General, Bob, "Bob", bob.Ref, 50), bob.Ref);
        var bobView = bob.ExpectMsg<Subscribed>();
        Assert.Equal(["Alice", "Bob"], bobView.Online.Select(m => m.DisplayName));
        Assert.Equal(Bob, aliceTab1.ExpectMsg<MemberOnline>().Member.User);

        channel.Tell(new SubscribeChannel(General, Alice, "Alice", aliceTab2.Ref, 50), aliceTab2.Ref);
        aliceTab2.ExpectMsg<Subscribed>();
        bob.ExpectNoMsg(TimeSpan.FromMilliseconds(200)); // Alice was already online

        Sys.Stop(aliceTab1.Ref);
        bob.ExpectNoMsg(TimeSpan.FromMilliseconds(200)); // her second tab is still open
        Sys.Stop(aliceTab2.Ref);
        Assert.Equal(Alice, bob.ExpectMsg<MemberOffline>().User);

        channel.Tell(new GetPresence(General));
        Assert.Equal([Bob], ExpectMsg<PresenceList>().Online.Select(m => m.User));
    }

    [Fact]
    public void Subscribing_returns_the_newest_messages_and_later_ones_arrive_as_events_without_overlap()
    {
        var channel = StartChannel(General);
        for (var i = 1; i <= 8; i++) Post(channel, $"m{i}");
        var subscriber = CreateTestProbe();
        channel.Tell(new SubscribeChannel(General, Bob, "Bob", subscriber.Ref, 5), subscriber.Ref);
        var view = subscriber.ExpectMsg<Subscribed>();
        Assert.Equal([4L, 5, 6, 7, 8], view.Recent.Select(m => m.Id));
        Assert.True(view.HasMore);

        Post(channel, "m9");
        Assert.Equal(9, subscriber.ExpectMsg<MessagePosted>().Message.Id);
    }

    [Fact]
    public void Unsubscribed_sessions_no_longer_receive_messages()
    {
        var channel = StartChannel(General);
        var subscriber = CreateTestProbe();
        channel.Tell(new SubscribeChannel(General, Bob, "Bob", subscriber.Ref, 50), subscriber.Ref);
        subscriber.ExpectMsg<Subscribed>();
        channel.Tell(new UnsubscribeChannel(General, subscriber.Ref), subscriber.Ref);
        subscriber.ExpectMsg<Unsubscribed>();

        Post(channel, "nobody listening");
        subscriber.ExpectNoMsg(TimeSpan.FromMilliseconds(200));
    }

    [Fact]
    public void Deleting_a_channel_tells_its_subscribers_and_refuses_later_posts()
    {
        var channel = StartChannel(General);
        var subscriber = CreateTestProbe();
        channel.Tell(new SubscribeChannel(General, Bob, "Bob", subscriber.Ref, 50), subscriber.Ref);
        subscriber.ExpectMsg<Subscribed>();

        channel.Tell(new ChannelInfoChanged(General, null));
        Assert.Equal(General, subscriber.ExpectMsg<ChannelRemoved>().Channel);
        channel.Tell(new PostMessage(General, Alice, "Alice", "too late", Nonce()));
        Assert.Equal(ErrorCode.UnknownChannel, ExpectMsg<CommandRejected>().Code);
    }

    [Fact]
    public async Task A_post_repeated_with_its_nonce_is_stored_once_and_every_repeat_gets_the_original_even_after_recovery()
    {
        var channel = StartChannel(General, Options(recent: 2));
        var subscriber = CreateTestProbe();
        channel.Tell(new SubscribeChannel(General, Bob, "Bob", subscriber.Ref, 50), subscriber.Ref);
        subscriber.ExpectMsg<Subscribed>();

        // Three copies in a row: the second and third arrive while the first is being written.
        for (var i = 0; i < 3; i++) channel.Tell(new PostMessage(General, Alice, "Alice", "exactly once", "retry-1"), TestActor);
        var answers = Enumerable.Range(0, 3).Select(_ => ExpectMsg<PostAccepted>().Message).ToList();
        Assert.All(answers, m => Assert.Equal(answers[0], m));
        Assert.Equal("exactly once", subscriber.ExpectMsg<MessagePosted>().Message.Text);

        // Push the message out of the in-memory window, then restart the entity: the repeat is read from the journal.
        Post(channel, "later 1");
        Post(channel, "later 2");
        Post(channel, "later 3");
        Watch(channel);
        Sys.Stop(channel);
        ExpectTerminated(channel);
        var recovered = StartChannel(General, Options(recent: 2));
        recovered.Tell(new PostMessage(General, Alice, "Alice", "exactly once", "retry-1"), TestActor);
        Assert.Equal(answers[0], ExpectMsg<PostAccepted>().Message);

        recovered.Tell(new GetHistory(General, null, 100), TestActor);
        var history = ExpectMsg<HistoryPage>().Messages;
        Assert.Equal(["exactly once", "later 1", "later 2", "later 3"], history.Select(m => m.Text));
        await Task.CompletedTask;
    }
}

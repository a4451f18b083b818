using System.Text;
using Akka.Actor;
using Akka.TestKit;
using Akka.TestKit.Xunit2;
using Microsoft.Data.Sqlite;
using OpenChat.Channels.Directory;
using OpenChat.Channels.Keys;
using OpenChat.Protocol;
using OpenChat.Protocol.Commands;
using OpenChat.Protocol.Events;
using OpenChat.Protocol.Ids;
using OpenChat.Protocol.Queries;
using Xunit;
using Xunit.Abstractions;

namespace OpenChat.Channels.Tests;

/// <summary>Replies, mentions, edits and deletes in a channel on the SQLite journal, with message keys in the same database.</summary>
public sealed class MessageModerationTests : TestKit
{
    private static readonly ChannelId General = new("general");
    private static readonly UserId Alice = new("u-alice");
    private static readonly UserId Bob = new("u-bob");

    private readonly string _database;
    private readonly IActorRef _directory;
    private readonly TestProbe _placement;
    private readonly SqliteMessageKeys _keys;

    public MessageModerationTests(ITestOutputHelper output) : this(ActorTestConfig.NewDatabase(), output)
    {
    }

    private MessageModerationTests(string database, ITestOutputHelper output) : base(ActorTestConfig.Setup(database), "moderation", output)
    {
        _database = database;
        _placement = CreateTestProbe("placement");
        _directory = Sys.ActorOf(DirectoryActor.Props(new DirectoryOptions(), CreateTestProbe("region").Ref), "directory");
        _keys = new SqliteMessageKeys($"Data Source={database}");
    }

    private static ChannelOptions Options(int recent = 200, int snapshotEvery = 500) =>
        new() { RecentCapacity = recent, SnapshotEvery = snapshotEvery, PostsPerUserWindow = 1_000_000 };

    private IActorRef StartChannel(ChannelOptions? options = null, MessageKeyStore? keys = null, ActorSystem? system = null, IActorRef? directory = null) =>
        (system ?? Sys).ActorOf(ChannelActor.Props(General, directory ?? _directory, _placement.Ref, options ?? Options(), keys: keys ?? _keys),
            $"general-{Guid.NewGuid():N}");

    private ChatMessage Post(IActorRef channel, string text, UserId? author = null, long? replyTo = null)
    {
        var who = author ?? Alice;
        channel.Tell(new PostMessage(General, who, who == Alice ? "Alice" : "Bob", text, Guid.NewGuid().ToString("N"), replyTo), TestActor);
        return ExpectMsg<PostAccepted>().Message;
    }

    private ChatMessage Edit(IActorRef channel, long id, string text, UserId? editor = null)
    {
        channel.Tell(new EditMessage(General, editor ?? Alice, id, text), TestActor);
        return ExpectMsg<EditAccepted>().Message;
    }

    private DeleteDone Delete(IActorRef channel, long id, UserId? by = null, bool moderator = false)
    {
        channel.Tell(new DeleteMessage(General, by ?? Alice, id, moderator), TestActor);
        return ExpectMsg<DeleteDone>();
    }

    private TestProbe Subscribe(IActorRef channel, UserId user, string name)
    {
        var probe = CreateTestProbe();
        channel.Tell(new SubscribeChannel(General, user, name, probe.Ref, 50), probe.Ref);
        probe.ExpectMsg<Subscribed>();
        return probe;
    }

    /// <summary>Every live message, paging back from the newest with pages of <paramref name="limit"/>, oldest first.</summary>
    private static async Task<List<ChatMessage>> AllHistory(IActorRef channel, int limit)
    {
        var all = new List<ChatMessage>();
        long? before = null;
        while (true)
        {
            var page = await channel.Ask<HistoryPage>(new GetHistory(General, before, limit), TimeSpan.FromSeconds(15));
            Assert.True(page.Messages.Count == limit || !page.HasMore, $"a page before {before} held {page.Messages.Count} of {limit} yet said more exist");
            all.InsertRange(0, page.Messages);
            if (!page.HasMore) return all;
            before = page.Messages[0].Id;
        }
    }

    [Fact]
    public async Task An_edit_is_stored_pushed_once_in_order_and_history_shows_the_latest_text()
    {
        var channel = StartChannel();
        var bob = Subscribe(channel, Bob, "Bob");
        var first = Post(channel, "frist");
        bob.ExpectMsg<MessagePosted>();

        var edited = Edit(channel, first.Id, "first");
        var second = Post(channel, "second");

        Assert.Equal(("first", first.Id), (edited.Text, edited.Id));
        Assert.NotNull(edited.EditedAt);
        var pushed = bob.ExpectMsg<MessageEdited>();
        Assert.Equal(edited.Text, pushed.Message.Text);
        Assert.True(pushed.Sequence > first.Id && pushed.Sequence < second.Id);
        Assert.Equal(second.Id, bob.ExpectMsg<MessagePosted>().Message.Id);
        bob.ExpectNoMsg(TimeSpan.FromMilliseconds(200));

        var history = await channel.Ask<HistoryPage>(new GetHistory(General, null, 50), TimeSpan.FromSeconds(15));
        Assert.Equal(["first", "second"], history.Messages.Select(m => m.Text));
        Assert.NotNull(history.Messages[0].EditedAt);
        Assert.Null(history.Messages[1].EditedAt);
    }

    [Fact]
    public async Task Only_the_author_may_edit_and_an_edit_follows_the_text_rules()
    {
        var channel = StartChannel();
        var message = Post(channel, "mine");

        channel.Tell(new EditMessage(General, Bob, message.Id, "yours now"), TestActor);
        Assert.Equal(ErrorCode.Forbidden, ExpectMsg<CommandRejected>().Code);
        channel.Tell(new EditMessage(General, Alice, message.Id, "   "), TestActor);
        Assert.Equal(ErrorCode.InvalidText, ExpectMsg<CommandRejected>().Code);
        channel.Tell(new EditMessage(General, Alice, 999, "nothing there"), TestActor);
        Assert.Equal(ErrorCode.UnknownMessage, ExpectMsg<CommandRejected>().Code);
        var history = await channel.Ask<HistoryPage>(new GetHistory(General, null, 50), TimeSpan.FromSeconds(15));
        Assert.Equal(("mine", null), (history.Messages.Single().Text, history.Messages.Single().EditedAt));
    }

    [Fact]
    public async Task A_delete_by_the_author_or_a_moderator_is_pushed_once_and_history_skips_it()
    {
        var channel = StartChannel();
        var bob = Subscribe(channel, Bob, "Bob");
        var a = Post(channel, "a");
        var b = Post(channel, "b", Bob);
        var c = Post(channel, "c");
        for (var i = 0; i < 3; i++) bob.ExpectMsg<MessagePosted>();

        // Alice may not delete Bob's message without manage messages.
        channel.Tell(new DeleteMessage(General, Alice, b.Id, false), TestActor);
        Assert.Equal(ErrorCode.Forbidden, ExpectMsg<CommandRejected>().Code);

        Assert.Equal(new DeleteDone(General, a.Id, Alice, true), Delete(channel, a.Id));
        Assert.Equal(new DeleteDone(General, b.Id, Bob, true), Delete(channel, b.Id, Alice, moderator: true));
        // Deleting again is not an error, and changes nothing.
        Assert.Equal(new DeleteDone(General, a.Id, null, false), Delete(channel, a.Id));

        Assert.Equal(a.Id, bob.ExpectMsg<MessageDeleted>().MessageId);
        Assert.Equal(b.Id, bob.ExpectMsg<MessageDeleted>().MessageId);
        bob.ExpectNoMsg(TimeSpan.FromMilliseconds(200));

        var history = await channel.Ask<HistoryPage>(new GetHistory(General, null, 50), TimeSpan.FromSeconds(15));
        Assert.Equal([c.Id], history.Messages.Select(m => m.Id));
        Assert.False(history.HasMore);
        channel.Tell(new EditMessage(General, Alice, a.Id, "back"), TestActor);
        Assert.Equal(ErrorCode.UnknownMessage, ExpectMsg<CommandRejected>().Code);
    }

    [Fact]
    public void A_reply_names_a_live_message_of_the_channel_even_one_older_than_memory()
    {
        var channel = StartChannel(Options(recent: 3));
        var old = Post(channel, "old");
        for (var i = 0; i < 5; i++) Post(channel, $"filler {i}");
        var gone = Post(channel, "gone");
        Delete(channel, gone.Id);

        var reply = Post(channel, "answer", Bob, replyTo: old.Id);
        Assert.Equal(old.Id, reply.ReplyTo);

        foreach (var target in new[] { gone.Id, gone.Id + 1, 9999L })
        {
            channel.Tell(new PostMessage(General, Bob, "Bob", "to nothing", Guid.NewGuid().ToString("N"), target), TestActor);
            Assert.Equal(ErrorCode.UnknownMessage, ExpectMsg<CommandRejected>().Code);
        }
    }

    [Fact]
    public void Mentions_are_the_distinct_valid_user_tokens_at_most_twenty_with_known_names()
    {
        var channel = StartChannel();
        Subscribe(channel, Bob, "Bob");

        var message = Post(channel, "hi <@u-bob> and <@u-bob> and <@u-carol> and <@ bad> and @u-dave");
        Assert.Equal([(Bob, "Bob"), (new UserId("u-carol"), "unknown")], message.Mentions!.Select(m => (m.User, m.Name)));

        var many = string.Join(" ", Enumerable.Range(0, 25).Select(i => $"<@u-{i}>"));
        Assert.Equal(ChannelText.MaxMentions, Post(channel, many).Mentions!.Count);
        Assert.Null(Post(channel, "nobody").Mentions);
    }

    [Theory]
    [InlineData(200)]
    [InlineData(7)]
    public async Task History_pages_hold_the_limit_of_live_messages_across_deletes_and_edits_and_say_rightly_whether_more_exist(int recent)
    {
        var channel = StartChannel(Options(recent: recent));
        var posted = Enumerable.Range(1, 40).Select(i => Post(channel, $"m{i}")).ToList();
        foreach (var m in posted.Where((_, i) => i % 3 == 0)) Delete(channel, m.Id);
        var edited = posted.Where((_, i) => i % 5 == 1 && i % 3 != 0).Select(m => m.Id).ToHashSet();
        foreach (var id in edited) Edit(channel, id, $"m{id} (edited)");
        // Delete the oldest live messages too: the last page must not promise more.
        Delete(channel, posted[1].Id);

        var expected = posted.Where((_, i) => i % 3 != 0 && i != 1).Select(m => m.Id).ToList();
        foreach (var limit in new[] { 1, 4, 10, 100 })
        {
            var all = await AllHistory(channel, limit);
            Assert.Equal(expected, all.Select(m => m.Id));
            Assert.Equal(all.Select(m => edited.Contains(m.Id) ? $"m{m.Id} (edited)" : posted.Single(p => p.Id == m.Id).Text), all.Select(m => m.Text));
            Assert.Equal(all.Select(m => edited.Contains(m.Id)), all.Select(m => m.EditedAt is not null));
        }
        var newest = await channel.Ask<HistoryPage>(new GetHistory(General, null, 5), TimeSpan.FromSeconds(15));
        Assert.Equal(expected.TakeLast(5), newest.Messages.Select(m => m.Id));
        Assert.True(newest.HasMore);
    }

    [Fact]
    public async Task After_a_restart_edits_and_deletes_are_replayed_from_the_journal_and_snapshots_with_the_keys()
    {
        var channel = StartChannel(Options(recent: 5, snapshotEvery: 7));
        var posted = Enumerable.Range(1, 20).Select(i => Post(channel, $"m{i}")).ToList();
        Edit(channel, posted[2].Id, "third, edited");
        Edit(channel, posted[18].Id, "nineteenth, edited");
        Delete(channel, posted[3].Id);
        Delete(channel, posted[19].Id);
        var before = await AllHistory(channel, 3);

        Shutdown(Sys);
        var restarted = ActorSystem.Create("moderation-restarted", ActorTestConfig.Setup(_database));
        try
        {
            var directory = restarted.ActorOf(DirectoryActor.Props(new DirectoryOptions(), restarted.DeadLetters), "directory");
            var again = StartChannel(Options(recent: 5, snapshotEvery: 7), new SqliteMessageKeys($"Data Source={_database}"), restarted, directory);
            var after = await AllHistory(again, 3);
            Assert.Equal(before.Select(m => (m.Id, m.Text, m.EditedAt)), after.Select(m => (m.Id, m.Text, m.EditedAt)));
            Assert.Equal(18, after.Count);
            Assert.Contains(after, m => m.Text == "third, edited");
            Assert.Contains(after, m => m.Text == "nineteenth, edited");
        }
        finally
        {
            await restarted.Terminate();
        }
    }

    [Fact]
    public async Task Messages_stored_in_plain_before_sealing_still_replay_and_can_be_edited_and_deleted()
    {
        // A channel without a key store writes the events as they were before sealing: plain text, no new fields.
        var legacy = Sys.ActorOf(ChannelActor.Props(General, _directory, _placement.Ref, Options()), "legacy");
        var old1 = Post(legacy, "old one");
        var old2 = Post(legacy, "old two");
        Watch(legacy);
        Sys.Stop(legacy);
        ExpectTerminated(legacy);

        var channel = StartChannel();
        var history = await channel.Ask<HistoryPage>(new GetHistory(General, null, 50), TimeSpan.FromSeconds(15));
        Assert.Equal(["old one", "old two"], history.Messages.Select(m => m.Text));

        Assert.Equal("old one, edited", Edit(channel, old1.Id, "old one, edited").Text);
        Delete(channel, old2.Id);
        var sealedOne = Post(channel, "new one");
        history = await channel.Ask<HistoryPage>(new GetHistory(General, null, 50), TimeSpan.FromSeconds(15));
        Assert.Equal(["old one, edited", "new one"], history.Messages.Select(m => m.Text));
        Assert.Equal(sealedOne.Id, history.Messages[^1].Id);
    }

    [Fact]
    public async Task A_sealed_text_is_readable_only_with_its_key_and_deleting_destroys_the_key()
    {
        var channel = StartChannel(Options(snapshotEvery: 3));
        var marker = "marker-" + Guid.NewGuid().ToString("N");
        var message = Post(channel, marker);
        Post(channel, "after");
        Post(channel, "and a snapshot");

        // The journal holds no plain text, only what the key opens.
        var (keyId, sealedText) = await StoredEvent(message.Id);
        var key = (await _keys.GetAsync([keyId]))[keyId];
        Assert.Equal(marker, MessageSealing.Open(key, keyId, sealedText));
        Assert.DoesNotContain(marker, ReadAll());
        // The key itself is in the database's files (its file or its write-ahead log) while the message lives.
        Assert.Contains(DatabaseFiles(), bytes => bytes.AsSpan().IndexOf(key) >= 0);

        Delete(channel, message.Id);

        Assert.Empty(await _keys.GetAsync([keyId]));
        Assert.DoesNotContain(DatabaseFiles(), bytes => bytes.AsSpan().IndexOf(key) >= 0);
    }

    private List<byte[]> DatabaseFiles() => System.IO.Directory.GetFiles(Path.GetDirectoryName(_database)!).Select(File.ReadAllBytes).ToList();

    private string ReadAll() => string.Join("\n", System.IO.Directory.GetFiles(Path.GetDirectoryName(_database)!).Select(f => Encoding.UTF8.GetString(File.ReadAllBytes(f))));

    private async Task<(string KeyId, byte[] Sealed)> StoredEvent(long id)
    {
        await using var connection = new SqliteConnection($"Data Source={_database}");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT message FROM journal WHERE persistence_id = $p AND sequence_number = $s;";
        command.Parameters.AddWithValue("$p", ChannelActor.PersistenceIdFor(General));
        command.Parameters.AddWithValue("$s", id);
        var payload = (byte[])(await command.ExecuteScalarAsync())!;
        using var json = System.Text.Json.JsonDocument.Parse(payload);
        return (json.RootElement.GetProperty("KeyId").GetString()!, json.RootElement.GetProperty("Sealed").GetBytesFromBase64());
    }
}

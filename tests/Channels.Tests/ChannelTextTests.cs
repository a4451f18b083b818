using OpenChat.Protocol;
using OpenChat.Protocol.Commands;
using OpenChat.Protocol.Events;
using OpenChat.Protocol.Ids;
using OpenChat.Protocol.Queries;
using Xunit;

namespace OpenChat.Channels.Tests;

/// <summary>A channel's text rules without an actor or a journal: what a post becomes and where history comes from.</summary>
public sealed class ChannelTextTests
{
    private static readonly ChannelId General = new("general");
    private static readonly ChannelInfo GeneralInfo = new(General, "General", ChannelKind.Text, 0, "");
    private static readonly ChannelInfo LoungeInfo = new(new ChannelId("lounge"), "Lounge", ChannelKind.Voice, 1, "");
    private static readonly UserId Alice = new("u-alice");
    private static readonly DateTimeOffset Now = new(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);

    private static ChannelText WithMessages(int count, int recent = 200, int snapshotEvery = 500)
    {
        var text = new ChannelText(General, new ChannelOptions { RecentCapacity = recent, SnapshotEvery = snapshotEvery });
        for (var i = 1; i <= count; i++) text.Apply(i, new MessageStored(Alice, "Alice", $"m{i}", Now));
        return text;
    }

    private static CommandRejected Refused(PostDecision decision) => Assert.IsType<PostDecision.Refuse>(decision).Rejection;

    private static CommandRejected Refused(HistoryDecision decision) => Assert.IsType<HistoryDecision.Refuse>(decision).Rejection;

    /// <summary>Asserts a page served from memory: messages <paramref name="from"/> to <paramref name="to"/> (none when from is 0).</summary>
    private static void Served(HistoryDecision decision, long from, long to, bool hasMore)
    {
        var page = Assert.IsType<HistoryDecision.Serve>(decision).Page;
        Assert.Equal(General, page.Channel);
        Assert.Equal(from == 0 ? [] : Enumerable.Range((int)from, (int)(to - from + 1)).Select(i => (long)i), page.Messages.Select(m => m.Id));
        Assert.Equal(hasMore, page.HasMore);
    }

    [Fact]
    public void A_post_becomes_a_stored_event_with_normalised_text_and_the_time_given()
    {
        var decision = WithMessages(0).Post(new PostMessage(General, Alice, " Alice ", "  hello world \n", "n-1"), GeneralInfo, Now);

        Assert.Equal(new PostDecision.Store(new MessageStored(Alice, "Alice", "hello world", Now, "n-1")), decision);
    }

    [Fact]
    public void Posts_are_refused_in_a_voice_channel_with_bad_text_or_a_bad_author_name()
    {
        var text = WithMessages(0);

        Assert.Equal(new CommandRejected(ErrorCode.WrongChannelKind, "'Lounge' is a voice channel."),
            Refused(text.Post(new PostMessage(General, Alice, "Alice", "hi", "n-1"), LoungeInfo, Now)));
        Assert.Equal(ErrorCode.InvalidText, Refused(text.Post(new PostMessage(General, Alice, "Alice", " \n\t", "n-1"), GeneralInfo, Now)).Code);
        Assert.Equal(ErrorCode.InvalidText, Refused(text.Post(new PostMessage(General, Alice, "Alice", new string('y', 2001), "n-1"), GeneralInfo, Now)).Code);
        Assert.Equal(ErrorCode.InvalidArgument, Refused(text.Post(new PostMessage(General, Alice, "\u0001", "hi", "n-1"), GeneralInfo, Now)).Code);
    }

    [Fact]
    public void A_stored_event_is_the_newest_message_with_its_sequence_number_as_id()
    {
        var text = WithMessages(2);

        var message = text.Apply(3, new MessageStored(Alice, "Alice", "third", Now));

        Assert.Equal(new ChatMessage(3, General, Alice, "Alice", "third", Now), message);
        Assert.Equal(3, text.LastMessageId);
    }

    [Fact]
    public void History_is_served_from_memory_while_memory_holds_the_page()
    {
        var text = WithMessages(120);

        Served(text.History(new GetHistory(General, null, 50), GeneralInfo), 71, 120, true);
        Served(text.History(new GetHistory(General, 21, 50), GeneralInfo), 1, 20, false);
        Served(text.History(new GetHistory(General, 1, 50), GeneralInfo), 0, 0, false);
        Served(WithMessages(0).History(new GetHistory(General, null, 50), GeneralInfo), 0, 0, false);
    }

    [Fact]
    public void History_older_than_memory_is_read_from_the_journal()
    {
        var text = WithMessages(120, recent: 30);

        Assert.Equal((120L, 50), ReadFromJournal(text.History(new GetHistory(General, null, 50), GeneralInfo)));
        Assert.Equal((70L, 50), ReadFromJournal(text.History(new GetHistory(General, 71, 50), GeneralInfo)));
        Assert.Equal((20L, 50), ReadFromJournal(text.History(new GetHistory(General, 21, 50), GeneralInfo)));
        // A cursor past the newest message reads from the newest.
        Served(text.History(new GetHistory(General, 500, 10), GeneralInfo), 111, 120, true);
    }

    private static (long To, int Limit) ReadFromJournal(HistoryDecision decision)
    {
        var read = Assert.IsType<HistoryDecision.ReadJournal>(decision);
        return (read.To, read.Limit);
    }

    [Theory]
    [InlineData(0, null, "A history page holds 1 to 100 messages.")]
    [InlineData(101, null, "A history page holds 1 to 100 messages.")]
    [InlineData(10, 0L, "The cursor must be a message id.")]
    public void History_requests_outside_the_rules_are_refused(int limit, long? before, string reason)
    {
        Assert.Equal(new CommandRejected(ErrorCode.InvalidArgument, reason), Refused(WithMessages(3).History(new GetHistory(General, before, limit), GeneralInfo)));
        Assert.Equal(new CommandRejected(ErrorCode.WrongChannelKind, "'Lounge' has no text history."),
            Refused(WithMessages(3).History(new GetHistory(General, null, 10), LoungeInfo)));
    }

    [Fact]
    public void A_new_subscriber_gets_the_newest_messages_and_whether_older_ones_exist()
    {
        var text = WithMessages(8);

        var (recent, hasMore) = text.Newest(5, GeneralInfo);
        Assert.Equal([4L, 5, 6, 7, 8], recent.Select(m => m.Id));
        Assert.True(hasMore);
        Assert.Equal(8, text.Newest(500, GeneralInfo).Recent.Count);
        Assert.False(text.Newest(500, GeneralInfo).HasMore);
        Assert.Equal((0, true), (text.Newest(0, GeneralInfo).Recent.Count, text.Newest(0, GeneralInfo).HasMore));
        Assert.Equal((0, false), (WithMessages(0).Newest(5, GeneralInfo).Recent.Count, WithMessages(0).Newest(5, GeneralInfo).HasMore));
        Assert.Equal((0, false), (text.Newest(5, LoungeInfo).Recent.Count, text.Newest(5, LoungeInfo).HasMore));
    }

    [Fact]
    public void Snapshots_are_due_every_so_many_messages_and_recovery_goes_on_from_one()
    {
        var text = WithMessages(20, recent: 15, snapshotEvery: 10);
        Assert.Equal([false, true, false, true], new long[] { 9, 10, 11, 20 }.Select(text.SnapshotDue));

        var recovered = new ChannelText(General, new ChannelOptions { RecentCapacity = 15, SnapshotEvery = 10 });
        recovered.Restore(text.Snapshot(), 20);
        recovered.Apply(21, new MessageStored(Alice, "Alice", "after", Now));

        Assert.Equal(21, recovered.LastMessageId);
        Served(recovered.History(new GetHistory(General, null, 10), GeneralInfo), 12, 21, true);
    }

    [Fact]
    public void A_post_whose_nonce_stored_a_message_is_answered_with_that_message_and_stores_nothing_more()
    {
        var text = WithMessages(3);
        var first = Assert.IsType<PostDecision.Store>(text.Post(new PostMessage(General, Alice, "Alice", "once", "n-7"), GeneralInfo, Now));
        // While the first write is under way, a repeat waits for it rather than writing again.
        Assert.Equal(new PostDecision.Writing(Alice, "n-7"), text.Post(new PostMessage(General, Alice, "Alice", "once", "n-7"), GeneralInfo, Now));
        text.Apply(4, first.Event);

        Assert.Equal(new PostDecision.Repeat(4), text.Post(new PostMessage(General, Alice, "Alice", "once", "n-7"), GeneralInfo, Now));
        Assert.Equal("once", text.Recent(4)!.Text);
        // The nonce is the author's: another author's post with the same nonce is its own message.
        Assert.IsType<PostDecision.Store>(text.Post(new PostMessage(General, new UserId("u-bob"), "Bob", "mine", "n-7"), GeneralInfo, Now));
    }

    [Fact]
    public void A_nonce_that_is_missing_or_malformed_is_refused()
    {
        var text = WithMessages(0);
        foreach (var nonce in new[] { null!, "", " ", "a b", "ü", "n/1", new string('n', 65) })
            Assert.Equal(ErrorCode.InvalidArgument, Refused(text.Post(new PostMessage(General, Alice, "Alice", "hi", nonce), GeneralInfo, Now)).Code);
        Assert.IsType<PostDecision.Store>(text.Post(new PostMessage(General, Alice, "Alice", "hi", new string('n', 64)), GeneralInfo, Now));
        Assert.IsType<PostDecision.Store>(text.Post(new PostMessage(General, Alice, "Alice", "hi", "Az09-_.:"), GeneralInfo, Now));
    }

    [Fact]
    public void A_write_that_was_refused_frees_its_nonce_for_the_retry()
    {
        var text = WithMessages(0);
        Assert.IsType<PostDecision.Store>(text.Post(new PostMessage(General, Alice, "Alice", "hi", "n-1"), GeneralInfo, Now));
        text.WriteFailed(Alice, "n-1");
        Assert.IsType<PostDecision.Store>(text.Post(new PostMessage(General, Alice, "Alice", "hi", "n-1"), GeneralInfo, Now));
    }

    [Fact]
    public void Nonces_of_the_last_thousand_posts_survive_a_snapshot_and_older_ones_are_forgotten()
    {
        var text = new ChannelText(General, new ChannelOptions { RecentCapacity = 10, SnapshotEvery = 10 });
        for (var i = 1; i <= 1500; i++) text.Apply(i, new MessageStored(Alice, "Alice", $"m{i}", Now, $"n-{i}"));

        var recovered = new ChannelText(General, new ChannelOptions { RecentCapacity = 10, SnapshotEvery = 10 });
        recovered.Restore(text.Snapshot(), 1500);

        Assert.Equal(new PostDecision.Repeat(501), recovered.Post(new PostMessage(General, Alice, "Alice", "m501", "n-501"), GeneralInfo, Now));
        Assert.Equal(new PostDecision.Repeat(1500), recovered.Post(new PostMessage(General, Alice, "Alice", "m1500", "n-1500"), GeneralInfo, Now));
        Assert.IsType<PostDecision.Store>(recovered.Post(new PostMessage(General, Alice, "Alice", "m500", "n-500"), GeneralInfo, Now));
        // Message 501 is older than what is held in memory: the actor reads it from the journal.
        Assert.Null(recovered.Recent(501));
    }

    [Fact]
    public void A_user_gets_a_budget_of_posts_per_window_in_a_channel_and_retries_answered_from_their_nonce_do_not_count()
    {
        var text = new ChannelText(General, new ChannelOptions { PostsPerUserWindow = 3, PostUserWindow = TimeSpan.FromSeconds(5) });
        for (var i = 1; i <= 3; i++)
        {
            var store = Assert.IsType<PostDecision.Store>(text.Post(new PostMessage(General, Alice, "Alice", $"m{i}", $"n-{i}"), GeneralInfo, Now));
            text.Apply(i, store.Event);
        }
        var refused = Refused(text.Post(new PostMessage(General, Alice, "Alice", "m4", "n-4"), GeneralInfo, Now.AddSeconds(1)));
        Assert.Equal(ErrorCode.RateLimited, refused.Code);
        Assert.Equal("At most 3 messages per 5 s in this channel; try again in 4 s.", refused.Reason);
        // A retry of a stored post is answered, and another user has a budget of their own.
        Assert.Equal(new PostDecision.Repeat(2), text.Post(new PostMessage(General, Alice, "Alice", "m2", "n-2"), GeneralInfo, Now.AddSeconds(1)));
        Assert.IsType<PostDecision.Store>(text.Post(new PostMessage(General, new UserId("u-bob"), "Bob", "hi", "n-1"), GeneralInfo, Now.AddSeconds(1)));
        // Once the window has passed, Alice posts again.
        Assert.IsType<PostDecision.Store>(text.Post(new PostMessage(General, Alice, "Alice", "m4", "n-4"), GeneralInfo, Now.AddSeconds(5)));
    }
}

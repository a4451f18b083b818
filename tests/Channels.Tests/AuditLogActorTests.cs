using Akka.Actor;
using Akka.TestKit.Xunit2;
using OpenChat.Channels.Audit;
using OpenChat.Protocol.Audit;
using OpenChat.Protocol.Commands;
using Xunit;

namespace OpenChat.Channels.Tests;

/// <summary>The audit log singleton on a real SQLite journal: entries stored once, recovered after a restart, paged and filtered past what memory holds.</summary>
public sealed class AuditLogActorTests() : TestKit(ActorTestConfig.Setup(ActorTestConfig.NewDatabase()), "audit")
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(15);

    /// <summary>Small numbers, so that queries cross from memory into the journal and restarts use snapshots.</summary>
    private static readonly AuditLogOptions Options = new() { RecentCapacity = 10, SnapshotEvery = 4, JournalChunk = 3 };

    private static readonly DateTimeOffset Start = new(2026, 12, 7, 6, 0, 0, TimeSpan.Zero);

    private static RecordAudit Record(int n) => new(
        "key-" + n,
        Start.AddMinutes(n),
        new AuditActor(n % 2 == 0 ? "u-ann" : "u-bob", n % 2 == 0 ? "Ann" : "Bob"),
        n % 3 == 0 ? "member.kick" : n % 3 == 1 ? "voice.moderate" : "channel.update",
        new AuditSubject(n % 3 == 2 ? "channel" : "member", "t-" + (n % 5), "Target " + (n % 5)),
        "reason " + n,
        null);

    private async Task<IActorRef> FilledAsync(int count)
    {
        var log = Sys.ActorOf(AuditLogActor.Props(Options));
        for (var n = 1; n <= count; n++)
            Assert.Equal(n, (await log.Ask<AuditRecorded>(Record(n), Wait)).Id);
        return log;
    }

    private static async Task<AuditPage> QueryAsync(IActorRef log, AuditFilter filter, long? before, int limit) =>
        Assert.IsType<AuditPage>(await log.Ask<object>(new QueryAudit(filter, before, limit), Wait));

    /// <summary>Every matching entry, newest first, read page by page.</summary>
    private static async Task<List<AuditEntry>> AllAsync(IActorRef log, AuditFilter filter, int limit)
    {
        var all = new List<AuditEntry>();
        long? before = null;
        while (true)
        {
            var page = await QueryAsync(log, filter, before, limit);
            Assert.True(page.Entries.Count <= limit);
            all.AddRange(page.Entries);
            if (!page.HasMore) return all;
            Assert.NotEmpty(page.Entries);
            before = page.Entries[^1].Id;
        }
    }

    [Fact]
    public async Task Entries_are_stored_once_per_key_and_come_back_after_a_restart()
    {
        var log = await FilledAsync(25);
        // A retry of a record already stored (its answer was lost) is answered with the same entry, not stored again.
        Assert.Equal(25, (await log.Ask<AuditRecorded>(Record(25), Wait)).Id);
        Assert.Equal(20, (await log.Ask<AuditRecorded>(Record(20), Wait)).Id);
        var before = await AllAsync(log, AuditFilter.None, 100);
        Assert.Equal(Enumerable.Range(1, 25).Reverse().Select(n => (long)n), before.Select(e => e.Id));

        await WatchAsync(log);
        Sys.Stop(log);
        await ExpectTerminatedAsync(log);

        var restarted = Sys.ActorOf(AuditLogActor.Props(Options));
        var after = await AllAsync(restarted, AuditFilter.None, 100);
        Assert.Equal(before.Select(e => (e.Id, e.At, e.Actor, e.Action, e.Target, e.Reason)), after.Select(e => (e.Id, e.At, e.Actor, e.Action, e.Target, e.Reason)));
        var third = after.Single(e => e.Id == 3);
        Assert.Equal((new AuditActor("u-bob", "Bob"), "member.kick", new AuditSubject("member", "t-3", "Target 3"), "reason 3"),
            (third.Actor, third.Action, third.Target, third.Reason));
        // The snapshot kept the keys of the newest entries: a retry after the restart is still recognised; the next record follows on.
        Assert.Equal(24, (await restarted.Ask<AuditRecorded>(Record(24), Wait)).Id);
        Assert.Equal(26, (await restarted.Ask<AuditRecorded>(Record(26), Wait)).Id);
    }

    [Fact]
    public async Task Pages_and_filters_reach_past_the_entries_in_memory_into_the_journal()
    {
        var log = await FilledAsync(30);
        // Unfiltered, in pages of 4: the newest 10 come from memory, the rest from the journal, in one order.
        Assert.Equal(Enumerable.Range(1, 30).Reverse().Select(n => (long)n), (await AllAsync(log, AuditFilter.None, 4)).Select(e => e.Id));
        var newest = await QueryAsync(log, AuditFilter.None, null, 3);
        Assert.Equal([30L, 29, 28], newest.Entries.Select(e => e.Id));
        Assert.True(newest.HasMore);
        var oldest = await QueryAsync(log, AuditFilter.None, 3, 5);
        Assert.Equal([2L, 1], oldest.Entries.Select(e => e.Id));
        Assert.False(oldest.HasMore);

        static IEnumerable<long> Expected(Func<int, bool> keep) => Enumerable.Range(1, 30).Reverse().Where(keep).Select(n => (long)n);
        Assert.Equal(Expected(n => n % 3 == 0), (await AllAsync(log, new AuditFilter("member", null, null, null), 3)).Select(e => e.Id));
        Assert.Equal(Expected(n => n % 3 == 1), (await AllAsync(log, new AuditFilter("voice.moderate", null, null, null), 2)).Select(e => e.Id));
        Assert.Empty(await AllAsync(log, new AuditFilter("voice.mod", null, null, null), 5));
        Assert.Equal(Expected(n => n % 2 == 1), (await AllAsync(log, new AuditFilter(null, "u-bob", null, null), 4)).Select(e => e.Id));
        Assert.Equal(Expected(n => n % 5 == 4), (await AllAsync(log, new AuditFilter(null, null, "t-4", null), 4)).Select(e => e.Id));
        // Member: an id or part of a name, as actor or as target.
        Assert.Equal(Expected(n => n % 2 == 0), (await AllAsync(log, new AuditFilter(null, null, null, "ann"), 7)).Select(e => e.Id));
        Assert.Equal(Expected(n => n % 5 == 1), (await AllAsync(log, new AuditFilter(null, null, null, "TARGET 1"), 7)).Select(e => e.Id));
        Assert.Equal(Expected(n => n % 3 == 0 && n % 2 == 0), (await AllAsync(log, new AuditFilter("member", null, null, "u-ann"), 100)).Select(e => e.Id));
    }

    [Fact]
    public async Task Bad_records_and_queries_are_refused_and_long_texts_are_cut_to_their_bounds()
    {
        var log = await FilledAsync(1);
        foreach (var bad in new[]
                 {
                     Record(2) with { Action = "Member.Kick" },
                     Record(2) with { Action = "" },
                     Record(2) with { Target = new AuditSubject("Member!", "t", null) },
                     Record(2) with { Key = new string('k', 65) },
                 })
            Assert.IsType<CommandRejected>(await log.Ask<object>(bad, Wait));
        foreach (var bad in new[] { new QueryAudit(AuditFilter.None, null, 0), new QueryAudit(AuditFilter.None, null, 101), new QueryAudit(AuditFilter.None, 0, 5) })
            Assert.IsType<CommandRejected>(await log.Ask<object>(bad, Wait));

        var id = (await log.Ask<AuditRecorded>(Record(3) with
        {
            Reason = new string('r', 2000),
            Detail = "  " + new string('d', 500),
            Actor = new AuditActor("u-ann", new string('n', 300)),
        }, Wait)).Id;
        Assert.Equal(2, id);
        var stored = (await QueryAsync(log, AuditFilter.None, null, 1)).Entries.Single();
        Assert.Equal((AuditRules.MaxReasonLength, AuditRules.MaxDetailLength, AuditRules.MaxNameLength),
            (stored.Reason!.Length, stored.Detail!.Length, stored.Actor.Name.Length));
        Assert.EndsWith("…", stored.Reason);
        Assert.StartsWith("ddd", stored.Detail);
    }
}

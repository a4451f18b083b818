using System.Threading.Channels;
using Akka.Actor;
using Akka.Hosting;
using Microsoft.Extensions.Logging;
using OpenChat.Gateway.Audit;
using OpenChat.Gateway.Auth;
using OpenChat.Gateway.Sessions;
using OpenChat.Protocol.Accounts;
using OpenChat.Protocol.Audit;
using OpenChat.Protocol.Cluster;
using OpenChat.Protocol.Ids;
using OpenChat.Protocol.Permissions;
using Xunit;

namespace OpenChat.Gateway.Tests;

/// <summary>
/// The gateway's side of the audit log against stand-ins for the singletons: a record the log did not answer is sent
/// again under the same key; names are filled in; nothing waits for the log; every record that cannot be delivered is
/// logged as lost.
/// </summary>
public sealed class AuditTrailTests : IAsyncLifetime
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);
    private static readonly UserId Ann = new("u-ann");
    private static readonly UserId Bob = new("u-bob");

    private readonly Channel<RecordAudit> _received = Channel.CreateUnbounded<RecordAudit>();
    private readonly LogCapture _logs = new();
    private ActorSystem _system = null!;
    private IActorRef _accounts = null!;

    public Task InitializeAsync()
    {
        _system = ActorSystem.Create("audit-trail-tests", "akka.loglevel = WARNING");
        _accounts = _system.ActorOf(Props.Create(() => new Accounts()), "accounts");
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _system.Terminate();

    /// <summary>An audit log that ignores the first <paramref name="ignored"/> records it gets, then answers each.</summary>
    private sealed class Log : ReceiveActor
    {
        public Log(ChannelWriter<RecordAudit> received, int ignored)
        {
            var seen = 0;
            Receive<RecordAudit>(r =>
            {
                received.TryWrite(r);
                if (++seen > ignored) Sender.Tell(new AuditRecorded(r.Key, seen));
            });
        }
    }

    /// <summary>Accounts that know Ann and Bob.</summary>
    private sealed class Accounts : ReceiveActor
    {
        public Accounts() =>
            Receive<GetAccount>(g => Sender.Tell(new AccountLookup(g.User == Ann || g.User == Bob
                ? new AccountView(g.User, g.User == Ann ? "ann" : "bob", DateTimeOffset.UnixEpoch, false)
                : null)));
    }

    private sealed class Required<T>(IActorRef actor) : IRequiredActor<T>
    {
        public IActorRef ActorRef => actor;

        public Task<IActorRef> GetAsync(CancellationToken cancellationToken = default) => Task.FromResult(actor);
    }

    private AuditTrail Trail(IActorRef log, TimeSpan askTimeout) =>
        new(new Required<AuditLogSingleton>(log), new Required<AccountsSingleton>(_accounts), new ChannelCatalog(), new CallBudgets(askTimeout, askTimeout),
            TimeProvider.System, LoggerFactory.Create(b => b.AddProvider(_logs)).CreateLogger<AuditTrail>());

    private static Access Caller(UserId user) => new(user, false, PermissionModel.Default);

    [Fact]
    public async Task A_record_the_log_did_not_answer_is_sent_again_under_its_key_with_the_names_filled_in()
    {
        var received = _received.Writer;
        var log = _system.ActorOf(Props.Create(() => new Log(received, 1)));
        await using var trail = Trail(log, TimeSpan.FromMilliseconds(300));
        trail.Record(Caller(Ann), "member.kick", AuditTarget.Member(Bob), "spam", null);

        var first = await _received.Reader.ReadAsync().AsTask().WaitAsync(Wait);
        var second = await _received.Reader.ReadAsync().AsTask().WaitAsync(Wait);
        Assert.Equal(first, second);
        Assert.Equal((new AuditActor("u-ann", "ann"), "member.kick", new AuditSubject("member", "u-bob", "bob"), "spam"),
            (first.Actor, first.Action, first.Target, first.Reason));
        // Answered the second time: nothing more is sent, and nothing is lost.
        trail.Record(Access.AdminKey(new ChannelCatalog()), "channel.delete", new AuditTarget("channel", "old", "Old"));
        var third = await _received.Reader.ReadAsync().AsTask().WaitAsync(Wait);
        Assert.Equal((new AuditActor("admin-key", AuditTrail.AdminKeyName), "channel.delete", new AuditSubject("channel", "old", "Old")),
            (third.Actor, third.Action, third.Target));
        Assert.NotEqual(first.Key, third.Key);
        Assert.DoesNotContain(_logs.Entries, e => e.Level == LogLevel.Error);
    }

    [Fact]
    public async Task Recording_never_waits_for_the_log_and_every_record_that_cannot_be_delivered_is_logged_as_lost()
    {
        var received = _received.Writer;
        var silent = _system.ActorOf(Props.Create(() => new Log(received, int.MaxValue)));
        var trail = Trail(silent, TimeSpan.FromSeconds(30));
        const int count = AuditTrail.QueueCapacity + 2;
        var started = System.Diagnostics.Stopwatch.StartNew();
        for (var i = 0; i < count; i++) trail.Record(Caller(Ann), "member.kick", AuditTarget.Member(Bob), "n" + i);
        Assert.True(started.Elapsed < TimeSpan.FromSeconds(2), $"recording took {started.Elapsed}");
        Assert.Contains(_logs.Entries, e => e.Level == LogLevel.Error && e.Message.Contains("the queue is full"));

        // Stopping gives the queue a moment, then logs what it still held (and the record under way) as lost.
        await trail.DisposeAsync();
        var lost = _logs.Entries.Where(e => e.Level == LogLevel.Error && e.Message.StartsWith("Audit record lost")).ToList();
        Assert.Equal(count, lost.Count);
        Assert.All(lost, e => Assert.Contains("member.kick by u-ann", e.Message));
    }
}

using Akka.Actor;
using Akka.TestKit.Xunit2;
using OpenChat.Channels.Accounts;
using OpenChat.Protocol;
using OpenChat.Protocol.Accounts;
using OpenChat.Protocol.Commands;
using OpenChat.Protocol.Ids;
using Xunit;
using Xunit.Abstractions;

namespace OpenChat.Channels.Tests;

/// <summary>
/// Time-outs in the accounts singleton (real SQLite journal, a clock the test sets): stored with their end and reason,
/// told to the gateways that watch, kept across a restart while in force, lifted early, and gone once over.
/// </summary>
public sealed class TimeOutStoreTests : TestKit
{
    private sealed class ManualTime : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = new(2026, 12, 7, 12, 0, 0, TimeSpan.Zero);

        public override DateTimeOffset GetUtcNow() => Now;
    }

    private static readonly UserId Moderator = new("u-mod");
    private static readonly UserId Alice = new("u-alice");
    private static readonly UserId Bob = new("u-bob");
    private readonly ManualTime _time = new();

    public TimeOutStoreTests(ITestOutputHelper output) : base(ActorTestConfig.Setup(ActorTestConfig.NewDatabase()), "timeouts", output)
    {
    }

    private IActorRef Start() => Sys.ActorOf(AccountsActor.Props(new AccountsOptions(), _time));

    /// <summary>What a gateway registering now is told about time-outs.</summary>
    private IReadOnlyList<UserTimeOut> TimeOutsTold(IActorRef accounts)
    {
        var gateway = CreateTestProbe();
        accounts.Tell(new WatchIdentity(gateway.Ref));
        return gateway.ExpectMsg<IdentityUpdate>(u => u.Full).TimeOuts ?? [];
    }

    [Fact]
    public void A_time_out_is_stored_told_to_watchers_kept_across_a_restart_lifted_early_and_gone_once_over()
    {
        var accounts = Start();
        var gateway = CreateTestProbe();
        accounts.Tell(new WatchIdentity(gateway.Ref));
        gateway.ExpectMsg<IdentityUpdate>(u => u.Full);

        accounts.Tell(new TimeOutMember(Alice, Moderator, 30, "  cool off  "));
        var set = ExpectMsg<TimeOutSet>();
        Assert.Equal((Alice, _time.Now.AddMinutes(30), "cool off"), (set.User, set.Until, set.Reason));
        Assert.Equal([new UserTimeOut(Alice, _time.Now.AddMinutes(30), "cool off")], gateway.ExpectMsg<IdentityUpdate>().TimeOuts);
        accounts.Tell(new TimeOutMember(Bob, Moderator, 5, null));
        ExpectMsg<TimeOutSet>();
        gateway.ExpectMsg<IdentityUpdate>();

        // Lifted early: watchers are told with the time of the lift; lifting again is refused.
        accounts.Tell(new LiftTimeOut(Bob, Moderator));
        ExpectMsg<RevocationDone>();
        Assert.Equal([new UserTimeOut(Bob, _time.Now, null)], gateway.ExpectMsg<IdentityUpdate>().TimeOuts);
        accounts.Tell(new LiftTimeOut(Bob, Moderator));
        Assert.Equal(ErrorCode.UnknownUser, ExpectMsg<CommandRejected>().Code);

        // A restart keeps what is in force.
        Watch(accounts);
        accounts.Tell(PoisonPill.Instance);
        ExpectTerminated(accounts);
        accounts = Start();
        Assert.Equal([new UserTimeOut(Alice, _time.Now.AddMinutes(30), "cool off")], TimeOutsTold(accounts));

        // Over by the clock: no longer told, and nothing to lift.
        _time.Now += TimeSpan.FromMinutes(31);
        Assert.Empty(TimeOutsTold(accounts));
        accounts.Tell(new LiftTimeOut(Alice, Moderator));
        Assert.Equal(ErrorCode.UnknownUser, ExpectMsg<CommandRejected>().Code);
    }

    [Fact]
    public void Bad_lengths_and_reasons_are_refused_and_store_nothing()
    {
        var accounts = Start();
        foreach (var minutes in new[] { 0, -5, TimeOutMember.MaxMinutes + 1 })
        {
            accounts.Tell(new TimeOutMember(Alice, Moderator, minutes, null));
            Assert.Equal(ErrorCode.InvalidArgument, ExpectMsg<CommandRejected>().Code);
        }
        accounts.Tell(new TimeOutMember(Alice, Moderator, 10, new string('r', 513)));
        Assert.Equal(ErrorCode.InvalidArgument, ExpectMsg<CommandRejected>().Code);
        Assert.Empty(TimeOutsTold(accounts));
        accounts.Tell(new TimeOutMember(Alice, Moderator, TimeOutMember.MaxMinutes, null));
        Assert.Equal(_time.Now.AddDays(28), ExpectMsg<TimeOutSet>().Until);
    }
}

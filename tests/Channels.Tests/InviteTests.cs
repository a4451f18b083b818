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

/// <summary>Invites in the accounts singleton: limits, expiry, revocation, the race for the last use, and recovery.</summary>
public sealed class InviteTests : TestKit
{
    private sealed class ManualTime : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = new(2026, 12, 7, 12, 0, 0, TimeSpan.Zero);

        public override DateTimeOffset GetUtcNow() => Now;
    }

    private static readonly UserId Owner = new("u-owner");
    private readonly ManualTime _time = new();

    public InviteTests(ITestOutputHelper output) : base(ActorTestConfig.Setup(ActorTestConfig.NewDatabase()), "invites", output)
    {
    }

    private IActorRef Start() => Sys.ActorOf(AccountsActor.Props(new AccountsOptions(), _time));

    private InviteView Create(IActorRef accounts, int? maxUses, TimeSpan? lifetime = null)
    {
        accounts.Tell(new CreateInvite(Owner, "Owner", maxUses, lifetime is { } l ? _time.Now + l : null));
        return ExpectMsg<InviteView>();
    }

    private static RegisterAccount Register(string name, string? invite) => new(name, "hash", null, invite, InviteRequired: true);

    [Fact]
    public void An_invite_admits_accounts_up_to_its_limit_even_when_registrations_race_for_the_last_use()
    {
        var accounts = Start();
        var invite = Create(accounts, maxUses: 2);
        Assert.Equal(22, invite.Code.Length);
        Assert.Matches("^[A-Za-z0-9_-]+$", invite.Code);
        Assert.NotEqual(invite.Code, Create(accounts, 2).Code);

        accounts.Tell(Register("first", invite.Code));
        ExpectMsg<AccountView>();
        // Two registrations for the last use arrive together: one gets it, the other is refused.
        accounts.Tell(Register("second", invite.Code));
        accounts.Tell(Register("third", invite.Code));
        ExpectMsg<AccountView>();
        Assert.Equal(ErrorCode.InviteInvalid, ExpectMsg<CommandRejected>().Code);

        accounts.Tell(new CheckInvite(invite.Code));
        Assert.Equal(ErrorCode.InviteInvalid, ExpectMsg<CommandRejected>().Code);
        accounts.Tell(GetInvites.Instance);
        Assert.Equal(2, ExpectMsg<InviteList>().Invites.Single(i => i.Code == invite.Code).Uses);

        // Without an invite, or with a made-up one, an invite-only server takes no one; an open one takes anyone.
        accounts.Tell(Register("fourth", null));
        Assert.Equal(ErrorCode.InviteRequired, ExpectMsg<CommandRejected>().Code);
        accounts.Tell(Register("fourth", "no-such-invite"));
        Assert.Equal(ErrorCode.InviteInvalid, ExpectMsg<CommandRejected>().Code);
        accounts.Tell(new RegisterAccount("fourth", "hash", null, "no-such-invite"));
        ExpectMsg<AccountView>();
    }

    [Fact]
    public void Expired_and_revoked_invites_are_refused_and_uses_survive_a_restart()
    {
        var accounts = Start();
        var hour = Create(accounts, maxUses: null, TimeSpan.FromHours(1));
        var revoked = Create(accounts, maxUses: 5);
        accounts.Tell(Register("early", hour.Code));
        ExpectMsg<AccountView>();

        accounts.Tell(new RevokeInvite(revoked.Code, Owner));
        ExpectMsg<RevocationDone>();
        accounts.Tell(new RevokeInvite(revoked.Code, Owner));
        Assert.Equal(ErrorCode.InviteInvalid, ExpectMsg<CommandRejected>().Code);
        accounts.Tell(Register("revoked", revoked.Code));
        Assert.Equal(ErrorCode.InviteInvalid, ExpectMsg<CommandRejected>().Code);

        _time.Now += TimeSpan.FromMinutes(61);
        accounts.Tell(Register("late", hour.Code));
        Assert.Equal(ErrorCode.InviteInvalid, ExpectMsg<CommandRejected>().Code);

        Watch(accounts);
        accounts.Tell(PoisonPill.Instance);
        ExpectTerminated(accounts);
        accounts = Start();
        accounts.Tell(GetInvites.Instance);
        var listed = ExpectMsg<InviteList>().Invites;
        Assert.Equal([(hour.Code, 1)], listed.Select(i => (i.Code, i.Uses)));
    }

    [Fact]
    public void Bad_limits_are_refused()
    {
        var accounts = Start();
        accounts.Tell(new CreateInvite(Owner, "Owner", 0, null));
        Assert.Equal(ErrorCode.InvalidArgument, ExpectMsg<CommandRejected>().Code);
        accounts.Tell(new CreateInvite(Owner, "Owner", CreateInvite.MaxUsesLimit + 1, null));
        Assert.Equal(ErrorCode.InvalidArgument, ExpectMsg<CommandRejected>().Code);
    }
}

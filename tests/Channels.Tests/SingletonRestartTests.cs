using Akka.Actor;
using Akka.Persistence;
using Akka.Persistence.TestKit;
using Akka.TestKit.Xunit2;
using OpenChat.Channels.Accounts;
using OpenChat.Channels.Hosting;
using OpenChat.Protocol.Accounts;
using Xunit;

namespace OpenChat.Channels.Tests;

/// <summary>A singleton whose journal recovery fails comes back by itself once the journal works again.</summary>
public sealed class SingletonRestartTests() : TestKit("""
    akka.persistence.journal.plugin = "akka.persistence.journal.test"
    akka.persistence.journal.test.class = "Akka.Persistence.TestKit.TestJournal, Akka.Persistence.TestKit"
    akka.persistence.journal.test.plugin-dispatcher = "akka.actor.default-dispatcher"
    akka.persistence.snapshot-store.plugin = "akka.persistence.snapshot-store.test"
    akka.persistence.snapshot-store.test.class = "Akka.Persistence.TestKit.TestSnapshotStore, Akka.Persistence.TestKit"
    akka.persistence.snapshot-store.test.plugin-dispatcher = "akka.actor.default-dispatcher"
    """)
{
    [Fact]
    public async Task The_accounts_singleton_starts_again_after_its_recovery_failed()
    {
        var journal = TestJournal.FromRef(Persistence.Instance.Apply(Sys).JournalFor(null));
        var first = Sys.ActorOf(AccountsActor.Props(new AccountsOptions()));
        Assert.IsType<AccountView>(await first.Ask<object>(new RegisterAccount("Alice", "AQAAAAIAAYag", null), TimeSpan.FromSeconds(10)));
        await WatchAsync(first);
        Sys.Stop(first);
        await ExpectTerminatedAsync(first);

        await journal.OnRecovery.Fail();
        var singleton = Sys.ActorOf(ChannelsSetup.RestartedWhenStopped(AccountsActor.Props(new AccountsOptions()), "accounts"));
        // While every replay fails, nothing answers.
        await Assert.ThrowsAsync<AskTimeoutException>(() => singleton.Ask<NameAvailability>(new CheckGuestName("Alice"), TimeSpan.FromSeconds(2)));

        // The journal is back: a later start of the actor recovers the account and answers, through the same reference.
        await journal.OnRecovery.Pass();
        await AwaitAssertAsync(async () =>
            Assert.False((await singleton.Ask<NameAvailability>(new CheckGuestName("Alice"), TimeSpan.FromSeconds(1))).Free),
            TimeSpan.FromSeconds(30), TimeSpan.FromMilliseconds(200));
    }
}

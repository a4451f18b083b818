using Akka.Actor;
using Akka.Event;
using OpenChat.Gateway.Auth;
using OpenChat.Protocol.Accounts;

namespace OpenChat.Gateway.Sessions;

/// <summary>
/// Keeps the gateway's <see cref="IdentityCache"/> in step with the accounts singleton and so has the sessions it ends
/// closed (through <see cref="IdentityCache.Changed"/>). Registers again periodically: a singleton that moved has forgotten its watchers (and answers a new
/// registration with everything).
/// </summary>
public sealed class IdentityWatcher : ReceiveActor, IWithTimers
{
    private static readonly TimeSpan Refresh = TimeSpan.FromSeconds(5);

    /// <summary>How long the singleton may stay silent before this gateway works without it (<see cref="IdentityCache.Unavailable"/>).</summary>
    public static readonly TimeSpan GiveUpAfter = TimeSpan.FromSeconds(15);
    private readonly ILoggingAdapter _log = Context.GetLogger();

    private sealed record Register;

    private sealed record GiveUp;

    public IdentityWatcher(IActorRef accounts, IdentityCache cache)
    {
        Receive<Register>(_ => accounts.Tell(new WatchIdentity(Self)));
        Receive<GiveUp>(_ =>
        {
            if (cache.Loaded) return;
            cache.MarkUnavailable();
            _log.Warning("The accounts singleton has not answered in {0} s: the channels nodes may run a release without accounts. " +
                         "Tokens are checked for signature and expiry only, and account calls are refused, until it answers.", GiveUpAfter.TotalSeconds);
        });
        Receive<IdentityUpdate>(update =>
        {
            var wasLoaded = cache.Loaded;
            cache.Apply(update);
            if (!wasLoaded && cache.Loaded)
            {
                _log.Info("Sessions' revocations loaded");
                Timers.StartPeriodicTimer("register", new Register(), Refresh);
            }
        });
    }

    public ITimerScheduler Timers { get; set; } = null!;

    protected override void PreStart()
    {
        Timers.StartPeriodicTimer("register", new Register(), TimeSpan.FromSeconds(1));
        Timers.StartSingleTimer("give-up", new GiveUp(), GiveUpAfter);
        Self.Tell(new Register());
    }

    public static Props Props(IActorRef accounts, IdentityCache cache) =>
        Akka.Actor.Props.Create(() => new IdentityWatcher(accounts, cache));
}

using Akka.Actor;
using OpenChat.Gateway.Auth;

namespace OpenChat.Gateway.Sessions;

/// <summary>
/// Parent of the session actors on a gateway. A session that fails is stopped, not restarted: its subscriptions
/// would be gone, so its client is disconnected and reconnects cleanly. A session also ends (and its connection
/// closes) when its token expires, or when the accounts singleton says it was revoked (<see cref="Recheck"/>). A member's
/// sessions apply their access again when a time-out of theirs starts or ends.
/// </summary>
public sealed class SessionsActor : ReceiveActor, IWithTimers
{
    /// <summary>Creates a session actor for a connection; answered with its <see cref="IActorRef"/>.</summary>
    public sealed record Start(string ConnectionId, Props Props, IClientPush Push, SessionIdentity Identity);

    /// <summary>Revocations changed: end every session that is no longer valid.</summary>
    public sealed record Recheck
    {
        public static readonly Recheck Instance = new();
    }

    private sealed record Expired(IActorRef Session);

    /// <summary>The time-out that ends soonest may have ended: a <see cref="Recheck"/> on this gateway's own clock.</summary>
    private sealed record TimeOutEnds;

    private readonly Dictionary<IActorRef, (IClientPush Push, SessionIdentity Identity)> _sessions = new();
    private Protocol.Ids.UserId? _owner;

    private static readonly TimeSpan MaxTimerDelay = TimeSpan.FromHours(1);

    /// <summary>The time-outs in force when the sessions were last told, by member.</summary>
    private Dictionary<Protocol.Ids.UserId, Protocol.Accounts.UserTimeOut> _timeOuts = new();

    public SessionsActor(IdentityCache identities, TimeProvider time)
    {
        _owner = identities.Owner;
        Receive<Start>(start =>
        {
            var name = "session-" + Uri.EscapeDataString(start.ConnectionId);
            var child = Context.Child(name);
            if (child.IsNobody())
            {
                child = Context.ActorOf(start.Props, name);
                Context.Watch(child);
                _sessions[child] = (start.Push, start.Identity);
                var left = start.Identity.ExpiresAt - time.GetUtcNow();
                if (start.Identity.ExpiresAt != DateTimeOffset.MaxValue)
                    Timers.StartSingleTimer(child, new Expired(child), left > TimeSpan.Zero ? left : TimeSpan.Zero);
            }
            Sender.Tell(child);
        });
        Receive<Expired>(e => Context.Stop(e.Session));
        Receive<Recheck>(_ => CheckSessions(identities, time));
        Receive<TimeOutEnds>(_ => CheckSessions(identities, time));
        Receive<AccessChanged>(changed =>
        {
            foreach (var session in _sessions.Keys) session.Tell(changed);
        });
        Receive<Terminated>(t =>
        {
            Timers.Cancel(t.ActorRef);
            if (_sessions.Remove(t.ActorRef, out var entry)) entry.Push.Abort();
        });
    }

    public ITimerScheduler Timers { get; set; } = null!;

    /// <summary>
    /// Ends the sessions no longer valid, and has the others apply their access again where it changed: everyone's when
    /// the owner changed, a member's when their time-out started, changed or ended (lifted, or over by the clock, which
    /// a timer here watches, so a time-out ends on every gateway without anyone acting).
    /// </summary>
    private void CheckSessions(IdentityCache identities, TimeProvider time)
    {
        // Who owns the server decides what its sessions may do: only a new owner changes their access.
        var ownerChanged = identities.Owner != _owner;
        _owner = identities.Owner;
        var timeOuts = identities.TimeOutsInForce().ToDictionary(t => t.User);
        var changed = timeOuts.Keys.Concat(_timeOuts.Keys)
            .Where(u => !timeOuts.TryGetValue(u, out var now) || !_timeOuts.TryGetValue(u, out var before) || now != before)
            .ToHashSet();
        _timeOuts = timeOuts;
        foreach (var (session, (_, identity)) in _sessions)
        {
            if (identities.IsRevoked(identity)) Context.Stop(session);
            else if (ownerChanged || changed.Contains(identity.User)) session.Tell(AccessChanged.Instance);
        }
        if (timeOuts.Count == 0)
        {
            Timers.Cancel(nameof(TimeOutEnds));
            return;
        }
        // At most an hour ahead (a time-out may last weeks); checked then, nothing changed, the timer is set again.
        var left = timeOuts.Values.Min(t => t.Until) - time.GetUtcNow();
        Timers.StartSingleTimer(nameof(TimeOutEnds), new TimeOutEnds(), left > MaxTimerDelay ? MaxTimerDelay : left > TimeSpan.Zero ? left : TimeSpan.Zero);
    }

    protected override SupervisorStrategy SupervisorStrategy() => new OneForOneStrategy(_ => Directive.Stop);

    public static Props Props(IdentityCache identities, TimeProvider time) =>
        Akka.Actor.Props.Create(() => new SessionsActor(identities, time));
}

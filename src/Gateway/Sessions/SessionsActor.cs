using Akka.Actor;
using OpenChat.Gateway.Auth;

namespace OpenChat.Gateway.Sessions;

/// <summary>
/// Parent of the session actors on a gateway. A session that fails is stopped, not restarted: its subscriptions
/// would be gone, so its client is disconnected and reconnects cleanly. A session also ends (and its connection
/// closes) when its token expires, or when the accounts singleton says it was revoked (<see cref="Recheck"/>).
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

    private readonly Dictionary<IActorRef, (IClientPush Push, SessionIdentity Identity)> _sessions = new();
    private Protocol.Ids.UserId? _owner;

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
        Receive<Recheck>(_ =>
        {
            // Who owns the server decides what its sessions may do: only a new owner changes their access.
            var ownerChanged = identities.Owner != _owner;
            _owner = identities.Owner;
            foreach (var (session, (_, identity)) in _sessions)
            {
                if (identities.IsRevoked(identity)) Context.Stop(session);
                else if (ownerChanged) session.Tell(AccessChanged.Instance);
            }
        });
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

    protected override SupervisorStrategy SupervisorStrategy() => new OneForOneStrategy(_ => Directive.Stop);

    public static Props Props(IdentityCache identities, TimeProvider time) =>
        Akka.Actor.Props.Create(() => new SessionsActor(identities, time));
}

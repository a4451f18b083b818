using Akka.Actor;

namespace OpenChat.Gateway.Sessions;

/// <summary>
/// Parent of the session actors on a gateway. A session that fails is stopped, not restarted: its subscriptions
/// would be gone, so its client is disconnected and reconnects cleanly.
/// </summary>
public sealed class SessionsActor : ReceiveActor
{
    /// <summary>Creates a session actor for a connection; answered with its <see cref="IActorRef"/>.</summary>
    public sealed record Start(string ConnectionId, Props Props, IClientPush Push);

    private readonly Dictionary<IActorRef, IClientPush> _pushes = new();

    public SessionsActor()
    {
        Receive<Start>(start =>
        {
            var name = "session-" + Uri.EscapeDataString(start.ConnectionId);
            var child = Context.Child(name);
            if (child.IsNobody())
            {
                child = Context.ActorOf(start.Props, name);
                Context.Watch(child);
                _pushes[child] = start.Push;
            }
            Sender.Tell(child);
        });
        Receive<Terminated>(t =>
        {
            if (_pushes.Remove(t.ActorRef, out var push)) push.Abort();
        });
    }

    protected override SupervisorStrategy SupervisorStrategy() => new OneForOneStrategy(_ => Directive.Stop);

    public static Props Props() => Akka.Actor.Props.Create(() => new SessionsActor());
}

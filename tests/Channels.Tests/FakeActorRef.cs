using Akka.Actor;

namespace OpenChat.Channels.Tests;

/// <summary>An actor reference for tests that run without an actor system: it has a name, and equals only itself.</summary>
public sealed class FakeActorRef(string name) : MinimalActorRef
{
    public override ActorPath Path { get; } = new RootActorPath(new Address("akka", "plain-tests")) / name;

    public override IActorRefProvider Provider => throw new NotSupportedException("There is no actor system.");

    public override string ToString() => name;
}

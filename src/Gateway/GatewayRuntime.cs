using Akka.Actor;
using Akka.Hosting;
using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OpenChat.Protocol.Cluster;
using OpenChat.Hosting;
using OpenChat.Gateway.Auth;
using OpenChat.Gateway.Hub;
using OpenChat.Gateway.Sessions;

namespace OpenChat.Gateway;

/// <summary>Registry key of the gateway's session parent actor.</summary>
public sealed class SessionsKey;

/// <summary>What hub calls need from the actor system: the channel region, the session parent, the channel catalog.</summary>
public sealed class GatewayRuntime(
    IRequiredActor<ChannelRegion> region,
    IRequiredActor<ChannelDirectory> directory,
    IRequiredActor<SessionsKey> sessions,
    ChannelCatalog catalog,
    IOptions<GatewayOptions> options,
    CallBudgets budgets,
    EventWire wire,
    TimeProvider time,
    ILoggerFactory loggers,
    IdentityCache identities)
{
    public IdentityCache Identities => identities;

    public ChannelCatalog Catalog => catalog;

    public GatewayOptions Options => options.Value;

    public CallBudgets Budgets => budgets;

    public IActorRef Region => region.ActorRef;

    public IActorRef Directory => directory.ActorRef;

    public async Task<(IActorRef Session, HubClientPush Push)> StartSessionAsync(HubCallerContext context, SessionIdentity identity)
    {
        var push = new HubClientPush(ConnectionLifetimeManager.ConnectionOf(context), wire, Options.OutboundQueue, loggers.CreateLogger<HubClientPush>());
        var props = SessionActor.Props(identity, region.ActorRef, push, Options, budgets, time, identities, catalog);
        var session = await sessions.ActorRef.Ask<IActorRef>(new SessionsActor.Start(context.ConnectionId, props, push, identity), budgets.Cluster);
        return (session, push);
    }
}

using System.Threading.RateLimiting;
using Akka.Actor;
using Akka.Hosting;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using OpenChat.Gateway.Turn;
using OpenChat.Protocol.Cluster;
using OpenChat.Hosting;
using Microsoft.Extensions.Logging;
using OpenChat.Gateway.Auth;
using OpenChat.Gateway.Edge;
using OpenChat.Gateway.Hub;
using OpenChat.Gateway.Sessions;

namespace OpenChat.Gateway;

/// <summary>Registers the gateway role: identity, the hub, session actors, the channel catalog.</summary>
public static class GatewaySetup
{
    public const string SessionRateLimitPolicy = "sessions";

    /// <summary>The log category under which SignalR reports each hub call that threw.</summary>
    public const string HubDispatcherLogCategory = "Microsoft.AspNetCore.SignalR.Internal.DefaultHubDispatcher";

    public static IServiceCollection AddOpenChatGateway(this IServiceCollection services, IConfiguration configuration, OpenChatOptions openChat)
    {
        var gateway = configuration.GetSection(GatewayOptions.Section).Get<GatewayOptions>() ?? new GatewayOptions();
        gateway.Validate();
        var auth = configuration.GetSection(AuthOptions.Section).Get<AuthOptions>() ?? new AuthOptions();
        auth.Validate();
        var turn = configuration.GetSection(TurnOptions.Section).Get<TurnOptions>() ?? new TurnOptions();
        turn.Validate();

        services.AddSingleton(Options.Create(gateway));
        services.AddSingleton(CallBudgets.From(gateway, configuration));
        services.AddSingleton(Options.Create(auth));
        services.AddSingleton(Options.Create(turn));
        services.AddSingleton<TurnCredentials>();
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton(sp => new TokenService(SigningKeyRing.Load(auth, openChat.DataDirectory), auth.TokenLifetime, auth.MaxSessionAge,
            sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton<IdentityCache>();
        services.AddSingleton(new PasswordHashing(auth));
        services.AddSingleton<ChannelCatalog>();
        services.AddSingleton<Audit.AuditTrail>();
        services.AddHttpContextAccessor();
        services.AddSingleton<EdgeBudgets>();
        services.AddSingleton(new ConnectionLimits(gateway.MaxConnectionsPerUser, gateway.MaxConnectionsPerAddress));
        services.AddSingleton(sp => new AdminGuard(auth, sp.GetRequiredService<TimeProvider>()));
        // The dispatcher logs every call that ends in an error, with its stack, at Error: a client sending bad or
        // refused calls would fill the log. Refusals are answers, not faults; HubGuardFilter logs real failures.
        services.AddLogging(b => b.AddFilter(HubDispatcherLogCategory, LogLevel.None));
        services.AddSingleton<GatewayRuntime>();
        services.AddSingleton(sp => new EventWire(sp.GetRequiredService<IdentityCache>()));
        services.AddSingleton<HubLifetimeManager<Hub.ChatHub>, Hub.ConnectionLifetimeManager>();

        services.AddAuthentication(TokenAuthenticationHandler.SchemeName)
            .AddScheme<AuthenticationSchemeOptions, TokenAuthenticationHandler>(TokenAuthenticationHandler.SchemeName, null);
        services.AddAuthorization();
        services.AddSignalR(o =>
        {
            o.MaximumReceiveMessageSize = gateway.MaxMessageBytes;
            o.MaximumParallelInvocationsPerClient = gateway.ParallelCallsPerConnection;
            o.EnableDetailedErrors = false;
            o.AddFilter<HubGuardFilter>();
        });
        services.AddRateLimiter(o =>
        {
            o.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            o.OnRejected = (_, _) =>
            {
                GatewayMetrics.Limit("sessions");
                return ValueTask.CompletedTask;
            };
            o.AddPolicy(SessionRateLimitPolicy, context => RateLimitPartition.GetFixedWindowLimiter(
                ClientAddress.Key(context),
                _ => new FixedWindowRateLimiterOptions { PermitLimit = auth.SessionsPerMinute, Window = TimeSpan.FromMinutes(1) }));
        });
        services.AddHealthChecks()
            .AddCheck<ChannelCatalogHealthCheck>("channel-catalog", tags: ["ready"])
            .AddCheck<IdentityCacheHealthCheck>("identities", tags: ["ready"]);
        return services;
    }

    /// <summary>The gateway's actors: the session parent and the directory watcher.</summary>
    public static AkkaConfigurationBuilder AddGatewayActors(this AkkaConfigurationBuilder builder)
    {
        return builder.WithActors((system, registry, resolver) =>
        {
            var identities = resolver.GetService<IdentityCache>();
            var sessions = system.ActorOf(SessionsActor.Props(identities, resolver.GetService<TimeProvider>()), "sessions");
            registry.Register<SessionsKey>(sessions);
            identities.Changed += () => sessions.Tell(SessionsActor.Recheck.Instance, ActorRefs.NoSender);
            system.ActorOf(IdentityWatcher.Props(registry.Get<AccountsSingleton>(), identities), "identity-watcher");
            // Sessions of one user find each other through it (a user is in at most one voice channel).
            Akka.Cluster.Tools.PublishSubscribe.DistributedPubSub.Get(system);
            var catalog = resolver.GetService<ChannelCatalog>();
            system.ActorOf(DirectoryWatcher.Props(registry.Get<ChannelDirectory>(), catalog, sessions,
                resolver.GetService<Microsoft.AspNetCore.SignalR.IHubContext<Hub.ChatHub, Hub.IChatClient>>()), "directory-watcher");
        });
    }
}

/// <summary>A gateway is ready once it knows the channel list.</summary>
public sealed class ChannelCatalogHealthCheck(ChannelCatalog catalog) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(catalog.IsLoaded
            ? HealthCheckResult.Healthy($"{catalog.Channels.Count} channels")
            : HealthCheckResult.Unhealthy("The channel list has not been loaded yet."));
}

/// <summary>A gateway is ready once it knows which sessions are revoked.</summary>
public sealed class IdentityCacheHealthCheck(IdentityCache identities) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(identities.Loaded ? HealthCheckResult.Healthy("revocations loaded")
            : identities.Unavailable ? HealthCheckResult.Degraded("The accounts singleton does not answer; tokens are not checked for revocation.")
            : HealthCheckResult.Unhealthy("The sessions' revocations have not been loaded yet."));
}

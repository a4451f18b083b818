using Akka.Actor;
using Akka.Hosting;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using OpenChat.Channels.Hosting;
using OpenChat.Hosting;
using OpenChat.Protocol.Cluster;
using OpenChat.Gateway;
using OpenChat.Gateway.Https;
using OpenChat.MediaNode;

namespace OpenChat.Server;

/// <summary>
/// Composes a process from its roles (<c>OpenChat:Roles</c>): every node runs the cluster wiring and health endpoints;
/// gateway nodes add the hub and the web client; channel nodes the sharded channels; media nodes the mixers.
/// With no roles configured, one process runs them all (the all-in-one server).
/// </summary>
public static class OpenChatServer
{
    public static WebApplication Build(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        var builder = WebApplication.CreateBuilder(args);
        configure?.Invoke(builder);

        var options = builder.Configuration.GetSection(OpenChatOptions.Section).Get<OpenChatOptions>() ?? new OpenChatOptions();
        options.Validate();
        builder.Services.AddSingleton(options);
        var gateway = options.HasRole(OpenChatRoles.Gateway);
        var https = HttpsSetup.ReadOptions(builder.Configuration);
        if (https.Enabled && !gateway)
            throw new ArgumentException("OpenChat:Https serves the web client, so it is for nodes with the gateway role; this node has none.");
        // Before the management listener adds its address: only the public addresses get an HTTPS listener.
        var webCertificate = https.Enabled ? builder.UseOpenChatHttps(https, options.DataDirectory) : null;
        builder.AddOpenChatObservability(options);
        var channels = options.HasRole(OpenChatRoles.Channels)
            ? builder.Configuration.GetSection(OpenChatOptions.Section).Get<ChannelsRoleOptions>() ?? new ChannelsRoleOptions()
            : null;
        channels?.Validate();
        if (channels is not null && !channels.Persistence.IsPostgres && options.Cluster.SeedsNameOtherNodes)
            throw new ArgumentException(
                "This channels node keeps its journal in SQLite, a file of its own, but its seeds (OpenChat:Cluster:SeedNodes) " +
                "name other nodes: channels moving between nodes would each continue a different file and history would fork. " +
                "Use a shared journal on every channels node: set OpenChat:Persistence:Provider=PostgreSql and " +
                "OpenChat:Persistence:ConnectionString (for example OpenChat__Persistence__ConnectionString=" +
                "\"Host=db;Database=openchat;Username=openchat;Password=...\"). A single channels node may keep SQLite if its " +
                "only seed is its own address.");
        var certificate = options.Cluster.UsesTls ? ClusterCertificate.Load(options.Cluster.Certificate, DateTimeOffset.UtcNow) : null;
        if (gateway) builder.Services.AddOpenChatGateway(builder.Configuration, options);
        var media = options.HasRole(OpenChatRoles.Media);
        var mediaOptions = media ? MediaSetup.ReadOptions(builder.Configuration) : null;
        if (media) builder.Services.AddOpenChatMedia(builder.Configuration);
        // Shutting down a media node includes moving its rooms away; the host waits for that.
        var shutdown = TimeSpan.FromSeconds(30);
        if (mediaOptions is not null && mediaOptions.DrainTimeout + TimeSpan.FromSeconds(15) > shutdown)
            shutdown = mediaOptions.DrainTimeout + TimeSpan.FromSeconds(15);
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = shutdown);

        builder.Services.AddHealthChecks()
            .AddCheck<ActorSystemLiveCheck>("actor-system", tags: ["live"])
            .AddCheck<ClusterReadyCheck>("cluster", tags: ["ready"]);

        builder.Services.AddAkka(AkkaSetup.SystemName, (akka, _) =>
        {
            akka.ConfigureLoggers(loggers =>
            {
                loggers.LogLevel = Akka.Event.LogLevel.InfoLevel;
                loggers.ClearLoggers();
                loggers.AddLoggerFactory();
            });
            akka.AddOpenChatCluster(options, certificate);
            if (channels is not null) akka.AddChannelsRole(options, channels);
            if (gateway) akka.AddGatewayActors();
            if (mediaOptions is not null) akka.AddMediaActors(mediaOptions);
        });

        var app = builder.Build();
        app.UseOpenChatManagement(options.Management);
        // Each role's instruments exist from the start, so its series are there (at zero) before anything happens.
        if (gateway) Gateway.GatewayMetrics.Enable();
        if (channels is not null) Channels.ChannelMetrics.Enable();
        if (media)
        {
            MediaNode.Engine.MediaMetrics.Enable();
            Rtc.Transport.RtcMetrics.Enable();
        }
        if (certificate is not null)
            app.Logger.LogInformation("Cluster transport: TLS with mutual authentication; certificate {Fingerprint} (SHA-256), {Accepted} accepted",
                certificate.Fingerprint, certificate.AcceptedFingerprints.Count);
        else if (options.Cluster.IsMultiHost)
            app.Logger.LogWarning("INSECURE CLUSTER TRANSPORT: OpenChat:Cluster:AllowInsecureTransport is set and remoting runs as plain TCP " +
                "without authentication. Anyone who can reach {Host}:{Port} can join the cluster with any role, post as any user " +
                "and take over voice rooms. Set OpenChat:Cluster:Certificate:Path on every node.",
                options.Cluster.Hostname, options.Cluster.Port);
        if (webCertificate is not null) HttpsSetup.LogCertificate(app.Services.GetRequiredService<ILoggerFactory>(), webCertificate, https);
        app.MapHealthChecks("/healthz/live", new() { Predicate = c => c.Tags.Contains("live") });
        app.MapHealthChecks("/healthz/ready", new() { Predicate = c => c.Tags.Contains("ready") });
        if (gateway) app.MapOpenChatGateway();
        return app;
    }
}

/// <summary>Live while the actor system runs.</summary>
public sealed class ActorSystemLiveCheck(ActorSystem system) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(system.WhenTerminated.IsCompleted
            ? HealthCheckResult.Unhealthy("The actor system has terminated.")
            : HealthCheckResult.Healthy());
}

/// <summary>Ready once this node is Up in the cluster and its channel shard region (or proxy) is running.</summary>
public sealed class ClusterReadyCheck(ActorSystem system, ActorRegistry registry) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var self = Akka.Cluster.Cluster.Get(system).SelfMember;
        if (self.Status != Akka.Cluster.MemberStatus.Up)
            return Task.FromResult(HealthCheckResult.Unhealthy($"Cluster member status is {self.Status}."));
        if (!registry.TryGet<ChannelRegion>(out var region) || region.IsNobody())
            return Task.FromResult(HealthCheckResult.Unhealthy("The channel shard region is not running."));
        return Task.FromResult(HealthCheckResult.Healthy($"Up as {string.Join(",", self.Roles)}"));
    }
}

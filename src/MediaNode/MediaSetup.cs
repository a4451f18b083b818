using Akka;
using Akka.Actor;
using Akka.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using OpenChat.MediaNode.Mixers;

namespace OpenChat.MediaNode;

/// <summary>Registry key of the media node's mixer manager.</summary>
public sealed class MixerManagerKey;

/// <summary>Registers the media role: the mixing engine with its clock, and the mixer manager actor.</summary>
public static class MediaSetup
{
    public const string MixerManagerName = "mixer-manager";

    public static IServiceCollection AddOpenChatMedia(this IServiceCollection services, IConfiguration configuration)
    {
        var options = ReadOptions(configuration);
        services.AddSingleton(Options.Create(options));
        services.AddSingleton<MediaEngineService>();
        services.AddSingleton<MediaTransportService>();
        services.AddHostedService(sp => sp.GetRequiredService<MediaEngineService>());
        return services;
    }

    /// <summary>
    /// The mixer manager, and a coordinated-shutdown task that drains the node (its rooms move to other media
    /// nodes) before it leaves the cluster, so SIGTERM drops no call.
    /// </summary>
    public static AkkaConfigurationBuilder AddMediaActors(this AkkaConfigurationBuilder builder, MediaNodeOptions options)
    {
        var phaseTimeout = (int)Math.Ceiling((options.DrainTimeout + TimeSpan.FromSeconds(5)).TotalSeconds);
        builder.AddHocon($"akka.coordinated-shutdown.phases.before-cluster-shutdown.timeout = {phaseTimeout}s", HoconAddMode.Prepend);
        return builder.WithActors((system, registry, resolver) =>
        {
            var media = resolver.GetService<MediaEngineService>();
            var transport = resolver.GetService<MediaTransportService>();
            var manager = system.ActorOf(MixerManagerActor.Props(media, transport, options), MixerManagerName);
            registry.Register<MixerManagerKey>(manager);
            CoordinatedShutdown.Get(system).AddTask(CoordinatedShutdown.PhaseBeforeClusterShutdown, "drain-media", async () =>
            {
                await manager.Ask<MixerManagerActor.Drained>(
                    new MixerManagerActor.Drain(options.DrainTimeout), options.DrainTimeout + TimeSpan.FromSeconds(2));
                return Done.Instance;
            });
        });
    }

    /// <summary>Reads and validates the media options from configuration.</summary>
    public static MediaNodeOptions ReadOptions(IConfiguration configuration)
    {
        var options = configuration.GetSection(MediaNodeOptions.Section).Get<MediaNodeOptions>() ?? new MediaNodeOptions();
        options.Validate();
        return options;
    }
}

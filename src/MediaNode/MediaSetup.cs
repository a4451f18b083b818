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
        var options = configuration.GetSection(MediaNodeOptions.Section).Get<MediaNodeOptions>() ?? new MediaNodeOptions();
        options.Validate();
        services.AddSingleton(Options.Create(options));
        services.AddSingleton<MediaEngineService>();
        services.AddSingleton<MediaTransportService>();
        services.AddHostedService(sp => sp.GetRequiredService<MediaEngineService>());
        return services;
    }

    public static AkkaConfigurationBuilder AddMediaActors(this AkkaConfigurationBuilder builder)
    {
        return builder.WithActors((system, registry, resolver) =>
        {
            var media = resolver.GetService<MediaEngineService>();
            var transport = resolver.GetService<MediaTransportService>();
            var options = resolver.GetService<IOptions<MediaNodeOptions>>().Value;
            registry.Register<MixerManagerKey>(system.ActorOf(MixerManagerActor.Props(media, transport, options), MixerManagerName));
        });
    }
}

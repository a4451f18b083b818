using Akka.Cluster.Hosting;
using Akka.Cluster.Hosting.SBR;
using Akka.Hosting;
using Akka.Remote.Hosting;
using OpenChat.Protocol;
using OpenChat.Protocol.Cluster;
using OpenChat.Protocol.Serialization;
using OpenChat.Protocol.Sharding;

namespace OpenChat.Hosting;

/// <summary>The Akka.Hosting wiring every OpenChat process shares, whatever its roles.</summary>
public static class AkkaSetup
{
    public const string SystemName = "openchat";
    public const string ChannelsTypeName = "channels";
    public const string DirectoryName = "channel-directory";
    public const string AccountsName = "accounts";
    public const string AuditLogName = "audit-log";

    /// <summary>
    /// Remoting, clustering (roles, seeds, split-brain resolver) and the protocol serializer; on nodes without the
    /// <c>channels</c> role, proxies to the channel shard region and the directory singleton (a channels node
    /// registers the region and the singleton themselves, see the channels role's setup).
    /// </summary>
    public static AkkaConfigurationBuilder AddOpenChatCluster(this AkkaConfigurationBuilder builder, OpenChatOptions options,
        ClusterCertificate? certificate = null, FirstSeedTiming? firstSeed = null)
    {
        var seeds = options.Cluster.EffectiveSeedNodes;
        builder
            .WithRemoting(RemoteOptions(options.Cluster, certificate))
            .WithClustering(new ClusterOptions
            {
                Roles = options.EffectiveRoles,
                // No seed-nodes setting: SeedJoin joins through the seeds (and decides when the first seed forms the cluster).
                SplitBrainResolver = SplitBrainResolver,
            })
            .WithCustomSerializer(ProtocolSerializer.Name, [typeof(IProtocolMessage)], system => new ProtocolSerializer(system));

        if (!options.HasRole(OpenChatRoles.Channels))
        {
            builder.WithShardRegionProxy<ChannelRegion>(ChannelsTypeName, OpenChatRoles.Channels, ChannelExtractor(options));
            builder.WithSingletonProxy<ChannelDirectory>(DirectoryName, new ClusterSingletonOptions { Role = OpenChatRoles.Channels });
            builder.WithSingletonProxy<AccountsSingleton>(AccountsName, new ClusterSingletonOptions { Role = OpenChatRoles.Channels });
            builder.WithSingletonProxy<AuditLogSingleton>(AuditLogName, new ClusterSingletonOptions { Role = OpenChatRoles.Channels });
        }

        builder.WithActors((system, registry) => ClusterObserver.Start(system, registry, options.HasRole(OpenChatRoles.Channels)));

        // A node that cannot join through its seeds for this long stops (its liveness check fails, so it is started
        // afresh) rather than wait for ever on a connection to a seed that went bad.
        builder.AddHocon($"akka.cluster.shutdown-after-unsuccessful-join-seed-nodes = {SeedJoin.GiveUpAfter.TotalSeconds:0}s", HoconAddMode.Prepend);
        builder.WithActors((system, _) => SeedJoin.Start(system, seeds, firstSeed));
        return builder;
    }

    /// <summary>
    /// Keep-majority counted over the <c>channels</c> nodes only: the side holding most of the state stays up, however
    /// many gateway or media nodes the other side has. Run 1 or 3 (an odd number of) channels nodes.
    /// </summary>
    public static KeepMajorityOption SplitBrainResolver => new() { Role = OpenChatRoles.Channels };

    /// <summary>
    /// Remoting: plain TCP, or with the cluster certificate TLS with mutual authentication, each side pinning the
    /// other's certificate by fingerprint (hostname checks are off: every node presents the same certificate).
    /// </summary>
    public static RemoteOptions RemoteOptions(ClusterSettings cluster, ClusterCertificate? certificate)
    {
        var remote = new RemoteOptions
        {
            HostName = cluster.Hostname,
            Port = cluster.Port,
            PublicHostName = cluster.PublicHostname,
        };
        if (certificate is not null)
        {
            remote.EnableSsl = true;
            remote.Ssl = new SslOptions
            {
                X509Certificate = certificate.Certificate,
                RequireMutualAuthentication = true,
                ValidateCertificateHostname = false,
                SuppressValidation = false,
                CustomValidator = certificate.Validator(),
            };
        }
        return remote;
    }

    /// <summary>The channel message extractor; the shard count must be the same on every node.</summary>
    public static ChannelMessageExtractor ChannelExtractor(OpenChatOptions options) => new(options.Cluster.ShardCount);
}

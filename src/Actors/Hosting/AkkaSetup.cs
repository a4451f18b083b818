using Akka.Actor;
using Akka.Cluster.Hosting;
using Akka.Cluster.Hosting.SBR;
using Akka.Cluster.Sharding;
using Akka.Hosting;
using Akka.Persistence.Sql.Hosting;
using Akka.Remote.Hosting;
using LinqToDB;
using Microsoft.Data.Sqlite;
using OpenChat.Actors.Channels;
using OpenChat.Actors.Directory;
using OpenChat.Actors.Ids;
using OpenChat.Actors.Placement;
using OpenChat.Actors.Protocol;
using OpenChat.Actors.Protocol.Serialization;
using OpenChat.Actors.Protocol.Sharding;

namespace OpenChat.Actors.Hosting;

/// <summary>The Akka.Hosting wiring every OpenChat process shares, whatever its roles.</summary>
public static class AkkaSetup
{
    public const string SystemName = "openchat";
    public const string ChannelsTypeName = "channels";
    public const string DirectoryName = "channel-directory";

    /// <summary>
    /// Remoting, clustering (roles, seeds, split-brain resolver), the protocol serializer, and the channel
    /// shard region with the directory singleton on <c>channels</c> nodes, or proxies to them elsewhere.
    /// </summary>
    public static AkkaConfigurationBuilder AddOpenChatCluster(this AkkaConfigurationBuilder builder, OpenChatOptions options)
    {
        var seeds = options.Cluster.SeedNodes ?? [];
        builder
            .WithRemoting(new RemoteOptions
            {
                HostName = options.Cluster.Hostname,
                Port = options.Cluster.Port,
                PublicHostName = options.Cluster.PublicHostname,
            })
            .WithClustering(new ClusterOptions
            {
                Roles = options.EffectiveRoles,
                SeedNodes = seeds,
                SplitBrainResolver = new KeepMajorityOption(),
            })
            .WithCustomSerializer(ProtocolSerializer.Name, [typeof(IProtocolMessage)], system => new ProtocolSerializer(system));

        var extractor = new ChannelMessageExtractor(options.Cluster.ShardCount);
        if (options.HasRole(OpenChatRoles.Channels))
        {
            var (connectionString, provider) = ResolvePersistence(options);
            builder.WithSqlPersistence(
                new SqlJournalOptions(true, "sql") { ConnectionString = connectionString, ProviderName = provider, AutoInitialize = true },
                new SqlSnapshotOptions(true, "sql") { ConnectionString = connectionString, ProviderName = provider, AutoInitialize = true });

            builder.WithShardRegion<ChannelRegion>(
                ChannelsTypeName,
                (_, registry, _) => entityId =>
                    ChannelActor.Props(new ChannelId(entityId), registry.Get<ChannelDirectory>(), registry.Get<MixerPlacement>(), options.Channels),
                extractor,
                new ShardOptions
                {
                    Role = OpenChatRoles.Channels,
                    StateStoreMode = StateStoreMode.DData,
                    RememberEntities = false,
                    // Channels passivate themselves when nobody has them open.
                    ShouldPassivateIdleEntities = false,
                });
            builder.WithActors((system, registry) => registry.Register<MixerPlacement>(system.ActorOf(
                MixerPlacementActor.Props(new TwoChoicePlacement(TwoChoicePlacement.DefaultMaxReportAge), TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(3)),
                "mixer-placement")));
            builder.WithSingleton<ChannelDirectory>(
                DirectoryName,
                (_, registry, _) => DirectoryActor.Props(options.Directory, registry.Get<ChannelRegion>()),
                new ClusterSingletonOptions { Role = OpenChatRoles.Channels });
        }
        else
        {
            builder.WithShardRegionProxy<ChannelRegion>(ChannelsTypeName, OpenChatRoles.Channels, extractor);
            builder.WithSingletonProxy<ChannelDirectory>(DirectoryName, new ClusterSingletonOptions { Role = OpenChatRoles.Channels });
        }

        if (seeds.Length == 0)
        {
            // No seeds configured: this node is a cluster of its own (the all-in-one server).
            builder.WithActors((system, _) =>
            {
                var cluster = Akka.Cluster.Cluster.Get(system);
                cluster.Join(cluster.SelfAddress);
            });
        }
        return builder;
    }

    /// <summary>The journal's connection string and Linq2Db provider; prepares the SQLite file when that is the store.</summary>
    public static (string ConnectionString, string Provider) ResolvePersistence(OpenChatOptions options)
    {
        if (options.Persistence.IsPostgres)
            return (options.Persistence.ConnectionString!, ProviderName.PostgreSQL);

        var connectionString = options.Persistence.ConnectionString;
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            var dir = Path.GetFullPath(options.DataDirectory);
            connectionString = $"Data Source={Path.Combine(dir, "openchat.db")}";
        }
        PrepareSqlite(connectionString);
        return (connectionString, ProviderName.SQLiteMS);
    }

    /// <summary>Creates the database's folder and switches the file to write-ahead logging (twice the write rate of the default).</summary>
    public static void PrepareSqlite(string connectionString)
    {
        var builder = new SqliteConnectionStringBuilder(connectionString);
        var file = builder.DataSource;
        if (!string.IsNullOrEmpty(file) && file != ":memory:")
        {
            var folder = Path.GetDirectoryName(Path.GetFullPath(file));
            if (folder is not null) System.IO.Directory.CreateDirectory(folder);
        }
        using var connection = new SqliteConnection(connectionString);
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA journal_mode=WAL;";
        command.ExecuteNonQuery();
    }
}

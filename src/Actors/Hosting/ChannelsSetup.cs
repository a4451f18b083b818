using Akka.Actor;
using Akka.Cluster.Hosting;
using Akka.Pattern;
using Akka.Cluster.Sharding;
using Akka.Hosting;
using Akka.Persistence.Sql.Hosting;
using LinqToDB;
using Microsoft.Data.Sqlite;
using OpenChat.Channels.Accounts;
using OpenChat.Channels.Audit;
using OpenChat.Channels.Directory;
using OpenChat.Channels.Placement;
using OpenChat.Hosting;
using OpenChat.Protocol.Cluster;
using OpenChat.Protocol.Ids;
using OpenChat.Protocol.Media;

namespace OpenChat.Channels.Hosting;

/// <summary>Registers the channels role: the journal, the channel shard region, mixer placement, the directory, accounts and audit log singletons.</summary>
public static class ChannelsSetup
{
    public static AkkaConfigurationBuilder AddChannelsRole(this AkkaConfigurationBuilder builder, OpenChatOptions node, ChannelsRoleOptions options)
    {
        var (connectionString, provider) = ResolvePersistence(options.Persistence, node.DataDirectory);
        // The keys of sealed message texts, in a table of the journal's own database.
        Channels.Keys.MessageKeyStore keys = options.Persistence.IsPostgres
            ? new Channels.Keys.PostgresMessageKeys(connectionString)
            : new Channels.Keys.SqliteMessageKeys(connectionString);
        builder.WithSqlPersistence(
            new SqlJournalOptions(true, "sql") { ConnectionString = connectionString, ProviderName = provider, AutoInitialize = true },
            new SqlSnapshotOptions(true, "sql") { ConnectionString = connectionString, ProviderName = provider, AutoInitialize = true });

        // The store's circuit breakers open after a few failures and by default stay open 30 s (journal) and 60 s
        // (snapshots), then let one call through; a trial that meets a connection broken by the outage opens them
        // again. The channel entities already pace their restarts (ChannelEntity), so the breakers need only shield
        // the store for a moment: the channels are back within seconds of the database.
        builder.AddHocon(
            "akka.persistence.journal.sql.circuit-breaker.reset-timeout = 2s\n" +
            "akka.persistence.snapshot-store.sql.circuit-breaker.reset-timeout = 2s",
            HoconAddMode.Prepend);

        builder.WithShardRegion<ChannelRegion>(
            AkkaSetup.ChannelsTypeName,
            (_, registry, _) => entityId =>
                ChannelEntity.Props(new ChannelId(entityId), registry.Get<ChannelDirectory>(), registry.Get<MixerPlacement>(), options.Channels, keys),
            AkkaSetup.ChannelExtractor(node),
            new ShardOptions
            {
                Role = OpenChatRoles.Channels,
                StateStoreMode = StateStoreMode.DData,
                RememberEntities = false,
                // Channels passivate themselves when nobody has them open.
                ShouldPassivateIdleEntities = false,
            });
        builder.WithActors((system, registry) => registry.Register<MixerPlacement>(system.ActorOf(
            MixerPlacementActor.Props(new TwoChoicePlacement(MediaLoadRules.MaxReportAge),
                options.Channels.MixerCreateTimeout, options.Channels.PlacementNodeWait),
            "mixer-placement")));
        builder.WithSingleton<ChannelDirectory>(
            AkkaSetup.DirectoryName,
            (_, registry, _) => RestartedWhenStopped(DirectoryActor.Props(options.Directory, registry.Get<ChannelRegion>()), "directory"),
            new ClusterSingletonOptions { Role = OpenChatRoles.Channels });
        builder.WithSingleton<AccountsSingleton>(
            AkkaSetup.AccountsName,
            (_, _, _) => RestartedWhenStopped(AccountsActor.Props(options.Auth), "accounts"),
            new ClusterSingletonOptions { Role = OpenChatRoles.Channels });
        builder.WithSingleton<AuditLogSingleton>(
            AkkaSetup.AuditLogName,
            (_, _, _) => RestartedWhenStopped(AuditLogActor.Props(options.Audit), "audit-log"),
            new ClusterSingletonOptions { Role = OpenChatRoles.Channels });
        return builder;
    }

    /// <summary>
    /// A singleton's event-sourced actor behind a backoff supervisor: when its recovery fails (the database down or
    /// slow to replay) it stops, and is started again after 0.5 s, the pause doubling up to 10 s, instead of staying
    /// down until the node restarts. Messages to the singleton reach it through the supervisor, sender kept.
    /// </summary>
    public static Props RestartedWhenStopped(Props child, string name) =>
        BackoffSupervisor.Props(Backoff.OnStop(child, name, TimeSpan.FromMilliseconds(500), TimeSpan.FromSeconds(10), 0.2, maxNrOfRetries: -1));

    /// <summary>The journal's connection string and Linq2Db provider; prepares the SQLite file when that is the store.</summary>
    public static (string ConnectionString, string Provider) ResolvePersistence(PersistenceSettings persistence, string dataDirectory)
    {
        if (persistence.IsPostgres)
            return (persistence.ConnectionString!, ProviderName.PostgreSQL);

        var connectionString = persistence.ConnectionString;
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            var dir = Path.GetFullPath(dataDirectory);
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

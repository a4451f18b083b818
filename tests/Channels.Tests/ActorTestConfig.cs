using System.Collections.Immutable;
using Akka.Actor;
using Akka.Actor.Setup;
using Akka.Configuration;
using Akka.Persistence.Sql.Hosting;
using Akka.Serialization;
using LinqToDB;
using OpenChat.Channels.Hosting;
using OpenChat.Protocol;
using OpenChat.Protocol.Serialization;

namespace OpenChat.Channels.Tests;

/// <summary>An actor system set up as a channels node: a real SQLite journal in a temporary file and the protocol serializer.</summary>
public static class ActorTestConfig
{
    public static string NewDatabase()
    {
        var dir = Path.Combine(Path.GetTempPath(), "openchat-tests", Guid.NewGuid().ToString("N"));
        System.IO.Directory.CreateDirectory(dir);
        return Path.Combine(dir, "journal.db");
    }

    // serialize-messages cannot be on: Akka.Persistence.Sql sends itself messages no serializer can handle.
    public static ActorSystemSetup Setup(string databaseFile, bool serializeMessages = false)
    {
        var connectionString = $"Data Source={databaseFile}";
        ChannelsSetup.PrepareSqlite(connectionString);
        var journal = new SqlJournalOptions(true, "sql") { ConnectionString = connectionString, ProviderName = ProviderName.SQLiteMS, AutoInitialize = true };
        var snapshots = new SqlSnapshotOptions(true, "sql") { ConnectionString = connectionString, ProviderName = ProviderName.SQLiteMS, AutoInitialize = true };
        var config = ConfigurationFactory.ParseString($$"""
            akka.loglevel = INFO
            # The first write creates the SQLite tables; on a loaded two-core machine that can take seconds.
            akka.test.single-expect-default = 15s
            akka.actor.serialize-messages = {{(serializeMessages ? "on" : "off")}}
            akka.persistence.journal.plugin = "akka.persistence.journal.sql"
            akka.persistence.snapshot-store.plugin = "akka.persistence.snapshot-store.sql"
            """)
            .WithFallback(journal.ToConfig())
            .WithFallback(snapshots.ToConfig())
            .WithFallback(journal.DefaultConfig)
            .WithFallback(journal.DefaultQueryConfig)
            .WithFallback(snapshots.DefaultConfig);

        var serialization = SerializationSetup.Create(system => ImmutableHashSet.Create(
            SerializerDetails.Create(ProtocolSerializer.Name, new ProtocolSerializer(system), ImmutableHashSet.Create(typeof(IProtocolMessage)))));
        return BootstrapSetup.Create().WithConfig(config).And(serialization);
    }
}

namespace OpenChat.Channels.Audit;

/// <summary>The audit log singleton's settings, bound from <c>OpenChat:Audit</c>.</summary>
public sealed class AuditLogOptions
{
    /// <summary>
    /// How many of the newest entries the singleton keeps in memory (and in its snapshots); older pages are read from
    /// the journal. Nothing is ever removed from the journal.
    /// </summary>
    public int RecentCapacity { get; set; } = 2000;

    /// <summary>A snapshot is taken every this many entries, so a restart replays at most this many events.</summary>
    public int SnapshotEvery { get; set; } = 200;

    /// <summary>How many events one journal read takes when a query goes past the entries kept in memory.</summary>
    public int JournalChunk { get; set; } = 500;

    /// <summary>Queries reading the journal at the same time; more are refused as busy (the reader may try again).</summary>
    public int MaxJournalReads { get; set; } = 4;

    public string ReadJournalPluginId { get; set; } = "akka.persistence.query.journal.sql";

    public void Validate()
    {
        if (RecentCapacity is < 100 or > 1_000_000) throw new ArgumentException("OpenChat:Audit:RecentCapacity must be between 100 and 1000000.");
        if (SnapshotEvery < 1 || SnapshotEvery > RecentCapacity)
            throw new ArgumentException("OpenChat:Audit:SnapshotEvery must be between 1 and OpenChat:Audit:RecentCapacity.");
        if (JournalChunk is < 10 or > 10_000) throw new ArgumentException("OpenChat:Audit:JournalChunk must be between 10 and 10000.");
        if (MaxJournalReads < 1) throw new ArgumentException("OpenChat:Audit:MaxJournalReads must be at least 1.");
    }
}

using OpenChat.Protocol.Audit;

namespace OpenChat.Channels.Audit;

/// <summary>
/// The audit log's rules, without an actor: which records are stored, the newest entries kept in memory (with their
/// senders' keys, so a retried record is stored once), and where a page of a query comes from. The actor persists,
/// answers and reads the journal as decided.
/// </summary>
public sealed class AuditLogState(int capacity)
{
    private readonly Queue<AuditSnapshotEntry> _recent = new(capacity);
    private readonly Dictionary<string, long> _keys = new(StringComparer.Ordinal);

    /// <summary>The id of the newest entry (its sequence number); 0 when there is none.</summary>
    public long LastId { get; private set; }

    public int RecentCount => _recent.Count;

    /// <summary>What becomes of a record: refused, already stored under its key, or to be stored as the event.</summary>
    public RecordDecision Record(RecordAudit record)
    {
        if (record.Key is not null && _keys.TryGetValue(record.Key, out var stored)) return new RecordDecision.Stored(stored);
        if (AuditRules.Bounded(record, out var problem) is not { } bounded) return new RecordDecision.Refuse(problem);
        return new RecordDecision.Store(new AuditEntryStored(bounded.Key, bounded.At, bounded.Actor, bounded.Action, bounded.Target, bounded.Reason, bounded.Detail));
    }

    /// <summary>Applies a stored entry (on recovery or once written): the newest, with its sequence number as id.</summary>
    public AuditEntry Apply(long sequenceNr, AuditEntryStored stored)
    {
        var entry = stored.ToEntry(sequenceNr);
        Add(new AuditSnapshotEntry(stored.Key, entry));
        LastId = sequenceNr;
        return entry;
    }

    public void Restore(AuditLogSnapshot snapshot, long sequenceNr)
    {
        _recent.Clear();
        _keys.Clear();
        foreach (var e in snapshot.Recent.OrderBy(e => e.Entry.Id)) Add(e);
        LastId = sequenceNr;
    }

    public AuditLogSnapshot Snapshot() => new(_recent.ToList());

    /// <summary>
    /// The page from memory when the entries kept there answer it; otherwise what memory gave, and where the journal
    /// read must go on (every entry with an id up to <see cref="QueryDecision.ReadJournal.To"/>).
    /// </summary>
    public QueryDecision Query(QueryAudit query)
    {
        if (query.Limit is < 1 or > QueryAudit.MaxLimit) return new QueryDecision.Refuse($"A page holds 1 to {QueryAudit.MaxLimit} entries.");
        if (query.Before is < 1) return new QueryDecision.Refuse("The cursor must be an entry id.");
        var to = Math.Min(query.Before is { } before ? before - 1 : LastId, LastId);
        var found = new List<AuditEntry>();
        // Newest first: the queue holds oldest first, so walk it backwards through a copy only as far as needed.
        var recent = _recent.ToArray();
        var oldestHeld = recent.Length > 0 ? recent[0].Entry.Id : LastId + 1;
        for (var i = recent.Length - 1; i >= 0 && found.Count <= query.Limit; i--)
        {
            var entry = recent[i].Entry;
            if (entry.Id <= to && query.Filter.Matches(entry)) found.Add(entry);
        }
        if (found.Count > query.Limit) return new QueryDecision.Serve(Page(found, query.Limit));
        var journalTo = Math.Min(to, oldestHeld - 1);
        return journalTo < 1 ? new QueryDecision.Serve(Page(found, query.Limit)) : new QueryDecision.ReadJournal(found, journalTo);
    }

    /// <summary>At most <paramref name="limit"/> of <paramref name="found"/> (newest first), more existing when there were more.</summary>
    public static AuditPage Page(List<AuditEntry> found, int limit) =>
        found.Count > limit ? new AuditPage(found.GetRange(0, limit), true) : new AuditPage(found, false);

    private void Add(AuditSnapshotEntry e)
    {
        if (_recent.Count == capacity && _recent.Dequeue() is var dropped) _keys.Remove(dropped.Key);
        _recent.Enqueue(e);
        _keys[e.Key] = e.Entry.Id;
    }
}

public abstract record RecordDecision
{
    private RecordDecision()
    {
    }

    public sealed record Refuse(string Reason) : RecordDecision;

    public sealed record Stored(long Id) : RecordDecision;

    public sealed record Store(AuditEntryStored Event) : RecordDecision;
}

public abstract record QueryDecision
{
    private QueryDecision()
    {
    }

    public sealed record Refuse(string Reason) : QueryDecision;

    public sealed record Serve(AuditPage Page) : QueryDecision;

    /// <summary>Memory gave <paramref name="Found"/> (newest first); the rest comes from entries up to <paramref name="To"/> in the journal.</summary>
    public sealed record ReadJournal(List<AuditEntry> Found, long To) : QueryDecision;
}

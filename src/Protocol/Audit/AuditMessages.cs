namespace OpenChat.Protocol.Audit;

// The audit log singleton (channels role, persistence id "audit-log") keeps every moderation and administration
// action: who did what to whom, when and why. Entries never change once stored; their id is their place in the
// journal, so newer entries have larger ids.

/// <summary>Who did it: a user id (or <c>admin-key</c>) and the name shown at the time.</summary>
public sealed record AuditActor(string Id, string Name);

/// <summary>What it was done to: <c>member</c>, <c>channel</c>, <c>role</c>, <c>message</c>, <c>invite</c> or <c>server</c>, its id and name at the time.</summary>
public sealed record AuditSubject(string Kind, string Id, string? Name);

/// <summary>One recorded action, as readers see it.</summary>
public sealed record AuditEntry(long Id, DateTimeOffset At, AuditActor Actor, string Action, AuditSubject Target, string? Reason, string? Detail);

/// <summary>
/// Records an action that took effect at <paramref name="At"/>. <paramref name="Key"/> is the sender's own id for it:
/// a retry with the same key is answered with the entry already stored. Answer: <see cref="AuditRecorded"/> or a rejection.
/// </summary>
public sealed record RecordAudit(string Key, DateTimeOffset At, AuditActor Actor, string Action, AuditSubject Target, string? Reason, string? Detail)
    : IProtocolMessage;

public sealed record AuditRecorded(string Key, long Id) : IProtocolMessage;

/// <summary>
/// Which entries a query wants, each part optional: <paramref name="Action"/> an action (<c>member.kick</c>) or its
/// kind (<c>member</c>: every <c>member.*</c>); <paramref name="Actor"/> and <paramref name="Target"/> ids; and
/// <paramref name="Member"/>, an id or part of a name, matched against the actor and the target alike.
/// </summary>
public sealed record AuditFilter(string? Action, string? Actor, string? Target, string? Member)
{
    public static readonly AuditFilter None = new(null, null, null, null);

    public bool Matches(AuditEntry e) =>
        (Action is null || e.Action == Action || e.Action.Length > Action.Length && e.Action.StartsWith(Action, StringComparison.Ordinal) && e.Action[Action.Length] == '.')
        && (Actor is null || e.Actor.Id == Actor)
        && (Target is null || e.Target.Id == Target)
        && (Member is null || IsMember(e.Actor.Id, e.Actor.Name) || IsMember(e.Target.Id, e.Target.Name));

    private bool IsMember(string id, string? name) =>
        id == Member || name is not null && name.Contains(Member!, StringComparison.OrdinalIgnoreCase);
}

/// <summary>Up to <paramref name="Limit"/> matching entries older than entry <paramref name="Before"/> (or the newest), newest first. Answer: <see cref="AuditPage"/>.</summary>
public sealed record QueryAudit(AuditFilter Filter, long? Before, int Limit) : IProtocolMessage
{
    public const int MaxLimit = 100;
    public const int DefaultLimit = 50;
}

/// <summary>A page of entries, newest first; <paramref name="HasMore"/>: older matching entries may exist.</summary>
public sealed record AuditPage(IReadOnlyList<AuditEntry> Entries, bool HasMore) : IProtocolMessage;

/// <summary>Journal event: an entry was recorded (its id is the event's sequence number). Never rename it.</summary>
public sealed record AuditEntryStored(string Key, DateTimeOffset At, AuditActor Actor, string Action, AuditSubject Target, string? Reason, string? Detail)
    : IProtocolMessage
{
    public AuditEntry ToEntry(long id) => new(id, At, Actor, Action, Target, Reason, Detail);
}

/// <summary>An entry as snapshots keep it: with the sender's key, so a retry after a restart is still recognised.</summary>
public sealed record AuditSnapshotEntry(string Key, AuditEntry Entry);

/// <summary>Snapshot of the audit log: its newest entries, oldest first.</summary>
public sealed record AuditLogSnapshot(IReadOnlyList<AuditSnapshotEntry> Recent) : IProtocolMessage;

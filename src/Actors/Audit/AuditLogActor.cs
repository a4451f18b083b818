using Akka.Actor;
using Akka.Event;
using Akka.Persistence;
using Akka.Persistence.Query;
using Akka.Streams;
using Akka.Streams.Dsl;
using OpenChat.Protocol;
using OpenChat.Protocol.Audit;
using OpenChat.Protocol.Commands;

namespace OpenChat.Channels.Audit;

/// <summary>
/// The audit log (a cluster singleton, event-sourced): every moderation and administration action, stored once and
/// never changed. The newest entries are kept in memory and in snapshots (<see cref="AuditLogOptions.RecentCapacity"/>);
/// a query reaching past them reads on in the journal, a chunk at a time, without holding the mailbox.
/// </summary>
public sealed class AuditLogActor : ReceivePersistentActor
{
    public const string Id = "audit-log";

    private readonly AuditLogOptions _options;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly AuditLogState _state;
    private IMaterializer? _materializer;
    private int _journalReads;

    private sealed record JournalReadDone(IActorRef ReplyTo, object Answer);

    public AuditLogActor(AuditLogOptions options)
    {
        _options = options;
        _state = new AuditLogState(options.RecentCapacity);

        Recover<SnapshotOffer>(offer =>
        {
            if (offer.Snapshot is AuditLogSnapshot s) _state.Restore(s, offer.Metadata.SequenceNr);
        });
        Recover<AuditEntryStored>(e => _state.Apply(LastSequenceNr, e));
        Recover<RecoveryCompleted>(_ => _log.Info("Audit log loaded: {0} entries, {1} in memory", _state.LastId, _state.RecentCount));

        Command<RecordAudit>(Record);
        Command<QueryAudit>(Query);
        Command<JournalReadDone>(done =>
        {
            _journalReads--;
            done.ReplyTo.Tell(done.Answer);
        });
        Command<SaveSnapshotSuccess>(s => DeleteSnapshots(new SnapshotSelectionCriteria(s.Metadata.SequenceNr - 1)));
        Command<SaveSnapshotFailure>(f => _log.Warning("Audit log snapshot failed: {0}", f.Cause.Message));
        Command<DeleteSnapshotsSuccess>(_ => { });
        Command<DeleteSnapshotsFailure>(f => _log.Warning("Older audit log snapshots could not be deleted: {0}", f.Cause.Message));
    }

    public override string PersistenceId => Id;

    public static Props Props(AuditLogOptions options) => Akka.Actor.Props.Create(() => new AuditLogActor(options));

    private IMaterializer Materializer => _materializer ??= Context.Materializer();

    private void Record(RecordAudit record)
    {
        switch (_state.Record(record))
        {
            case RecordDecision.Refuse refuse:
                _log.Warning("Audit record {0} refused: {1}", record.Action, refuse.Reason);
                Sender.Tell(new CommandRejected(ErrorCode.InvalidArgument, refuse.Reason));
                break;
            case RecordDecision.Stored stored:
                Sender.Tell(new AuditRecorded(record.Key, stored.Id));
                break;
            case RecordDecision.Store store:
                var sender = Sender;
                Persist(store.Event, e =>
                {
                    var entry = _state.Apply(LastSequenceNr, e);
                    sender.Tell(new AuditRecorded(e.Key, entry.Id));
                    if (LastSequenceNr % _options.SnapshotEvery == 0) SaveSnapshot(_state.Snapshot());
                });
                break;
        }
    }

    private void Query(QueryAudit query)
    {
        switch (_state.Query(query))
        {
            case QueryDecision.Refuse refuse:
                Sender.Tell(new CommandRejected(ErrorCode.InvalidArgument, refuse.Reason));
                break;
            case QueryDecision.Serve serve:
                Sender.Tell(serve.Page);
                break;
            case QueryDecision.ReadJournal read:
                if (_journalReads >= _options.MaxJournalReads)
                {
                    Sender.Tell(new CommandRejected(ErrorCode.RateLimited, "The audit log is busy reading older entries; try again in a moment."));
                    return;
                }
                _journalReads++;
                var replyTo = Sender;
                ReadOlder(read.Found, read.To, query)
                    .PipeTo(Self,
                        success: page => new JournalReadDone(replyTo, page),
                        failure: e => new JournalReadDone(replyTo, new CommandRejected(ErrorCode.Unavailable, "Older audit entries could not be read: " + e.Message)));
                break;
        }
    }

    /// <summary>
    /// Completes a page from the journal: reads entries <paramref name="to"/> and below a chunk at a time, newest chunk
    /// first, until the page (and one more, to know there are more) is full or the journal's start is reached.
    /// </summary>
    private async Task<AuditPage> ReadOlder(List<AuditEntry> found, long to, QueryAudit query)
    {
        var journal = PersistenceQuery.Get(Context.System).ReadJournalFor<ICurrentEventsByPersistenceIdQuery>(_options.ReadJournalPluginId);
        var materializer = Materializer;
        var chunk = _options.JournalChunk;
        while (to >= 1 && found.Count <= query.Limit)
        {
            var from = Math.Max(1, to - chunk + 1);
            var entries = await journal.CurrentEventsByPersistenceId(Id, from, to)
                .Where(e => e.Event is AuditEntryStored)
                .Select(e => ((AuditEntryStored)e.Event).ToEntry(e.SequenceNr))
                .RunWith(Sink.Seq<AuditEntry>(), materializer);
            for (var i = entries.Count - 1; i >= 0 && found.Count <= query.Limit; i--)
            {
                if (query.Filter.Matches(entries[i])) found.Add(entries[i]);
            }
            to = from - 1;
        }
        return AuditLogState.Page(found, query.Limit);
    }
}

using Akka.Actor;
using Akka.Event;
using Akka.Persistence.Query;
using Akka.Streams.Dsl;
using OpenChat.Channels.Keys;
using OpenChat.Protocol;
using OpenChat.Protocol.Commands;
using OpenChat.Protocol.Events;
using OpenChat.Protocol.Ids;
using OpenChat.Protocol.Queries;

namespace OpenChat.Channels;

/// <summary>
/// The text side of a channel: posts, replies, edits, deletes, typing and history, as <see cref="ChannelText"/>
/// decides them. A post's text is sealed under a fresh key, written to the key store before the event is persisted;
/// an edit is sealed under its message's key; a delete destroys the key once its event is stored. Every stored event
/// is pushed to the subscribers in journal order.
/// </summary>
public sealed partial class ChannelActor
{
    /// <summary>How often one user's typing is passed on in this channel.</summary>
    public static readonly TimeSpan TypingInterval = TimeSpan.FromSeconds(2);

    private readonly Dictionary<UserId, DateTimeOffset> _typing = new();

    /// <summary>A post whose key is stored: its event (sealed) is persisted now.</summary>
    private sealed record KeyWritten(MessageStored Event, string Text, byte[] Key);

    private sealed record KeyWriteFailed(MessageStored Event, string Reason);

    /// <summary>A command about a message older than memory, with that message's stored event and key as read (null: no live message).</summary>
    private sealed record Looked(object Command, IActorRef ReplyTo, MessageStored? Stored, byte[]? Key);

    /// <summary>A post whose reply target was checked in the journal.</summary>
    private sealed record CheckedPost(PostMessage Post);

    /// <summary>Messages read from the journal for a history page or a repeat, to be read in the actor.</summary>
    private sealed record JournalRead(IActorRef ReplyTo, IReadOnlyList<(long Id, MessageStored Stored)> Messages, IReadOnlyDictionary<string, byte[]> Keys,
        IReadOnlyDictionary<long, MessageEditStored> Edits, bool HasMore, bool Repeat);

    private void TextCommands()
    {
        Command<PostMessage>(post => Post(post, Sender));
        Command<CheckedPost>(c => Post(c.Post, Sender, replyChecked: true));
        Command<KeyWritten>(PersistPost);
        Command<KeyWriteFailed>(failed =>
        {
            _log.Error("Channel {0}: a message key could not be stored: {1}", _id, failed.Reason);
            _text.WriteFailed(failed.Event.Author, failed.Event.Nonce!);
            if (_awaitingWrite.Remove((failed.Event.Author, failed.Event.Nonce!), out var waiting))
                foreach (var replyTo in waiting) replyTo.Tell(new CommandRejected(ErrorCode.Unavailable, "The message was not stored; try again."));
        });
        Command<EditMessage>(edit => Edit(edit, Sender, null));
        Command<DeleteMessage>(delete => Delete(delete, Sender, null));
        Command<Looked>(looked =>
        {
            switch (looked.Command)
            {
                case EditMessage edit:
                    Edit(edit, looked.ReplyTo, looked);
                    break;
                case DeleteMessage delete:
                    Delete(delete, looked.ReplyTo, looked);
                    break;
                case PostMessage post when looked.Stored is null || _text.IsDeleted(post.ReplyTo!.Value):
                    looked.ReplyTo.Tell(new CommandRejected(ErrorCode.UnknownMessage, $"Message {post.ReplyTo} does not exist in this channel (or was deleted)."));
                    break;
                case PostMessage post:
                    Self.Tell(new CheckedPost(post), looked.ReplyTo);
                    break;
            }
        });
        Command<JournalRead>(read =>
        {
            var messages = read.Messages.Select(m => _text.Read(m.Id, m.Stored, read.Edits.GetValueOrDefault(m.Id),
                m.Stored.KeyId is { } keyId ? read.Keys.GetValueOrDefault(keyId) : null)).ToList();
            if (read.Repeat)
                read.ReplyTo.Tell(messages.Count == 1
                    ? new PostAccepted(messages[0])
                    : new CommandRejected(ErrorCode.Unavailable, "The stored message could not be read; try again."));
            else
                read.ReplyTo.Tell(new HistoryPage(_id, messages, read.HasMore));
        });
        Command<SendTyping>(typing =>
        {
            if (_info!.Kind != ChannelKind.Text) return;
            var now = DateTimeOffset.UtcNow;
            if (_typing.TryGetValue(typing.User, out var last) && now - last < TypingInterval) return;
            if (_typing.Count > 1000)
                foreach (var (user, at) in _typing) if (now - at >= TypingInterval) _typing.Remove(user);
            _typing[typing.User] = now;
            Broadcast(new UserTyping(_id, typing.User, typing.DisplayName));
        });
        Command<GetHistory>(History);
    }

    private void Post(PostMessage post, IActorRef sender, bool replyChecked = false)
    {
        if (!replyChecked && post.ReplyTo is { } replyTo && _text.Find(replyTo) == MessageState.Older)
        {
            LookUp(post, replyTo, sender, withKey: false);
            return;
        }
        switch (_text.Post(post, _info!, DateTimeOffset.UtcNow))
        {
            case PostDecision.Refuse refuse:
                sender.Tell(refuse.Rejection);
                break;
            case PostDecision.Repeat repeat:
                AnswerRepeat(repeat.MessageId, sender);
                break;
            case PostDecision.Writing writing:
                var key = (writing.Author, writing.Nonce);
                if (!_awaitingWrite.TryGetValue(key, out var waiting)) _awaitingWrite[key] = waiting = [];
                waiting.Add(sender);
                break;
            case PostDecision.Store store:
                _awaitingWrite[(post.Author, post.Nonce)] = [sender];
                if (_keys is null)
                {
                    PersistPost(new KeyWritten(store.Event, store.Event.Text, null!));
                    break;
                }
                var keyId = MessageSealing.NewKeyId();
                var messageKey = MessageSealing.NewKey();
                var sealedEvent = store.Event with { Text = "", KeyId = keyId, Sealed = MessageSealing.Seal(messageKey, keyId, store.Event.Text) };
                // The key is stored first: a message is never in the journal without its key. The store's
                // acknowledgements keep their order, so posts are persisted in the order they were accepted.
                _keys.AddAsync(keyId, messageKey).PipeTo(Self,
                    success: () => new KeyWritten(sealedEvent, store.Event.Text, messageKey),
                    failure: e => new KeyWriteFailed(sealedEvent, e.Message));
                break;
        }
    }

    private void PersistPost(KeyWritten written)
    {
        // PersistAsync keeps order and acknowledges only after the write, but lets the journal batch
        // a burst of posts into one round trip.
        var writeStarted = System.Diagnostics.Stopwatch.GetTimestamp();
        PersistAsync(written.Event, stored =>
        {
            ChannelMetrics.Stored(writeStarted);
            var message = _text.Apply(LastSequenceNr, stored, written.Text, written.Key)!;
            var accepted = new PostAccepted(message);
            if (_awaitingWrite.Remove((stored.Author, stored.Nonce!), out var waiting))
            {
                foreach (var replyTo in waiting) replyTo.Tell(accepted);
            }
            Broadcast(new MessagePosted(message));
            SnapshotIfDue();
        });
    }

    private void SnapshotIfDue()
    {
        if (_text.SnapshotDue(LastSequenceNr)) SaveSnapshot(_text.Snapshot());
    }

    private void Edit(EditMessage edit, IActorRef sender, Looked? looked)
    {
        if (_info!.Kind != ChannelKind.Text)
        {
            sender.Tell(new CommandRejected(ErrorCode.WrongChannelKind, $"'{_info.Name}' has no text messages."));
            return;
        }
        if (!Target(edit, edit.MessageId, sender, looked, withKey: true, out var stored, out var key)) return;
        switch (_text.Edit(edit, stored!, DateTimeOffset.UtcNow))
        {
            case EditDecision.Refuse refuse:
                sender.Tell(refuse.Rejection);
                break;
            case EditDecision.Store store:
                var text = store.Event.Text;
                var @event = store.Event;
                if (stored!.KeyId is { } keyId)
                {
                    if (key is null)
                    {
                        sender.Tell(new CommandRejected(ErrorCode.Unavailable, "The message's key could not be read; try again."));
                        return;
                    }
                    @event = @event with { Text = "", Sealed = MessageSealing.Seal(key, keyId, text) };
                }
                PersistAsync(@event, persisted =>
                {
                    var message = _text.ApplyEdit(LastSequenceNr, persisted, text)
                                  ?? _text.Read(persisted.MessageId, stored, persisted with { Sealed = null, Text = text }, null);
                    sender.Tell(new EditAccepted(message));
                    Broadcast(new MessageEdited(message, LastSequenceNr));
                    SnapshotIfDue();
                });
                break;
        }
    }

    private void Delete(DeleteMessage delete, IActorRef sender, Looked? looked)
    {
        if (_text.Find(delete.MessageId) == MessageState.Deleted)
        {
            sender.Tell(new DeleteDone(_id, delete.MessageId, null, false));
            return;
        }
        if (!Target(delete, delete.MessageId, sender, looked, withKey: false, out var stored, out _)) return;
        if (stored!.Author != delete.By && !delete.Moderator)
        {
            sender.Tell(new CommandRejected(ErrorCode.Forbidden, "Only its author, or someone who may manage messages, can delete a message."));
            return;
        }
        PersistAsync(new MessageDeleteStored(delete.MessageId, delete.By, DateTimeOffset.UtcNow, stored.KeyId), persisted =>
        {
            var deleted = _text.ApplyDelete(LastSequenceNr, persisted);
            if (deleted) Broadcast(new MessageDeleted(_id, persisted.MessageId, LastSequenceNr));
            SnapshotIfDue();
            var done = new DeleteDone(_id, persisted.MessageId, stored.Author, deleted);
            if (!deleted || persisted.KeyId is null || _keys is null)
            {
                sender.Tell(done);
                return;
            }
            // Answered once the key is destroyed: from then on nothing the server keeps yields the text.
            var channel = _id;
            var log = _log;
            DestroyKey(_keys, persisted.KeyId).PipeTo(sender, success: () => done, failure: e =>
            {
                log.Error(e, "Channel {0}: the key of deleted message {1} could not be destroyed", channel, persisted.MessageId);
                return done;
            });
        });
    }

    private static async Task DestroyKey(MessageKeyStore keys, string keyId)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await keys.RemoveAsync(keyId);
                return;
            }
            catch (Exception) when (attempt < 5)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(200 * attempt));
            }
        }
    }

    /// <summary>
    /// The stored event (and key) of the live message a command is about: from memory, from a lookup done, or else a
    /// lookup in the journal is started (the command comes back as <see cref="Looked"/>) and this returns false.
    /// </summary>
    private bool Target(object command, long id, IActorRef sender, Looked? looked, bool withKey, out MessageStored? stored, out byte[]? key)
    {
        stored = null;
        key = null;
        switch (_text.Find(id))
        {
            case MessageState.Live:
                var held = _text.Held(id)!;
                stored = held.Stored;
                key = held.Key;
                if (withKey && key is null && stored.KeyId is not null && looked is null)
                {
                    LookUp(command, id, sender, withKey);
                    return false;
                }
                key ??= looked?.Key;
                return true;
            case MessageState.Older when looked is null:
                LookUp(command, id, sender, withKey);
                return false;
            case MessageState.Older when looked.Stored is not null:
                stored = looked.Stored;
                key = looked.Key;
                return true;
            default:
                sender.Tell(new CommandRejected(ErrorCode.UnknownMessage, $"Message {id} does not exist in this channel (or was deleted)."));
                return false;
        }
    }

    private void LookUp(object command, long id, IActorRef sender, bool withKey)
    {
        var keys = _keys;
        ReadStored(id, id).ContinueWith(async read =>
        {
            var stored = read.Result.Count == 1 ? read.Result[0].Stored : null;
            byte[]? key = null;
            if (withKey && stored?.KeyId is { } keyId && keys is not null) key = (await keys.GetAsync([keyId])).GetValueOrDefault(keyId);
            return new Looked(command, sender, stored, key);
        }).Unwrap().PipeTo(Self, failure: e => new Looked(command, sender, null, null));
    }

    /// <summary>Answers a retried post with the message its nonce stored, from memory or else from the journal.</summary>
    private void AnswerRepeat(long messageId, IActorRef replyTo)
    {
        if (_text.Recent(messageId) is { } message)
        {
            replyTo.Tell(new PostAccepted(message));
            return;
        }
        var keys = _keys;
        var edits = new Dictionary<long, MessageEditStored>();
        ReadStored(messageId, messageId).ContinueWith(async read =>
        {
            var found = read.Result;
            return new JournalRead(replyTo, found, await KeysFor(keys, found), edits, false, true);
        }).Unwrap().PipeTo(Self, failure: e => new JournalRead(replyTo, [], new Dictionary<string, byte[]>(), edits, false, true));
    }

    private static async Task<IReadOnlyDictionary<string, byte[]>> KeysFor(MessageKeyStore? keys, IReadOnlyList<(long Id, MessageStored Stored)> messages)
    {
        var ids = messages.Select(m => m.Stored.KeyId).OfType<string>().ToList();
        return keys is null || ids.Count == 0 ? new Dictionary<string, byte[]>() : await keys.GetAsync(ids);
    }

    /// <summary>The stored messages among the journal's events <paramref name="from"/> to <paramref name="to"/>, with their ids.</summary>
    private Task<IReadOnlyList<(long Id, MessageStored Stored)>> ReadStored(long from, long to) => JournalReader()(from, to);

    /// <summary>A reader of stored messages by id range, safe to call off the actor's thread.</summary>
    private Func<long, long, Task<IReadOnlyList<(long Id, MessageStored Stored)>>> JournalReader()
    {
        var journal = PersistenceQuery.Get(Context.System)
            .ReadJournalFor<ICurrentEventsByPersistenceIdQuery>(_options.ReadJournalPluginId);
        var materializer = Materializer;
        var persistenceId = PersistenceId;
        return async (from, to) =>
        {
            var events = await journal.CurrentEventsByPersistenceId(persistenceId, from, to)
                .Where(e => e.Event is MessageStored)
                .Select(e => (e.SequenceNr, (MessageStored)e.Event))
                .RunWith(Sink.Seq<(long, MessageStored)>(), materializer);
            return events.ToList();
        };
    }

    private void History(GetHistory query)
    {
        switch (_text.History(query, _info!))
        {
            case HistoryDecision.Refuse refuse:
                Sender.Tell(refuse.Rejection);
                break;
            case HistoryDecision.Serve serve:
                Sender.Tell(serve.Page);
                break;
            case HistoryDecision.ReadJournal read:
                var replyTo = Sender;
                var keys = _keys;
                ReadPageAsync(read, keys, JournalReader()).PipeTo(Self,
                    success: page => new JournalRead(replyTo, page.Messages, page.Keys, read.Edits, page.HasMore, false),
                    failure: e =>
                    {
                        replyTo.Tell(new CommandRejected(ErrorCode.Unavailable, "History could not be read: " + e.Message));
                        return new JournalRead(ActorRefs.Nobody, [], new Dictionary<string, byte[]>(), read.Edits, false, false);
                    });
                break;
        }
    }

    /// <summary>
    /// Reads the journal backwards from <see cref="HistoryDecision.ReadJournal.To"/> in windows until one live message
    /// more than the page is found (or the start): ids are not contiguous, and deleted messages are skipped.
    /// </summary>
    private static async Task<(IReadOnlyList<(long Id, MessageStored Stored)> Messages, IReadOnlyDictionary<string, byte[]> Keys, bool HasMore)> ReadPageAsync(
        HistoryDecision.ReadJournal read, MessageKeyStore? keys, Func<long, long, Task<IReadOnlyList<(long Id, MessageStored Stored)>>> readStored)
    {
        var found = new List<(long Id, MessageStored Stored)>();
        var to = read.To;
        var window = Math.Max(64, read.Limit * 2L);
        while (to >= 1 && found.Count <= read.Limit)
        {
            var from = Math.Max(1, to - window + 1);
            var batch = await readStored(from, to);
            found.InsertRange(0, batch.Where(m => !read.Deleted.Contains(m.Id)));
            to = from - 1;
            window = Math.Min(window * 2, 4096);
        }
        var hasMore = found.Count > read.Limit;
        var page = hasMore ? found.GetRange(found.Count - read.Limit, read.Limit) : found;
        return (page, await KeysFor(keys, page), hasMore);
    }
}

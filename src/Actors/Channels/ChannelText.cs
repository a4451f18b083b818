using System.Text.RegularExpressions;
using OpenChat.Channels.Keys;
using OpenChat.Protocol;
using OpenChat.Protocol.Commands;
using OpenChat.Protocol.Events;
using OpenChat.Protocol.Ids;
using OpenChat.Protocol.Queries;
using OpenChat.Protocol.Text;

namespace OpenChat.Channels;

/// <summary>
/// The text rules of a channel, without an actor: which posts, edits and deletes are stored (as
/// <see cref="MessageStored"/>, <see cref="MessageEditStored"/> and <see cref="MessageDeleteStored"/> events), how
/// stored events build the newest live messages kept in memory, and where a page of history comes from. Message ids
/// are the sequence numbers of their events, so they increase but skip the numbers of edits and deletes. The actor
/// seals, persists, answers and reads the journal as decided; time is passed in.
/// </summary>
public sealed partial class ChannelText(ChannelId channel, ChannelOptions options)
{
    public const int MaxMentions = 20;

    private readonly RecentMessages _recent = new(options.RecentCapacity);
    private readonly PostNonces _nonces = new();

    /// <summary>The latest edit of each edited live message.</summary>
    private readonly Dictionary<long, MessageEditStored> _edits = new();

    private readonly HashSet<long> _deleted = new();

    /// <summary>Display names of the users this channel has seen (authors, subscribers), for mentions.</summary>
    private readonly Dictionary<UserId, string> _names = new();

    /// <summary>When each user's latest posts were accepted, oldest first (at most the budget's count per user).</summary>
    private readonly Dictionary<UserId, Queue<DateTimeOffset>> _postTimes = new();

    /// <summary>The sequence number of the newest stored event (the newest message, edit or delete); 0 when there is none.</summary>
    public long LastMessageId { get; private set; }

    /// <summary>How many stored messages are not deleted.</summary>
    public long LiveCount { get; private set; }

    /// <summary>Live messages older than those held in memory.</summary>
    private long LiveBelowMemory => LiveCount - _recent.Count;

    /// <summary>True while messages in memory wait for their keys (after recovery).</summary>
    public bool NeedsKeys => _recent.All.Any(m => m.Message is null);

    /// <summary>The key ids of the messages in memory that wait for their keys.</summary>
    public IReadOnlyCollection<string> PendingKeyIds => _recent.All.Where(m => m.Message is null && m.Stored.KeyId is not null).Select(m => m.Stored.KeyId!).ToList();

    public void Observe(UserId user, string name) => _names[user] = name;

    public PostDecision Post(PostMessage post, ChannelInfo info, DateTimeOffset now)
    {
        if (info.Kind != ChannelKind.Text)
            return Refuse(ErrorCode.WrongChannelKind, $"'{info.Name}' is a {info.Kind.ToString().ToLowerInvariant()} channel.");
        if (!PostMessage.IsValidNonce(post.Nonce)) return Refuse(ErrorCode.InvalidArgument, PostMessage.NonceRule);
        if (_nonces.TryGetStored(post.Author, post.Nonce, out var storedId)) return new PostDecision.Repeat(storedId);
        if (_nonces.IsWriting(post.Author, post.Nonce)) return new PostDecision.Writing(post.Author, post.Nonce);
        var text = TextRules.NormalizeMessage(post.Text, out var reason);
        if (text is null) return Refuse(ErrorCode.InvalidText, reason);
        var author = TextRules.NormalizeDisplayName(post.AuthorName, out reason);
        if (author is null) return Refuse(ErrorCode.InvalidArgument, reason);
        if (post.ReplyTo is { } replyTo && Find(replyTo) is not (MessageState.Live or MessageState.Older))
            return Refuse(ErrorCode.UnknownMessage, $"Message {replyTo} does not exist in this channel (or was deleted).");
        if (!TakePostBudget(post.Author, now, out var retryAfter))
            return RateLimited(retryAfter);
        _nonces.BeginWrite(post.Author, post.Nonce);
        var mentions = Mentions(text);
        return new PostDecision.Store(new MessageStored(post.Author, author, text, now, post.Nonce, post.ReplyTo, mentions.Count > 0 ? mentions : null));
    }

    /// <summary>Where message <paramref name="id"/> stands: live in memory, deleted, older than memory (maybe a message), or no message.</summary>
    public MessageState Find(long id)
    {
        if (id < 1 || id > LastMessageId) return MessageState.None;
        if (_deleted.Contains(id)) return MessageState.Deleted;
        if (_recent.Find(id) is not null) return MessageState.Live;
        return id < _recent.CoversFrom ? MessageState.Older : MessageState.None;
    }

    /// <summary>True when <paramref name="id"/> was deleted (so a stored message older than memory with it is not live).</summary>
    public bool IsDeleted(long id) => _deleted.Contains(id);

    /// <summary>
    /// Decides an edit of a message whose stored event (and key, when sealed) is known: only its author may, with the
    /// same text rules and budget as a post. The event holds the text in plain; the actor seals it.
    /// </summary>
    public EditDecision Edit(EditMessage edit, MessageStored stored, DateTimeOffset now)
    {
        if (stored.Author != edit.Editor) return new EditDecision.Refuse(Rejection(ErrorCode.Forbidden, "Only its author can edit a message."));
        var text = TextRules.NormalizeMessage(edit.Text, out var reason);
        if (text is null) return new EditDecision.Refuse(Rejection(ErrorCode.InvalidText, reason));
        if (!TakePostBudget(edit.Editor, now, out var retryAfter))
            return new EditDecision.Refuse(((PostDecision.Refuse)RateLimited(retryAfter)).Rejection);
        var mentions = Mentions(text);
        return new EditDecision.Store(new MessageEditStored(edit.MessageId, text, null, now, mentions.Count > 0 ? mentions : null));
    }

    /// <summary>The stored event of live message <paramref name="id"/> in memory, and its key, if held.</summary>
    internal RecentMessage? Held(long id) => _recent.Find(id);

    /// <summary>The <c>&lt;@userId&gt;</c> tokens of a text: at most <see cref="MaxMentions"/> distinct valid user ids, in order.</summary>
    public static IReadOnlyList<UserId> Mentions(string text)
    {
        var found = new List<UserId>();
        foreach (Match match in MentionToken().Matches(text))
        {
            if (!UserId.TryParse(match.Groups[1].Value, out var user) || found.Contains(user)) continue;
            found.Add(user);
            if (found.Count == MaxMentions) break;
        }
        return found;
    }

    [GeneratedRegex("<@([!-;=?-~]{1,64})>")]
    private static partial Regex MentionToken();

    /// <summary>How many users <see cref="_postTimes"/> may track before those with no post in the window are dropped.</summary>
    private int _sweepPostTimesAt = 64;

    private PostDecision RateLimited(TimeSpan retryAfter) =>
        Refuse(ErrorCode.RateLimited,
            $"At most {options.PostsPerUserWindow} messages per {options.PostUserWindow.TotalSeconds:0.#} s in this channel; try again in {Math.Max(1, Math.Ceiling(retryAfter.TotalSeconds)):0} s.");

    private bool TakePostBudget(UserId author, DateTimeOffset now, out TimeSpan retryAfter)
    {
        retryAfter = TimeSpan.Zero;
        if (_postTimes.Count >= _sweepPostTimesAt)
        {
            // A user whose newest post is out of the window has the whole budget again: forgetting them changes nothing.
            foreach (var (user, posts) in _postTimes)
            {
                if (now - posts.Last() >= options.PostUserWindow) _postTimes.Remove(user);
            }
            _sweepPostTimesAt = Math.Max(64, _postTimes.Count * 2);
        }
        if (!_postTimes.TryGetValue(author, out var times)) _postTimes[author] = times = new Queue<DateTimeOffset>();
        while (times.Count > 0 && now - times.Peek() >= options.PostUserWindow) times.Dequeue();
        if (times.Count >= options.PostsPerUserWindow)
        {
            retryAfter = times.Peek() + options.PostUserWindow - now;
            return false;
        }
        times.Enqueue(now);
        return true;
    }

    /// <summary>A write was refused and nothing stored: the nonce is free for a retry.</summary>
    public void WriteFailed(UserId author, string nonce) => _nonces.WriteFailed(author, nonce);

    /// <summary>The live message with id <paramref name="id"/> if it is held in memory (and readable).</summary>
    public ChatMessage? Recent(long id) => _recent.Find(id)?.Message;

    /// <summary>
    /// Applies a stored message (on recovery or once written): it is the newest, with its sequence number as id.
    /// <paramref name="text"/> and <paramref name="key"/> are the plain text and key of a sealed message just written;
    /// on recovery a sealed message stays unread until <see cref="Unseal"/>. Returns the message when it can be read.
    /// </summary>
    public ChatMessage? Apply(long sequenceNr, MessageStored stored, string? text = null, byte[]? key = null)
    {
        LastMessageId = sequenceNr;
        LiveCount++;
        _names[stored.Author] = stored.AuthorName;
        var recent = new RecentMessage(sequenceNr, stored) { Key = key };
        if (stored.KeyId is null) recent.Message = ToMessage(sequenceNr, stored, stored.Text, null);
        else if (text is not null) recent.Message = ToMessage(sequenceNr, stored, text, null);
        _recent.Add(recent);
        _nonces.Stored(stored.Author, stored.Nonce, sequenceNr);
        return recent.Message;
    }

    /// <summary>
    /// Applies an edit: the message, if held in memory, reads as the new text (<paramref name="text"/>, the plain
    /// text of an edit just written; on recovery it is read once the key is loaded). Returns the message as it now reads, if held.
    /// </summary>
    public ChatMessage? ApplyEdit(long sequenceNr, MessageEditStored edit, string? text = null)
    {
        LastMessageId = sequenceNr;
        if (_deleted.Contains(edit.MessageId)) return null;
        _edits[edit.MessageId] = edit;
        if (_recent.Find(edit.MessageId) is not { } recent) return null;
        recent.Edit = edit;
        var plain = edit.Sealed is null ? edit.Text : text;
        recent.Message = plain is null ? null : ToMessage(recent.Id, recent.Stored, plain, edit);
        return recent.Message;
    }

    /// <summary>Applies a delete; false when the message was already deleted.</summary>
    public bool ApplyDelete(long sequenceNr, MessageDeleteStored delete)
    {
        LastMessageId = sequenceNr;
        if (!_deleted.Add(delete.MessageId)) return false;
        _edits.Remove(delete.MessageId);
        _recent.Remove(delete.MessageId);
        LiveCount--;
        return true;
    }

    /// <summary>Reads the sealed messages held in memory with their keys; one whose key is gone reads as unreadable.</summary>
    public void Unseal(IReadOnlyDictionary<string, byte[]> keys)
    {
        foreach (var recent in _recent.All.Where(m => m.Message is null).ToList())
        {
            var key = recent.Stored.KeyId is { } id ? keys.GetValueOrDefault(id) : null;
            recent.Key = key;
            recent.Message = Read(recent.Id, recent.Stored, recent.Edit, key);
        }
    }

    /// <summary>Starts recovery from a snapshot taken at <paramref name="sequenceNr"/>.</summary>
    public void Restore(ChannelStateSnapshot snapshot, long sequenceNr)
    {
        _nonces.Reset(snapshot.Nonces);
        _edits.Clear();
        _deleted.Clear();
        LastMessageId = sequenceNr;
        if (snapshot.Messages is null)
        {
            // A snapshot from before sealing: plain messages, every event a message, none edited or deleted.
            _recent.Reset(snapshot.Recent.Select(m => new RecentMessage(m.Id, new MessageStored(m.Author, m.AuthorName, m.Text, m.SentAt)) { Message = m }),
                snapshot.Recent.Count > 0 ? snapshot.Recent.Min(m => m.Id) : sequenceNr + 1);
            LiveCount = sequenceNr;
            return;
        }
        foreach (var e in snapshot.Edits ?? []) _edits[e.MessageId] = e.Edit;
        foreach (var d in snapshot.Deleted ?? []) _deleted.Add(d);
        _recent.Reset(snapshot.Messages.Select(m =>
        {
            var recent = new RecentMessage(m.Id, m.Stored) { Edit = _edits.GetValueOrDefault(m.Id) };
            if (m.Stored.KeyId is null) recent.Message = Read(m.Id, m.Stored, recent.Edit, null);
            return recent;
        }), snapshot.CoversFrom ?? 1);
        foreach (var m in _recent.All) _names[m.Stored.Author] = m.Stored.AuthorName;
        LiveCount = snapshot.LiveCount ?? _recent.Count;
    }

    /// <summary>A snapshot is due every <see cref="ChannelOptions.SnapshotEvery"/> events, so recovery stays short.</summary>
    public bool SnapshotDue(long sequenceNr) => sequenceNr % options.SnapshotEvery == 0;

    /// <summary>The state to snapshot: sealed events only, no readable text of a sealed message.</summary>
    public ChannelStateSnapshot Snapshot() => new([], _nonces.ToList(),
        _recent.All.Select(m => new SnapshotMessage(m.Id, m.Stored)).ToList(),
        _edits.Select(e => new SnapshotEdit(e.Key, e.Value)).ToList(),
        _deleted.ToList(), _recent.CoversFrom, LiveCount);

    public HistoryDecision History(GetHistory query, ChannelInfo info)
    {
        if (info.Kind != ChannelKind.Text)
            return new HistoryDecision.Refuse(Rejection(ErrorCode.WrongChannelKind, $"'{info.Name}' has no text history."));
        if (query.Limit < 1 || query.Limit > GetHistory.MaxLimit)
            return new HistoryDecision.Refuse(Rejection(ErrorCode.InvalidArgument, $"A history page holds 1 to {GetHistory.MaxLimit} messages."));
        if (query.Before is < 1)
            return new HistoryDecision.Refuse(Rejection(ErrorCode.InvalidArgument, "The cursor must be a message id."));

        var to = Math.Min(query.Before.HasValue ? query.Before.Value - 1 : LastMessageId, LastMessageId);
        if (to < 1) return new HistoryDecision.Serve(new HistoryPage(channel, [], false));
        var held = _recent.All.Where(m => m.Id <= to && m.Message is not null).Select(m => m.Message!).ToList();
        if (held.Count > query.Limit)
            return new HistoryDecision.Serve(new HistoryPage(channel, held.GetRange(held.Count - query.Limit, query.Limit), true));
        if (LiveBelowMemory <= 0)
            return new HistoryDecision.Serve(new HistoryPage(channel, held, false));
        if (held.Count == query.Limit)
            return new HistoryDecision.Serve(new HistoryPage(channel, held, true));
        return new HistoryDecision.ReadJournal(to, query.Limit, _deleted.ToHashSet(), new Dictionary<long, MessageEditStored>(_edits));
    }

    /// <summary>The newest <paramref name="limit"/> messages a new subscriber gets, and whether older ones exist.</summary>
    public (IReadOnlyList<ChatMessage> Recent, bool HasMore) Newest(int limit, ChannelInfo info)
    {
        limit = Math.Clamp(limit, 0, GetHistory.MaxLimit);
        if (info.Kind != ChannelKind.Text || LiveCount == 0) return ([], false);
        var held = _recent.All.Where(m => m.Message is not null).Select(m => m.Message!).ToList();
        var recent = held.Count > limit ? held.GetRange(held.Count - limit, limit) : held;
        return (recent, held.Count > recent.Count || LiveBelowMemory > 0);
    }

    /// <summary>A message as it reads from its stored event and latest edit; a sealed one needs its key (without: unreadable).</summary>
    public ChatMessage Read(long id, MessageStored stored, MessageEditStored? edit, byte[]? key)
    {
        string? text;
        if (edit is not null) text = edit.Sealed is null ? edit.Text : key is null ? null : MessageSealing.Open(key, stored.KeyId!, edit.Sealed);
        else text = stored.KeyId is null ? stored.Text : key is null || stored.Sealed is null ? null : MessageSealing.Open(key, stored.KeyId, stored.Sealed);
        return ToMessage(id, stored, text ?? Unreadable, edit);
    }

    /// <summary>What a message whose key is lost reads as.</summary>
    public const string Unreadable = "(this message can no longer be read)";

    private ChatMessage ToMessage(long id, MessageStored stored, string text, MessageEditStored? edit)
    {
        var mentionIds = edit is not null ? edit.Mentions : stored.Mentions;
        var mentions = mentionIds is { Count: > 0 } ? mentionIds.Select(u => new Mention(u, _names.GetValueOrDefault(u) ?? "unknown")).ToList() : null;
        return new ChatMessage(id, channel, stored.Author, stored.AuthorName, text, stored.SentAt, edit?.EditedAt, stored.ReplyTo, mentions);
    }

    private static PostDecision Refuse(ErrorCode code, string reason) => new PostDecision.Refuse(Rejection(code, reason));

    private static CommandRejected Rejection(ErrorCode code, string reason) => new(code, reason);
}

/// <summary>Where a message stands for a channel.</summary>
public enum MessageState
{
    /// <summary>No message has this id (out of range, or the id of an edit or delete).</summary>
    None,
    /// <summary>Live and held in memory.</summary>
    Live,
    /// <summary>Deleted.</summary>
    Deleted,
    /// <summary>Older than memory and not deleted: a live message if its event is a message.</summary>
    Older,
}

/// <summary>
/// What becomes of a post: refused, stored as the event, answered with the message its nonce already stored
/// (<see cref="Repeat"/>), or answered once the write of the same nonce under way completes (<see cref="Writing"/>).
/// </summary>
public abstract record PostDecision
{
    private PostDecision()
    {
    }

    public sealed record Refuse(CommandRejected Rejection) : PostDecision;

    public sealed record Store(MessageStored Event) : PostDecision;

    public sealed record Repeat(long MessageId) : PostDecision;

    public sealed record Writing(UserId Author, string Nonce) : PostDecision;
}

/// <summary>What becomes of an edit: refused, or stored as the event (its text still plain).</summary>
public abstract record EditDecision
{
    private EditDecision()
    {
    }

    public sealed record Refuse(CommandRejected Rejection) : EditDecision;

    public sealed record Store(MessageEditStored Event) : EditDecision;
}

/// <summary>Where a page of history comes from: refused, served from memory, or read from the journal.</summary>
public abstract record HistoryDecision
{
    private HistoryDecision()
    {
    }

    public sealed record Refuse(CommandRejected Rejection) : HistoryDecision;

    public sealed record Serve(HistoryPage Page) : HistoryDecision;

    /// <summary>
    /// The newest <paramref name="Limit"/> live messages up to id <paramref name="To"/> are read from the journal, newest
    /// first until one more than the page is found; <paramref name="Deleted"/> and <paramref name="Edits"/> are copies
    /// of the channel's, to read them by.
    /// </summary>
    public sealed record ReadJournal(long To, int Limit, IReadOnlySet<long> Deleted, IReadOnlyDictionary<long, MessageEditStored> Edits) : HistoryDecision;
}

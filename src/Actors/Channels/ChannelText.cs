using OpenChat.Protocol;
using OpenChat.Protocol.Commands;
using OpenChat.Protocol.Events;
using OpenChat.Protocol.Ids;
using OpenChat.Protocol.Queries;
using OpenChat.Protocol.Text;

namespace OpenChat.Channels;

/// <summary>
/// The text rules of a channel, without an actor: which posts are stored (a post becomes a
/// <see cref="MessageStored"/> event), how stored events build the newest messages kept in memory, and where a page
/// of history comes from. The actor persists, answers and reads the journal as decided; time is passed in.
/// </summary>
public sealed class ChannelText(ChannelId channel, ChannelOptions options)
{
    private readonly RecentMessages _recent = new(options.RecentCapacity);
    private readonly PostNonces _nonces = new();

    /// <summary>When each user's latest posts were accepted, oldest first (at most the budget's count per user).</summary>
    private readonly Dictionary<UserId, Queue<DateTimeOffset>> _postTimes = new();

    /// <summary>The id of the newest stored message (its sequence number); 0 when there is none.</summary>
    public long LastMessageId { get; private set; }

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
        if (!TakePostBudget(post.Author, now, out var retryAfter))
            return Refuse(ErrorCode.RateLimited,
                $"At most {options.PostsPerUserWindow} messages per {options.PostUserWindow.TotalSeconds:0.#} s in this channel; try again in {Math.Max(1, Math.Ceiling(retryAfter.TotalSeconds)):0} s.");
        _nonces.BeginWrite(post.Author, post.Nonce);
        return new PostDecision.Store(new MessageStored(post.Author, author, text, now, post.Nonce));
    }

    /// <summary>How many users <see cref="_postTimes"/> may track before those with no post in the window are dropped.</summary>
    private int _sweepPostTimesAt = 64;

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

    /// <summary>The message with id <paramref name="id"/> if it is still held in memory.</summary>
    public ChatMessage? Recent(long id) => _recent.Covers(id) && id <= LastMessageId ? _recent.Range(id, id).FirstOrDefault() : null;

    /// <summary>Applies a stored message (on recovery or once written): it is the newest, with its sequence number as id.</summary>
    public ChatMessage Apply(long sequenceNr, MessageStored stored)
    {
        var message = ToMessage(channel, sequenceNr, stored);
        LastMessageId = sequenceNr;
        _recent.Add(message);
        _nonces.Stored(stored.Author, stored.Nonce, sequenceNr);
        return message;
    }

    /// <summary>Starts recovery from a snapshot taken at <paramref name="sequenceNr"/>.</summary>
    public void Restore(ChannelStateSnapshot snapshot, long sequenceNr)
    {
        _recent.Reset(snapshot.Recent);
        _nonces.Reset(snapshot.Nonces);
        LastMessageId = sequenceNr;
    }

    /// <summary>A snapshot is due every <see cref="ChannelOptions.SnapshotEvery"/> messages, so recovery stays short.</summary>
    public bool SnapshotDue(long sequenceNr) => sequenceNr % options.SnapshotEvery == 0;

    public ChannelStateSnapshot Snapshot() => new(_recent.ToList(), _nonces.ToList());

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
        var from = Math.Max(1, to - query.Limit + 1);
        var hasMore = from > 1;
        if (_recent.Covers(from)) return new HistoryDecision.Serve(new HistoryPage(channel, _recent.Range(from, to), hasMore));
        return new HistoryDecision.ReadJournal(from, to, hasMore);
    }

    /// <summary>The newest <paramref name="limit"/> messages a new subscriber gets, and whether older ones exist.</summary>
    public (IReadOnlyList<ChatMessage> Recent, bool HasMore) Newest(int limit, ChannelInfo info)
    {
        limit = Math.Clamp(limit, 0, GetHistory.MaxLimit);
        var isText = info.Kind == ChannelKind.Text;
        var recent = limit == 0 || !isText || LastMessageId == 0
            ? []
            : _recent.Range(Math.Max(1, LastMessageId - limit + 1), LastMessageId);
        var hasMore = isText && LastMessageId > 0 && (recent.Count == 0 || recent[0].Id > 1);
        return (recent, hasMore);
    }

    public static ChatMessage ToMessage(ChannelId channel, long id, MessageStored stored) =>
        new(id, channel, stored.Author, stored.AuthorName, stored.Text, stored.SentAt);

    private static PostDecision Refuse(ErrorCode code, string reason) => new PostDecision.Refuse(Rejection(code, reason));

    private static CommandRejected Rejection(ErrorCode code, string reason) => new(code, reason);
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

/// <summary>Where a page of history comes from: refused, served from memory, or read from the journal.</summary>
public abstract record HistoryDecision
{
    private HistoryDecision()
    {
    }

    public sealed record Refuse(CommandRejected Rejection) : HistoryDecision;

    public sealed record Serve(HistoryPage Page) : HistoryDecision;

    /// <summary>Messages <paramref name="From"/> to <paramref name="To"/> are older than those kept in memory.</summary>
    public sealed record ReadJournal(long From, long To, bool HasMore) : HistoryDecision;
}

using Akka.Actor;
using OpenChat.Protocol.Ids;

namespace OpenChat.Protocol.Commands;

/// <summary>
/// Posts a text message. Answered with <see cref="Events.PostAccepted"/> once stored, or <see cref="CommandRejected"/>.
/// <paramref name="Nonce"/> is chosen by the client and reused when it retries: the channel stores a message once per
/// author and nonce and answers a repeat with the message first stored, so a retry after a timeout cannot duplicate.
/// </summary>
/// <paramref name="ReplyTo"/> is the id of a live message of the channel this one answers.
public sealed record PostMessage(ChannelId Channel, UserId Author, string AuthorName, string Text, string Nonce, long? ReplyTo = null) : IWithChannelId
{
    public const int MaxNonceLength = 64;

    public const string NonceRule = "A post needs a nonce of 1 to 64 characters from A-Z, a-z, 0-9 and - _ . : (reuse it when retrying).";

    /// <summary>True for 1 to 64 characters of <c>[A-Za-z0-9-_.:]</c>.</summary>
    public static bool IsValidNonce(string? nonce)
    {
        if (string.IsNullOrEmpty(nonce) || nonce.Length > MaxNonceLength) return false;
        foreach (var c in nonce)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' or ':')) return false;
        }
        return true;
    }
}

/// <summary>
/// Replaces the text of message <paramref name="MessageId"/>; only its author may. Answered with
/// <see cref="Events.EditAccepted"/> once stored, or <see cref="CommandRejected"/>.
/// </summary>
public sealed record EditMessage(ChannelId Channel, UserId Editor, long MessageId, string Text) : IWithChannelId;

/// <summary>
/// Deletes message <paramref name="MessageId"/>: its author may, and so may a caller the gateway found to hold
/// manage messages in the channel (<paramref name="Moderator"/>). Answered with <see cref="Events.DeleteDone"/> once
/// stored (also when it was already deleted), or <see cref="CommandRejected"/>.
/// </summary>
public sealed record DeleteMessage(ChannelId Channel, UserId By, long MessageId, bool Moderator) : IWithChannelId;

/// <summary>Tells the channel a user is typing; not answered, not stored.</summary>
public sealed record SendTyping(ChannelId Channel, UserId User, string DisplayName) : IWithChannelId;

/// <summary>
/// Subscribes an actor to a channel's events and marks its user present. Answered with <see cref="Events.Subscribed"/>,
/// which carries the newest <paramref name="HistoryLimit"/> messages: every later message arrives as an event, so
/// the snapshot and the events neither overlap nor leave a gap.
/// </summary>
public sealed record SubscribeChannel(ChannelId Channel, UserId User, string DisplayName, IActorRef Subscriber, int HistoryLimit) : IWithChannelId;

/// <summary>Stops a subscription. Answered with <see cref="Events.Unsubscribed"/>.</summary>
public sealed record UnsubscribeChannel(ChannelId Channel, IActorRef Subscriber) : IWithChannelId;

/// <summary>Tells a channel entity that its settings changed; <paramref name="Info"/> is null when it was deleted.</summary>
public sealed record ChannelInfoChanged(ChannelId Channel, ChannelInfo? Info) : IWithChannelId;

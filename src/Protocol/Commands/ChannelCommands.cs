using Akka.Actor;
using OpenChat.Protocol.Ids;

namespace OpenChat.Protocol.Commands;

/// <summary>Posts a text message. Answered with <see cref="Events.PostAccepted"/> once stored, or <see cref="CommandRejected"/>.</summary>
public sealed record PostMessage(ChannelId Channel, UserId Author, string AuthorName, string Text) : IWithChannelId;

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

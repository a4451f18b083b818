using OpenChat.Actors.Ids;

namespace OpenChat.Gateway.Sessions;

/// <summary>Hub to session: open a channel (subscribe and fetch the newest messages). Answered with a <see cref="Hub.ChannelViewDto"/>.</summary>
internal sealed record OpenChannelRequest(ChannelId Channel);

/// <summary>Hub to session: close a channel. Answered with <see cref="Actors.Protocol.Events.Unsubscribed"/>.</summary>
internal sealed record CloseChannelRequest(ChannelId Channel);

/// <summary>Hub to session: post a message, subject to the post limit. Answered by the channel.</summary>
internal sealed record PostRequest(ChannelId Channel, string Text);

/// <summary>Session to itself: the channel entity moved; subscribe again.</summary>
internal sealed record Resubscribe(ChannelId Channel, int Attempt);

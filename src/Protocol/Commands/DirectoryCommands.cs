using Akka.Actor;
using OpenChat.Protocol.Ids;

namespace OpenChat.Protocol.Commands;

/// <summary>Creates a channel. Answered with <see cref="Queries.ChannelInfoResult"/> or <see cref="CommandRejected"/>.</summary>
public sealed record CreateChannel(string Name, ChannelKind Kind, string Topic) : IProtocolMessage;

/// <summary>Changes a channel's settings; null fields stay as they are.</summary>
public sealed record UpdateChannel(ChannelId Channel, string? Name, string? Topic, int? Position) : IProtocolMessage;

/// <summary>Deletes a channel; its history stays in the journal but is no longer served.</summary>
public sealed record DeleteChannel(ChannelId Channel) : IProtocolMessage;

/// <summary>Registers an actor that receives the whole <see cref="Queries.ChannelList"/> whenever it changes.</summary>
public sealed record WatchDirectory(IActorRef Watcher) : IProtocolMessage;

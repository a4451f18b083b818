using Akka.Actor;
using OpenChat.Protocol.Ids;

namespace OpenChat.Protocol.Commands;

/// <summary>Creates a channel. Answered with <see cref="Queries.ChannelInfoResult"/> or <see cref="CommandRejected"/>.</summary>
public sealed record CreateChannel(string Name, ChannelKind Kind, string Topic) : IProtocolMessage;

/// <summary>Changes a channel's settings; null fields stay as they are, an empty <paramref name="Category"/> clears it.</summary>
public sealed record UpdateChannel(ChannelId Channel, string? Name, string? Topic, int? Position, string? Category = null) : IProtocolMessage;

/// <summary>
/// Puts every channel in a new order: <paramref name="Channels"/> holds each channel's id exactly once, and their
/// positions become 0..n-1. Answered with <see cref="ChannelsReordered"/> or <see cref="CommandRejected"/>.
/// </summary>
public sealed record ReorderChannels(IReadOnlyList<ChannelId> Channels) : IProtocolMessage;

/// <summary>The channels were reordered; <paramref name="Revision"/> is the directory's journal position with the change.</summary>
public sealed record ChannelsReordered(long Revision) : IProtocolMessage;

/// <summary>Deletes a channel; its history stays in the journal but is no longer served.</summary>
public sealed record DeleteChannel(ChannelId Channel) : IProtocolMessage;

/// <summary>
/// Changes the server's settings; null fields stay as they are. Until a change is stored the settings are
/// <paramref name="Initial"/> (the operator's configuration, as the gateway read it). Answered with
/// <see cref="ServerSettingsSaved"/> or <see cref="CommandRejected"/>.
/// </summary>
public sealed record UpdateServerSettings(ServerSettings Initial, string? Name, string? Description, JoinPolicy? JoinPolicy, bool? GuestsAllowed)
    : IProtocolMessage;

/// <summary>The server's settings as stored; <paramref name="Revision"/> is the directory's journal position with them.</summary>
public sealed record ServerSettingsSaved(ServerSettings Settings, long Revision) : IProtocolMessage;

/// <summary>Registers an actor that receives the whole <see cref="Queries.ChannelList"/> whenever it changes.</summary>
public sealed record WatchDirectory(IActorRef Watcher) : IProtocolMessage;

using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Protocol;
using OpenChat.Gateway.Auth;
using OpenChat.Gateway.Hub;
using OpenChat.Protocol.Events;
using OpenChat.Protocol.Ids;
using OpenChat.Protocol.Voice;

namespace OpenChat.Gateway.Sessions;

/// <summary>
/// One per gateway: turns a channel event into the hub message its clients receive once, not once per connection.
/// The message is a <see cref="SerializedHubMessage"/>, which serialises itself once per hub protocol and hands every
/// connection the same bytes. Messages, edits and deletes are found again by their channel and journal number, so
/// the copies a remote channel sends to each session of this gateway share one wire form too; other channel events
/// are found by reference (the same object reaches every local subscriber). Each channel keeps its recent wire forms
/// on its own: lookups take no lock, and building one locks only that channel.
/// </summary>
public sealed class EventWire(IdentityCache? identities = null)
{
    /// <summary>
    /// Wire forms kept per channel for numbered events; a connection further behind than this builds its own. Bounds
    /// what a channel holds here: at most this many messages' bytes (about 2.5 KB for the longest text).
    /// </summary>
    public const int Retained = 128;

    private const int RetainedByReference = 32;

    private readonly ConcurrentDictionary<ChannelId, ChannelWire> _channels = new();
    private readonly ConcurrentDictionary<Type, StrongBox<long>> _built = new();

    /// <summary>Wire forms built so far for events of type <typeparamref name="TEvent"/> (each serialised at most once per hub protocol).</summary>
    public long Built<TEvent>() => _built.TryGetValue(typeof(TEvent), out var count) ? Interlocked.Read(ref count.Value) : 0;

    /// <summary>The hub message for an event a session pushes to its client; null for what the client is not sent.</summary>
    public SerializedHubMessage? For(object pushed) => pushed switch
    {
        MessagePosted e => Numbered(e.Message.Channel, new Key(0, e.Message.Id, Version(e.Message)), e),
        MessageEdited e => Numbered(e.Message.Channel, new Key(1, e.Sequence, Version(e.Message)), e),
        MessageDeleted e => Numbered(e.Channel, new Key(2, e.Sequence, 0), e),
        UserTyping e => Shared(e.Channel, e),
        MemberOnline e => Shared(e.Channel, e),
        MemberOffline e => Shared(e.Channel, e),
        ChannelRemoved e => Shared(e.Channel, e),
        VoiceMemberJoined e => Shared(e.Channel, e),
        VoiceMemberUpdated e => Shared(e.Channel, e),
        VoiceMemberLeft e => Shared(e.Channel, e),
        VoiceSpeaking e => Shared(e.Channel, e),
        VoiceReconnectRequired e => Shared(e.Channel, e),
        VoiceMoved e => Shared(e.Channel, e),
        VoiceEnded e => Shared(e.Channel, e),
        // Personal to the connection (its permissions are in them): built for it alone.
        ChannelView or ChannelsView or PermissionsView => Build(pushed),
        _ => null,
    };

    /// <summary>
    /// A message's text as of its last edit: a session re-subscribing after a move is sent the message as it now reads,
    /// which is not the wire form of the same number sent before the edit.
    /// </summary>
    private static long Version(Protocol.ChatMessage message) => message.EditedAt?.UtcTicks ?? 0;

    private SerializedHubMessage Numbered(ChannelId channel, Key key, object pushed) => Channel(channel).Numbered(key, pushed, this);

    private SerializedHubMessage Shared(ChannelId channel, object pushed) => Channel(channel).Shared(pushed, this);

    private ChannelWire Channel(ChannelId channel) =>
        _channels.TryGetValue(channel, out var wire) ? wire : _channels.GetOrAdd(channel, static _ => new ChannelWire());

    private SerializedHubMessage Build(object pushed)
    {
        Interlocked.Increment(ref _built.GetOrAdd(pushed.GetType(), static _ => new StrongBox<long>()).Value);
        GatewayMetrics.EventSerialized();
        return new SerializedHubMessage(Invocation(pushed));
    }

    private InvocationMessage Invocation(object pushed) => pushed switch
    {
        MessagePosted e => Invoke(nameof(IChatClient.MessagePosted), MessageDto.From(e.Message, identities)),
        MessageEdited e => Invoke(nameof(IChatClient.MessageEdited), MessageDto.From(e.Message, identities)),
        MessageDeleted e => Invoke(nameof(IChatClient.MessageDeleted), e.Channel.Value, e.MessageId),
        UserTyping e => Invoke(nameof(IChatClient.Typing), e.Channel.Value, e.User.Value, e.DisplayName),
        MemberOnline e => Invoke(nameof(IChatClient.MemberOnline), e.Channel.Value, MemberDto.From(e.Member)),
        MemberOffline e => Invoke(nameof(IChatClient.MemberOffline), e.Channel.Value, e.User.Value),
        ChannelView v => Invoke(nameof(IChatClient.ChannelUpdated), v.Channel),
        ChannelsView v => Invoke(nameof(IChatClient.ChannelsChanged), (object)v.Channels),
        PermissionsView v => Invoke(nameof(IChatClient.PermissionsChanged), v.Permissions),
        ChannelRemoved e => Invoke(nameof(IChatClient.ChannelRemoved), e.Channel.Value),
        VoiceMemberJoined e => Invoke(nameof(IChatClient.VoiceMemberJoined), e.Channel.Value, VoiceMemberDto.From(e.Member)),
        VoiceMemberUpdated e => Invoke(nameof(IChatClient.VoiceMemberUpdated), e.Channel.Value, VoiceMemberDto.From(e.Member)),
        VoiceMemberLeft e => Invoke(nameof(IChatClient.VoiceMemberLeft), e.Channel.Value, e.User.Value),
        VoiceSpeaking e => Invoke(nameof(IChatClient.VoiceSpeaking), e.Channel.Value, e.User.Value, e.Speaking),
        VoiceReconnectRequired e => Invoke(nameof(IChatClient.VoiceReconnect), e.Channel.Value, e.Reason),
        VoiceEnded e => Invoke(nameof(IChatClient.VoiceEnded), e.Channel.Value, e.Reason),
        VoiceMoved e => Invoke(nameof(IChatClient.VoiceMoved), e.Channel.Value, e.To.Value, e.Reason),
        _ => throw new ArgumentException($"{pushed.GetType().Name} is not pushed to clients.", nameof(pushed)),
    };

    private static InvocationMessage Invoke(string target, params object?[] arguments) => new(target, arguments);

    /// <summary>One channel's recent wire forms: numbered events in slots by journal number, others in a small ring.</summary>
    private sealed class ChannelWire
    {
        private readonly Entry?[] _numbered = new Entry?[Retained];
        private readonly Entry?[] _shared = new Entry?[RetainedByReference];
        private readonly Lock _building = new();
        private int _nextShared;

        public SerializedHubMessage Numbered(Key key, object pushed, EventWire wire)
        {
            var slot = (int)(key.Sequence & (Retained - 1));
            if (Volatile.Read(ref _numbered[slot]) is { } found && found.Key == key) return found.Message;
            lock (_building)
            {
                if (_numbered[slot] is { } again && again.Key == key) return again.Message;
                var built = wire.Build(pushed);
                Volatile.Write(ref _numbered[slot], new Entry(key, null, built));
                return built;
            }
        }

        public SerializedHubMessage Shared(object pushed, EventWire wire)
        {
            if (FindShared(pushed) is { } found) return found;
            lock (_building)
            {
                if (FindShared(pushed) is { } again) return again;
                var built = wire.Build(pushed);
                Volatile.Write(ref _shared[_nextShared], new Entry(default, pushed, built));
                _nextShared = (_nextShared + 1) % RetainedByReference;
                return built;
            }
        }

        private SerializedHubMessage? FindShared(object pushed)
        {
            for (var i = 0; i < _shared.Length; i++)
            {
                if (Volatile.Read(ref _shared[i]) is { } entry && ReferenceEquals(entry.Source, pushed)) return entry.Message;
            }
            return null;
        }
    }

    /// <summary>A numbered event: its kind (posted, edited, deleted), journal number and the message's version.</summary>
    private readonly record struct Key(int Kind, long Sequence, long Version);

    private sealed record Entry(Key Key, object? Source, SerializedHubMessage Message);
}

using System.Threading.Channels;
using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.Logging;
using OpenChat.Protocol.Events;
using OpenChat.Protocol.Voice;
using OpenChat.Gateway.Hub;

namespace OpenChat.Gateway.Sessions;

/// <summary>
/// A bounded queue and one pump per connection: events reach the client in the order they were queued, and a client
/// that stops reading is disconnected instead of growing the server's memory.
/// </summary>
public sealed class HubClientPush : IClientPush
{
    private readonly Channel<object> _queue;
    private readonly IChatClient _client;
    private readonly HubCallerContext _context;
    private readonly ILogger _log;

    private readonly Auth.IdentityCache? _identities;

    public HubClientPush(IChatClient client, HubCallerContext context, int capacity, ILogger log, Auth.IdentityCache? identities = null)
    {
        _identities = identities;
        _client = client;
        _context = context;
        _log = log;
        _queue = Channel.CreateBounded<object>(new BoundedChannelOptions(capacity)
        {
            SingleReader = true,
            SingleWriter = false,
            FullMode = BoundedChannelFullMode.Wait,
        });
        _ = Task.Run(PumpAsync);
    }

    public bool TryPush(object channelEvent)
    {
        if (_queue.Writer.TryWrite(channelEvent)) return true;
        _log.LogWarning("Connection {ConnectionId} fell too far behind; closing it", _context.ConnectionId);
        GatewayMetrics.SlowReaderCutOff();
        Abort();
        return false;
    }

    public void Abort()
    {
        _queue.Writer.TryComplete();
        _context.Abort();
    }

    /// <summary>Stops the pump once the connection is gone.</summary>
    public void Complete() => _queue.Writer.TryComplete();

    private async Task PumpAsync()
    {
        try
        {
            await foreach (var item in _queue.Reader.ReadAllAsync())
            {
                await (item switch
                {
                    MessagePosted e => _client.MessagePosted(MessageDto.From(e.Message, _identities)),
                    MessageEdited e => _client.MessageEdited(MessageDto.From(e.Message, _identities)),
                    MessageDeleted e => _client.MessageDeleted(e.Channel.Value, e.MessageId),
                    UserTyping e => _client.Typing(e.Channel.Value, e.User.Value, e.DisplayName),
                    MemberOnline e => _client.MemberOnline(e.Channel.Value, MemberDto.From(e.Member)),
                    MemberOffline e => _client.MemberOffline(e.Channel.Value, e.User.Value),
                    ChannelView v => _client.ChannelUpdated(v.Channel),
                    ChannelsView v => _client.ChannelsChanged(v.Channels),
                    PermissionsView v => _client.PermissionsChanged(v.Permissions),
                    ChannelRemoved e => _client.ChannelRemoved(e.Channel.Value),
                    VoiceMemberJoined e => _client.VoiceMemberJoined(e.Channel.Value, VoiceMemberDto.From(e.Member)),
                    VoiceMemberUpdated e => _client.VoiceMemberUpdated(e.Channel.Value, VoiceMemberDto.From(e.Member)),
                    VoiceMemberLeft e => _client.VoiceMemberLeft(e.Channel.Value, e.User.Value),
                    VoiceSpeaking e => _client.VoiceSpeaking(e.Channel.Value, e.User.Value, e.Speaking),
                    VoiceReconnectRequired e => _client.VoiceReconnect(e.Channel.Value, e.Reason),
                    VoiceEnded e => _client.VoiceEnded(e.Channel.Value, e.Reason),
                    VoiceMoved e => _client.VoiceMoved(e.Channel.Value, e.To.Value, e.Reason),
                    _ => Task.CompletedTask,
                });
                GatewayMetrics.EventPushed();
            }
        }
        catch (Exception e)
        {
            _log.LogDebug(e, "Push to {ConnectionId} ended", _context.ConnectionId);
            _queue.Writer.TryComplete();
        }
    }
}

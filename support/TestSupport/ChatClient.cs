using System.Net;
using System.Net.Http.Json;
using System.Threading.Channels;
using Microsoft.AspNetCore.SignalR.Client;
using OpenChat.SimulatedClients.Network;

namespace OpenChat.TestSupport;

/// <summary>A user of the service through the .NET SignalR client, recording every event it is pushed.</summary>
public sealed class ChatClient : IAsyncDisposable
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(15) };

    public HubConnection Connection { get; }
    public SessionDto Session { get; }
    public Channel<MessageDto> Messages { get; } = Channel.CreateUnbounded<MessageDto>();
    public Channel<(string ChannelId, MemberDto Member)> Online { get; } = Channel.CreateUnbounded<(string, MemberDto)>();
    public Channel<(string ChannelId, string UserId)> Offline { get; } = Channel.CreateUnbounded<(string, string)>();
    public Channel<MessageDto> Edits { get; } = Channel.CreateUnbounded<MessageDto>();
    public Channel<(string ChannelId, long MessageId)> Deletes { get; } = Channel.CreateUnbounded<(string, long)>();
    public Channel<(string ChannelId, string UserId, string DisplayName)> Typing { get; } = Channel.CreateUnbounded<(string, string, string)>();

    private ChatClient(HubConnection connection, SessionDto session)
    {
        Connection = connection;
        Session = session;
        connection.On<MessageDto>("MessagePosted", m => Messages.Writer.TryWrite(m));
        connection.On<string, MemberDto>("MemberOnline", (c, m) => Online.Writer.TryWrite((c, m)));
        connection.On<string, string>("MemberOffline", (c, u) => Offline.Writer.TryWrite((c, u)));
        connection.On<MessageDto>("MessageEdited", m => Edits.Writer.TryWrite(m));
        connection.On<string, long>("MessageDeleted", (c, id) => Deletes.Writer.TryWrite((c, id)));
        connection.On<string, string, string>("Typing", (c, u, n) => Typing.Writer.TryWrite((c, u, n)));
    }

    public static async Task<SessionDto> CreateSessionAsync(string baseUrl, string displayName, string? previousToken = null, IPAddress? source = null)
    {
        using var own = source is null ? null : SourceAddress.HttpClient(source);
        var response = await (own ?? Http).PostAsJsonAsync(baseUrl + "/api/session", new { displayName, token = previousToken });
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<SessionDto>())!;
    }

    /// <summary>
    /// Creates a guest session and connects to the hub; with <paramref name="source"/>, both leave from that loopback
    /// address (<see cref="SourceAddress.Next"/>), so the server counts the client as one of its own.
    /// </summary>
    public static async Task<ChatClient> ConnectAsync(string baseUrl, string displayName, SessionDto? session = null,
        Action<IHubConnectionBuilder>? configure = null, IPAddress? source = null)
    {
        session ??= await CreateSessionAsync(baseUrl, displayName, source: source);
        var builder = new HubConnectionBuilder()
            .WithUrl(baseUrl + "/hub", o =>
            {
                o.AccessTokenProvider = () => Task.FromResult<string?>(session.Token);
                // As the web client: the WebSocket straight away, so any gateway behind a load balancer can take it.
                o.SkipNegotiation = true;
                o.Transports = Microsoft.AspNetCore.Http.Connections.HttpTransportType.WebSockets;
                if (source is not null) SourceAddress.Apply(o, source);
            });
        configure?.Invoke(builder);
        var connection = builder.Build();
        connection.ServerTimeout = TimeSpan.FromSeconds(60);
        var client = new ChatClient(connection, session);
        await connection.StartAsync();
        return client;
    }

    public Task<ChannelViewDto> OpenChannelAsync(string channelId) => Connection.InvokeAsync<ChannelViewDto>("OpenChannel", channelId);

    /// <summary>Posts with <paramref name="nonce"/>, or a fresh one; a retry passes the nonce of the post it repeats.</summary>
    public Task<MessageDto> PostAsync(string channelId, string text, string? nonce = null) =>
        Connection.InvokeAsync<MessageDto>("PostMessage", channelId, text, nonce ?? NewNonce());

    public Task<MessageDto> ReplyAsync(string channelId, long replyTo, string text) =>
        Connection.InvokeAsync<MessageDto>("ReplyToMessage", channelId, replyTo, text, NewNonce());

    public Task<MessageDto> EditAsync(string channelId, long messageId, string text) =>
        Connection.InvokeAsync<MessageDto>("EditMessage", channelId, messageId, text);

    public Task DeleteAsync(string channelId, long messageId, string? reason = null) =>
        Connection.InvokeAsync("DeleteMessage", channelId, messageId, reason);

    /// <summary>A nonce no other post uses.</summary>
    public static string NewNonce() => Guid.NewGuid().ToString("N");

    public Task<HistoryDto> HistoryAsync(string channelId, long? before = null, int? limit = null) =>
        Connection.InvokeAsync<HistoryDto>("GetHistory", channelId, before, limit);

    /// <summary>The next pushed message, or a timeout.</summary>
    public async Task<MessageDto> NextMessageAsync(TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(10));
        return await Messages.Reader.ReadAsync(cts.Token);
    }

    public async ValueTask DisposeAsync() => await Connection.DisposeAsync();
}

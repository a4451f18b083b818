using System.Net;
using System.Net.Http.Json;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;
using OpenChat.TestSupport;
using Xunit;

namespace OpenChat.Gateway.Tests;

public sealed class TextChatTests : IAsyncLifetime
{
    private InProcessServer _server = null!;

    public async Task InitializeAsync() => _server = await InProcessServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task A_post_reaches_the_other_client_exactly_once_and_is_in_history()
    {
        await using var alice = await Clients.ConnectAsync(_server.BaseUrl, "Alice");
        await using var bob = await Clients.ConnectAsync(_server.BaseUrl, "Bob");
        await alice.OpenChannelAsync("general");
        var view = await bob.OpenChannelAsync("general");
        Assert.Equal("general", view.Channel.Id);
        Assert.Contains(view.Online, m => m.DisplayName == "Alice");

        var first = await alice.PostAsync("general", "hello bob");
        var second = await alice.PostAsync("general", "second");

        // Delivery is in order, so a duplicate of the first would arrive before the second.
        Assert.Equal(first, await bob.NextMessageAsync());
        Assert.Equal(second, await bob.NextMessageAsync());
        Assert.Equal("hello bob", first.Text);
        Assert.Equal(alice.Session.UserId, first.AuthorId);
        Assert.Equal("Alice", first.AuthorName);

        var history = await bob.HistoryAsync("general");
        Assert.Equal([first.Id, second.Id], history.Messages.Select(m => m.Id));
        Assert.False(history.HasMore);
        Assert.False(bob.Messages.Reader.TryRead(out _));
    }

    [Fact]
    public async Task Pipelined_posts_from_one_client_keep_their_order()
    {
        await using var alice = await Clients.ConnectAsync(_server.BaseUrl, "Alice");
        var calls = Enumerable.Range(0, 5).Select(i => alice.PostAsync("general", $"p{i}")).ToList();
        var stored = await Task.WhenAll(calls);
        Assert.Equal(["p0", "p1", "p2", "p3", "p4"], stored.OrderBy(m => m.Id).Select(m => m.Text));
    }

    [Fact]
    public async Task Invalid_calls_get_clear_errors_and_change_nothing()
    {
        await using var alice = await Clients.ConnectAsync(_server.BaseUrl, "Alice");
        await alice.OpenChannelAsync("general");
        var kept = await alice.PostAsync("general", "the only message");

        async Task<string> Error(Func<Task> call) => (await Assert.ThrowsAsync<HubException>(call)).Message;

        Assert.Contains("unknown_channel", await Error(() => alice.PostAsync("does-not-exist", "hi")));
        Assert.Contains("unknown_channel", await Error(() => alice.OpenChannelAsync("does-not-exist")));
        Assert.Contains("invalid_argument", await Error(() => alice.PostAsync("NOT A VALID ID", "hi")));
        Assert.Contains("invalid_argument", await Error(() => alice.Connection.InvokeAsync<object>("PostMessage", null, "hi", "n-1")));
        Assert.Contains("invalid_text", await Error(() => alice.PostAsync("general", "")));
        Assert.Contains("invalid_text", await Error(() => alice.PostAsync("general", "   ")));
        Assert.Contains("invalid_text", await Error(() => alice.Connection.InvokeAsync<object>("PostMessage", "general", null, "n-2")));
        // A post without its nonce (the rule itself is tested in ChannelTextTests; the user's post budget allows no more here).
        Assert.Contains("invalid_argument", await Error(() => alice.Connection.InvokeAsync<object>("PostMessage", "general", "hi", null)));
        Assert.Contains("invalid_text", await Error(() => alice.PostAsync("general", new string('x', 2001))));
        Assert.Contains("wrong_channel_kind", await Error(() => alice.PostAsync("lounge", "hi")));
        Assert.Contains("wrong_channel_kind", await Error(() => alice.HistoryAsync("lounge")));
        Assert.Contains("invalid_argument", await Error(() => alice.HistoryAsync("general", limit: 0)));
        Assert.Contains("invalid_argument", await Error(() => alice.HistoryAsync("general", limit: 101)));
        Assert.Contains("invalid_argument", await Error(() => alice.HistoryAsync("general", before: -3)));
        // Wrong argument types fail binding.
        await Assert.ThrowsAsync<HubException>(() => alice.Connection.InvokeAsync<object>("PostMessage", 42, new[] { 1, 2 }));
        await Assert.ThrowsAsync<HubException>(() => alice.Connection.InvokeAsync<object>("NoSuchMethod"));

        var history = await alice.HistoryAsync("general");
        Assert.Equal([kept], history.Messages);
        Assert.Equal(2, (await alice.Connection.InvokeAsync<ChannelDto[]>("GetChannels")).Length);
    }

    [Fact]
    public async Task A_client_without_a_valid_token_cannot_connect()
    {
        var noToken = new HubConnectionBuilder().WithUrl(_server.BaseUrl + "/hub").Build();
        var error = await Assert.ThrowsAsync<HttpRequestException>(() => noToken.StartAsync());
        Assert.Equal(HttpStatusCode.Unauthorized, error.StatusCode);

        var forged = new HubConnectionBuilder()
            .WithUrl(_server.BaseUrl + "/hub", o => o.AccessTokenProvider = () => Task.FromResult<string?>("v1.eyJVaWQiOiJ4In0.AAAA"))
            .Build();
        error = await Assert.ThrowsAsync<HttpRequestException>(() => forged.StartAsync());
        Assert.Equal(HttpStatusCode.Unauthorized, error.StatusCode);
    }

    [Fact]
    public async Task A_token_check_answers_who_the_token_is_and_401_for_a_forged_or_missing_one()
    {
        var session = await Clients.CreateSessionAsync(_server.BaseUrl, "Tess");
        using var http = new HttpClient();
        async Task<HttpResponseMessage> Check(string? token)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, _server.BaseUrl + "/api/session");
            if (token is not null) request.Headers.Authorization = new("Bearer", token);
            return await http.SendAsync(request);
        }
        var ok = await Check(session.Token);
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        var body = await ok.Content.ReadFromJsonAsync<System.Text.Json.JsonElement>();
        Assert.Equal(session.UserId, body.GetProperty("userId").GetString());
        Assert.Equal("Tess", body.GetProperty("displayName").GetString());
        Assert.Equal(HttpStatusCode.Unauthorized, (await Check("v1.eyJVaWQiOiJ4In0.AAAA")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await Check(null)).StatusCode);
    }

    [Fact]
    public async Task A_client_may_skip_negotiation_and_open_the_WebSocket_directly()
    {
        var session = await Clients.CreateSessionAsync(_server.BaseUrl, "Wes");
        await using var hub = new HubConnectionBuilder()
            .WithUrl(_server.BaseUrl + "/hub", o =>
            {
                o.SkipNegotiation = true;
                o.Transports = Microsoft.AspNetCore.Http.Connections.HttpTransportType.WebSockets;
                o.AccessTokenProvider = () => Task.FromResult<string?>(session.Token);
            })
            .Build();
        await hub.StartAsync();
        Assert.Equal(session.UserId, (await hub.InvokeAsync<UserDto>("Me")).Id);
    }

    [Fact]
    public async Task The_admin_API_is_off_unless_a_key_is_configured()
    {
        using var http = new HttpClient();
        var response = await http.PostAsJsonAsync(_server.BaseUrl + "/api/admin/channels", new { name = "x" });
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Fact]
    public async Task Session_creation_validates_the_display_name()
    {
        using var http = new HttpClient();
        foreach (var name in new[] { "", "a", new string('n', 33), "bad\u0001name" })
        {
            var response = await http.PostAsJsonAsync(_server.BaseUrl + "/api/session", new { displayName = name });
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        }
        var malformed = await http.PostAsync(_server.BaseUrl + "/api/session", new StringContent("{not json", System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, malformed.StatusCode);
    }

    [Fact]
    public async Task Reconnecting_with_the_token_is_the_same_user()
    {
        var session = await Clients.CreateSessionAsync(_server.BaseUrl, "Carol");
        await using (var first = await Clients.ConnectAsync(_server.BaseUrl, "Carol", session))
            Assert.Equal(session.UserId, (await first.Connection.InvokeAsync<UserDto>("Me")).Id);
        await using var again = await Clients.ConnectAsync(_server.BaseUrl, "Carol", session);
        Assert.Equal(session.UserId, (await again.Connection.InvokeAsync<UserDto>("Me")).Id);

        var renamed = await Clients.CreateSessionAsync(_server.BaseUrl, "Caroline", session.Token);
        Assert.Equal(session.UserId, renamed.UserId);
        Assert.Equal("Caroline", renamed.DisplayName);
    }

    [Fact]
    public async Task The_sixth_post_within_five_seconds_is_refused_as_rate_limited()
    {
        await using var alice = await Clients.ConnectAsync(_server.BaseUrl, "Alice");
        for (var i = 0; i < 5; i++) await alice.PostAsync("general", $"m{i}");
        var error = await Assert.ThrowsAsync<HubException>(() => alice.PostAsync("general", "one too many"));
        Assert.Contains("HubException: rate_limited:", error.Message);

        var history = await alice.HistoryAsync("general");
        Assert.Equal(5, history.Messages.Length);
    }

    [Fact]
    public async Task A_frame_over_the_configured_cap_closes_the_connection_and_stores_nothing_and_one_at_the_cap_is_accepted()
    {
        // Not SignalR's default of 32 KiB (nor the gateway's): only the gateway's setting can put the limit here.
        const int cap = 8 * 1024;
        await using var server = await InProcessServer.StartAsync(new Dictionary<string, string?>
        {
            ["OpenChat:Gateway:MaxMessageBytes"] = cap.ToString(System.Globalization.CultureInfo.InvariantCulture),
        });
        var alice = await Clients.CreateSessionAsync(server.BaseUrl, "Alice");
        using var hub = await RawHubConnection.ConnectAsync(server.BaseUrl, alice.Token);

        // Exactly the cap, record separator included: stored and answered.
        await hub.SendPaddedAsync(Invocation("1", "PostMessage", "general", "at the cap", "n-1"), cap);
        var completion = await hub.ReceiveAsync(m => m.GetProperty("type").GetInt32() == 3);
        Assert.Equal("1", completion.GetProperty("invocationId").GetString());
        Assert.False(completion.TryGetProperty("error", out var error), $"refused: {error}");
        Assert.Equal("at the cap", completion.GetProperty("result").GetProperty("text").GetString());

        // One byte more: the connection is closed and the post never reaches the hub.
        await hub.SendPaddedAsync(Invocation("2", "PostMessage", "general", "over the cap", "n-2"), cap + 1);
        static bool IsCompletion(System.Text.Json.JsonElement m) => m.GetProperty("type").GetInt32() == 3;
        var received = await hub.ReceiveUntilClosedAsync(IsCompletion);
        Assert.DoesNotContain(received, IsCompletion);
        Assert.Contains(received, m => m.GetProperty("type").GetInt32() == 7); // SignalR's close message

        await using var bob = await Clients.ConnectAsync(server.BaseUrl, "Bob");
        Assert.Equal(["at the cap"], (await bob.HistoryAsync("general")).Messages.Select(m => m.Text));
    }

    private static string Invocation(string id, string target, params string[] arguments) =>
        System.Text.Json.JsonSerializer.Serialize(new { type = 1, invocationId = id, target, arguments });

    /// <summary>
    /// A SignalR client over a bare WebSocket speaking the JSON hub protocol, so a test decides every byte of a frame
    /// (the .NET client's frames cannot be made an exact size, and its posts cannot be padded past the text limit).
    /// </summary>
    private sealed class RawHubConnection : IDisposable
    {
        private const char Separator = '\u001e';
        private readonly System.Net.WebSockets.ClientWebSocket _socket = new();
        private readonly Queue<System.Text.Json.JsonElement> _messages = new();
        private readonly System.Text.StringBuilder _pending = new();
        private readonly System.Text.Decoder _utf8 = System.Text.Encoding.UTF8.GetDecoder();
        private readonly CancellationTokenSource _timeout = new(TimeSpan.FromSeconds(30));

        public static async Task<RawHubConnection> ConnectAsync(string baseUrl, string token)
        {
            var connection = new RawHubConnection();
            var url = new Uri(baseUrl.Replace("http://", "ws://", StringComparison.Ordinal) + "/hub?access_token=" + Uri.EscapeDataString(token));
            await connection._socket.ConnectAsync(url, connection._timeout.Token);
            await connection.SendAsync("{\"protocol\":\"json\",\"version\":1}" + Separator);
            var handshake = await connection.ReceiveAsync(_ => true);
            Assert.False(handshake.TryGetProperty("error", out var error), $"handshake refused: {error}");
            return connection;
        }

        /// <summary>Sends <paramref name="json"/> padded with whitespace before its closing brace to exactly <paramref name="bytes"/> bytes with the separator.</summary>
        public Task SendPaddedAsync(string json, int bytes)
        {
            int padding = bytes - System.Text.Encoding.UTF8.GetByteCount(json) - 1;
            Assert.True(padding >= 0 && json.EndsWith('}'));
            var frame = json[..^1] + new string(' ', padding) + "}" + Separator;
            Assert.Equal(bytes, System.Text.Encoding.UTF8.GetByteCount(frame));
            return SendAsync(frame);
        }

        private Task SendAsync(string frame) => _socket.SendAsync(System.Text.Encoding.UTF8.GetBytes(frame),
            System.Net.WebSockets.WebSocketMessageType.Text, endOfMessage: true, _timeout.Token);

        /// <summary>The next hub message that matches <paramref name="match"/> (skipping pings and others).</summary>
        public async Task<System.Text.Json.JsonElement> ReceiveAsync(Func<System.Text.Json.JsonElement, bool> match)
        {
            while (true)
            {
                while (_messages.TryDequeue(out var message))
                    if (match(message)) return message;
                if (!await ReadAsync()) throw new InvalidOperationException("the server closed the connection");
            }
        }

        /// <summary>Every hub message until the server closes the WebSocket or sends one that matches <paramref name="stop"/>.</summary>
        public async Task<List<System.Text.Json.JsonElement>> ReceiveUntilClosedAsync(Func<System.Text.Json.JsonElement, bool> stop)
        {
            while (!_messages.Any(stop) && await ReadAsync())
            {
            }
            return [.. _messages];
        }

        private async Task<bool> ReadAsync()
        {
            var buffer = new byte[16 * 1024];
            System.Net.WebSockets.WebSocketReceiveResult result;
            try
            {
                result = await _socket.ReceiveAsync(buffer, _timeout.Token);
            }
            catch (System.Net.WebSockets.WebSocketException)
            {
                return false;
            }
            if (result.MessageType == System.Net.WebSockets.WebSocketMessageType.Close) return false;
            var chars = new char[_utf8.GetCharCount(buffer, 0, result.Count)];
            _pending.Append(chars, 0, _utf8.GetChars(buffer, 0, result.Count, chars, 0));
            var text = _pending.ToString();
            int end;
            while ((end = text.IndexOf(Separator)) >= 0)
            {
                _messages.Enqueue(System.Text.Json.JsonDocument.Parse(text[..end]).RootElement.Clone());
                text = text[(end + 1)..];
            }
            _pending.Clear().Append(text);
            return true;
        }

        public void Dispose()
        {
            _socket.Dispose();
            _timeout.Dispose();
        }
    }

    [Fact]
    public async Task Presence_shows_who_opens_and_leaves_a_channel()
    {
        await using var bob = await Clients.ConnectAsync(_server.BaseUrl, "Bob");
        await bob.OpenChannelAsync("general");
        var alice = await Clients.ConnectAsync(_server.BaseUrl, "Alice");
        await alice.OpenChannelAsync("general");

        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var online = await bob.Online.Reader.ReadAsync(cts.Token);
        Assert.Equal(("general", alice.Session.UserId), (online.ChannelId, online.Member.UserId));

        await alice.DisposeAsync();
        var offline = await bob.Offline.Reader.ReadAsync(cts.Token);
        Assert.Equal(("general", alice.Session.UserId), offline);
    }

    [Fact]
    public async Task Older_history_pages_in_by_cursor()
    {
        await using var alice = await Clients.ConnectAsync(_server.BaseUrl, "Alice");
        var posted = new List<MessageDto>();
        // Five clients post so the per-connection limit is not what this test is about.
        var writers = new List<ChatClient>();
        for (var w = 0; w < 14; w++) writers.Add(await Clients.ConnectAsync(_server.BaseUrl, $"Writer {w}"));
        for (var i = 0; i < 70; i++) posted.Add(await writers[i / 5].PostAsync("general", $"message {i}"));
        foreach (var w in writers) await w.DisposeAsync();

        var view = await alice.OpenChannelAsync("general");
        Assert.Equal(posted.TakeLast(50).Select(m => m.Id), view.Messages.Select(m => m.Id));
        Assert.True(view.HasMore);
        var older = await alice.HistoryAsync("general", view.Messages[0].Id);
        Assert.Equal(posted.Take(20).Select(m => m.Text), older.Messages.Select(m => m.Text));
        Assert.False(older.HasMore);
    }
}

using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.Logging;
using OpenChat.TestSupport;
using Xunit;
using Xunit.Abstractions;

namespace OpenChat.Gateway.Tests;

/// <summary>A flood of hub invocations that cannot be served: none changes anything, the node stays healthy, the log stays small.</summary>
public sealed class MalformedInvocationTests(ITestOutputHelper output)
{
    private const char Separator = '\u001e';

    /// <summary>Invocations a client can send that are each wrong in their own way (no invocation id: nothing is answered).</summary>
    private static readonly string[] Malformed =
    [
        Invocation("NoSuchMethod", "general"),
        Invocation("DeleteChannel", "general"),
        Invocation("PostMessage", 42, true),
        Invocation("PostMessage", new { text = "hi" }, "general"),
        Invocation("PostMessage", "general"),
        Invocation("PostMessage"),
        Invocation("PostMessage", "general", "hello", "extra", 7),
        Invocation("PostMessage", "general", new string('x', 3000)),
        Invocation("PostMessage", new string('g', 20_000), "hello"),
        Invocation("PostMessage", "../../etc/passwd", "hello"),
        Invocation("PostMessage", null, null),
        Invocation("OpenChannel", 12.5),
        Invocation("OpenChannel", new string('c', 20_000)),
        Invocation("GetHistory", "general", "yesterday", "many"),
        Invocation("GetHistory", "general", -5, 100_000),
        Invocation("JoinVoice", "lounge", 17, "no", "no"),
        Invocation("JoinVoice", "lounge", new string('v', 25_000), false, false),
        Invocation("SetVoiceState", "loud", 3),
        Invocation("SetMemberVolume", "someone", double.MaxValue),
        Invocation("SetMemberVolume", new[] { 1, 2, 3 }, "x"),
    ];

    private static string Invocation(string target, params object?[] arguments) =>
        JsonSerializer.Serialize(new { type = 1, target, arguments });

    [Fact]
    public async Task Ten_thousand_malformed_invocations_change_nothing_and_leave_the_node_healthy_and_its_log_quiet()
    {
        var log = new LogCapture();
        await using var server = await InProcessServer.StartAsync(configure: log.AddTo);
        await using var witness = await Clients.ConnectAsync(server.BaseUrl, "Witness");
        var channelsBefore = JsonSerializer.Serialize(await witness.Connection.InvokeAsync<object>("GetChannels"));
        var entriesBefore = log.Entries.Count;

        var attacker = await Clients.CreateSessionAsync(server.BaseUrl, "Mallory");
        const int total = 10_000;
        var sent = 0;
        var connections = 0;
        // The server may close a connection over a frame it cannot parse at all; the attacker then reconnects.
        while (sent < total)
        {
            using var socket = new ClientWebSocket();
            socket.Options.SetRequestHeader("Authorization", "Bearer " + attacker.Token);
            await socket.ConnectAsync(new Uri(server.BaseUrl.Replace("http://", "ws://", StringComparison.Ordinal) + "/hub"), CancellationToken.None);
            connections++;
            await SendAsync(socket, """{"protocol":"json","version":1}""" + Separator);
            var draining = DrainAsync(socket);
            try
            {
                while (sent < total && socket.State == WebSocketState.Open)
                {
                    // A batch of frames per WebSocket message, each within the frame cap.
                    var batch = new StringBuilder();
                    for (var i = 0; i < 20 && sent < total; i++, sent++) batch.Append(Malformed[sent % Malformed.Length]).Append(Separator);
                    await SendAsync(socket, batch.ToString());
                }
                if (socket.State == WebSocketState.Open)
                {
                    // An answered call after the flood: once it is answered, the server has dispatched everything before it.
                    await SendAsync(socket, """{"type":1,"invocationId":"last","target":"Me","arguments":[]}""" + Separator);
                    await draining.WaitAsync(TimeSpan.FromSeconds(120));
                }
            }
            catch (WebSocketException)
            {
                // Closed by the server mid-batch; reconnect and go on.
            }
        }
        output.WriteLine($"{total} malformed invocations over {connections} connection(s)");

        // Nothing changed: no message stored anywhere, the same channels, and the node serves a normal client.
        Assert.Empty((await witness.HistoryAsync("general")).Messages);
        Assert.Equal(channelsBefore, JsonSerializer.Serialize(await witness.Connection.InvokeAsync<object>("GetChannels")));
        using (var http = new HttpClient())
            Assert.True((await http.GetAsync(server.BaseUrl + "/healthz/ready")).IsSuccessStatusCode);
        var posted = await witness.PostAsync("general", "still here");
        Assert.Equal(["still here"], (await witness.HistoryAsync("general")).Messages.Select(m => m.Text));
        Assert.Equal("still here", posted.Text);

        var entries = log.Entries.Skip(entriesBefore).Where(e => e.Level >= LogLevel.Information).ToList();
        output.WriteLine($"{entries.Count} log entries at Information or above during the flood");
        foreach (var group in entries.GroupBy(e => (e.Category, e.Level)).OrderByDescending(g => g.Count()).Take(5))
            output.WriteLine($"  {group.Count()} × {group.Key.Level} {group.Key.Category}: {group.First().Message}");
        Assert.True(entries.Count <= 50, $"{entries.Count} log entries for {total} malformed invocations");
    }

    private static Task SendAsync(ClientWebSocket socket, string text) =>
        socket.SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, endOfMessage: true, CancellationToken.None);

    /// <summary>Reads what the server sends until the answer to invocation "last" (or the connection closes).</summary>
    private static async Task DrainAsync(ClientWebSocket socket)
    {
        var buffer = new byte[64 * 1024];
        var text = new StringBuilder();
        try
        {
            while (socket.State == WebSocketState.Open)
            {
                var result = await socket.ReceiveAsync(buffer, CancellationToken.None);
                if (result.MessageType == WebSocketMessageType.Close) return;
                text.Append(Encoding.UTF8.GetString(buffer, 0, result.Count));
                if (text.ToString().Contains("\"invocationId\":\"last\"", StringComparison.Ordinal)) return;
                if (text.Length > 1_000_000) text.Clear();
            }
        }
        catch (WebSocketException)
        {
        }
    }
}

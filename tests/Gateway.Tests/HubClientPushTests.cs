using System.Buffers;
using System.IO.Pipelines;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Protocol;
using Microsoft.Extensions.Logging.Abstractions;
using OpenChat.Gateway.Sessions;
using OpenChat.Protocol;
using OpenChat.Protocol.Events;
using OpenChat.Protocol.Ids;
using Xunit;

namespace OpenChat.Gateway.Tests;

/// <summary>
/// One connection's push over SignalR's own connection type, its transport a pipe the test reads (or never reads):
/// queued events are written in order, several to a write, and a client that stops reading is cut off.
/// </summary>
public sealed class HubClientPushTests
{
    private static readonly ChannelId General = new("general");

    private static MessagePosted Posted(long id) =>
        new(new ChatMessage(id, General, new UserId("u1"), "Alice", $"message {id}", DateTimeOffset.UnixEpoch));

    private static (HubConnectionContext Connection, PipeReader Client) Connect(long pauseAtBytes)
    {
        var toClient = new Pipe(new PipeOptions(pauseWriterThreshold: pauseAtBytes, resumeWriterThreshold: pauseAtBytes / 2));
        var fromClient = new Pipe();
        var context = new DefaultConnectionContext("test-connection", new Duplex(fromClient.Reader, toClient.Writer), new Duplex(toClient.Reader, fromClient.Writer));
        var connection = new HubConnectionContext(context, new HubConnectionContextOptions
        {
            KeepAliveInterval = TimeSpan.FromMinutes(5),
            ClientTimeoutInterval = TimeSpan.FromMinutes(5),
        }, NullLoggerFactory.Instance) { Protocol = new JsonHubProtocol() };
        return (connection, toClient.Reader);
    }

    [Fact]
    public async Task Events_queued_behind_a_blocked_write_go_out_together_and_in_order()
    {
        // The client reads nothing until every event is queued: the first write fills the pipe, the rest wait in the queue.
        var (connection, client) = Connect(pauseAtBytes: 256);
        var wire = new EventWire();
        var push = new HubClientPush(connection, wire, capacity: 1000, NullLogger.Instance);
        for (var id = 1; id <= 300; id++) Assert.True(push.TryPush(Posted(id)));

        var ids = new List<long>();
        var reads = 0;
        while (ids.Count < 300)
        {
            var result = await client.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10));
            reads++;
            var buffer = result.Buffer;
            while (buffer.PositionOf((byte)0x1e) is { } end)
            {
                using var record = JsonDocument.Parse(Encoding.UTF8.GetString(buffer.Slice(0, end).ToArray()));
                Assert.Equal("MessagePosted", record.RootElement.GetProperty("target").GetString());
                ids.Add(record.RootElement.GetProperty("arguments")[0].GetProperty("id").GetInt64());
                buffer = buffer.Slice(buffer.GetPosition(1, end));
            }
            client.AdvanceTo(buffer.Start, result.Buffer.End);
        }
        Assert.Equal(Enumerable.Range(1, 300).Select(i => (long)i), ids);
        // Each event was built once, and the queue was not written one event per flush.
        Assert.Equal(300, wire.Built<MessagePosted>());
        Assert.True(reads < 300, $"{reads} reads for 300 events");
        push.Complete();
    }

    [Fact]
    public async Task A_client_that_stops_reading_is_cut_off_and_its_queue_stays_bounded()
    {
        var (connection, _) = Connect(pauseAtBytes: 1024);
        var aborted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        connection.ConnectionAborted.Register(() => aborted.TrySetResult());
        var push = new HubClientPush(connection, new EventWire(), capacity: 16, NullLogger.Instance);

        var accepted = 0;
        while (push.TryPush(Posted(accepted + 1)))
        {
            accepted++;
            Assert.True(accepted < 10_000, "the queue kept accepting events for a client that reads nothing");
        }
        await aborted.Task.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.False(push.TryPush(Posted(accepted + 2)));
    }

    private sealed class Duplex(PipeReader input, PipeWriter output) : IDuplexPipe
    {
        public PipeReader Input => input;

        public PipeWriter Output => output;
    }
}

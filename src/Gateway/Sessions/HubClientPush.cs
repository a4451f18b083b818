using System.Buffers;
using System.Threading.Channels;
using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.Logging;

namespace OpenChat.Gateway.Sessions;

/// <summary>
/// A bounded queue and one pump per connection: events reach the client in the order they were queued, and a client
/// that stops reading is disconnected instead of growing the server's memory. The pump writes each event's shared wire
/// form (<see cref="EventWire"/>), so nothing is serialised per connection; events that queued up while it wrote are
/// written together, with one flush.
/// </summary>
public sealed class HubClientPush : IClientPush
{
    /// <summary>A batch stops growing at this size; the next one follows at once.</summary>
    public const int MaxBatchBytes = 16 * 1024;

    private readonly Channel<object> _queue;
    private readonly HubConnectionContext _connection;
    private readonly EventWire _wire;
    private readonly ILogger _log;

    public HubClientPush(HubConnectionContext connection, EventWire wire, int capacity, ILogger log)
    {
        _connection = connection;
        _wire = wire;
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
        _log.LogWarning("Connection {ConnectionId} fell too far behind; closing it", _connection.ConnectionId);
        GatewayMetrics.SlowReaderCutOff();
        Abort();
        return false;
    }

    public void Abort()
    {
        _queue.Writer.TryComplete();
        _connection.Abort();
    }

    /// <summary>Stops the pump once the connection is gone.</summary>
    public void Complete() => _queue.Writer.TryComplete();

    private async Task PumpAsync()
    {
        var protocol = _connection.Protocol;
        ArrayBufferWriter<byte>? batch = null;
        try
        {
            var reader = _queue.Reader;
            while (await reader.WaitToReadAsync())
            {
                // What is queued now goes out in one write: the first event as it is, more as their bytes one after the
                // other (every hub protocol frames each message, so a client reads them apart). At low rates there is
                // one event at a time and no copy.
                SerializedHubMessage? first = null;
                var count = 0;
                while ((batch is null || batch.WrittenCount < MaxBatchBytes) && reader.TryRead(out var item))
                {
                    if (_wire.For(item) is not { } message) continue;
                    if (++count == 1)
                    {
                        first = message;
                        continue;
                    }
                    if (count == 2)
                    {
                        batch ??= new ArrayBufferWriter<byte>(MaxBatchBytes);
                        batch.ResetWrittenCount();
                        batch.Write(first!.GetSerializedMessage(protocol).Span);
                    }
                    batch!.Write(message.GetSerializedMessage(protocol).Span);
                }
                if (count == 0) continue;
                // The bytes are copied to the connection before the write completes, so the batch buffer is free again after it.
                await _connection.WriteAsync(count == 1 ? first! : new SerializedHubMessage([new SerializedMessage(protocol.Name, batch!.WrittenMemory)]));
                batch?.ResetWrittenCount();
                GatewayMetrics.EventsPushed(count);
            }
        }
        catch (Exception e)
        {
            _log.LogDebug(e, "Push to {ConnectionId} ended", _connection.ConnectionId);
            _queue.Writer.TryComplete();
        }
    }
}

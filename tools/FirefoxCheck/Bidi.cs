using System.Collections.Concurrent;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using OpenChat.TestSupport;

namespace OpenChat.FirefoxCheck;

/// <summary>
/// A minimal WebDriver BiDi client (Firefox's built-in remote agent, <c>--remote-debugging-port</c>): one session,
/// one browsing context, commands answered by id; of the events only the page's log (console and errors) is kept.
/// Its socket lives in the browser's namespace.
/// </summary>
internal sealed class Bidi : IAsyncDisposable
{
    private readonly ClientWebSocket _socket = new();
    private readonly HttpMessageInvoker _invoker;
    private readonly ConcurrentDictionary<int, TaskCompletionSource<JsonElement>> _pending = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly SemaphoreSlim _sending = new(1, 1);
    private Task _reader = Task.CompletedTask;
    private int _nextId;
    private string _context = "";
    private readonly ConcurrentQueue<string> _log = new();

    /// <summary>The page's console messages and uncaught errors so far (the last 200).</summary>
    public IReadOnlyCollection<string> Log => _log;

    private Bidi(string netns) => _invoker = new HttpMessageInvoker(NamespaceHttp.Handler(netns));

    /// <summary>Connects to <c>ws://127.0.0.1:PORT/session</c> in <paramref name="netns"/>, starts a session and finds the open tab.</summary>
    public static async Task<Bidi> ConnectAsync(string netns, int port)
    {
        var bidi = new Bidi(netns);
        try
        {
            await bidi._socket.ConnectAsync(new Uri($"ws://127.0.0.1:{port}/session"), bidi._invoker, CancellationToken.None);
            bidi._reader = Task.Run(bidi.ReadAsync);
            await bidi.SendAsync("session.new", new JsonObject { ["capabilities"] = new JsonObject() });
            await bidi.SendAsync("session.subscribe", new JsonObject { ["events"] = new JsonArray("log.entryAdded") });
            var tree = await bidi.SendAsync("browsingContext.getTree", new JsonObject());
            bidi._context = tree.GetProperty("contexts")[0].GetProperty("context").GetString()!;
            return bidi;
        }
        catch
        {
            await bidi.DisposeAsync();
            throw;
        }
    }

    public Task NavigateAsync(string url) =>
        SendAsync("browsingContext.navigate", new JsonObject { ["context"] = _context, ["url"] = url, ["wait"] = "complete" });

    /// <summary>Evaluates <paramref name="expression"/> in the page (awaiting a promise) and returns its value, which must be a string.</summary>
    public async Task<string> EvaluateAsync(string expression)
    {
        var result = await SendAsync("script.evaluate", new JsonObject
        {
            ["expression"] = expression,
            ["target"] = new JsonObject { ["context"] = _context },
            ["awaitPromise"] = true,
            ["resultOwnership"] = "none",
        });
        if (result.GetProperty("type").GetString() == "exception")
            throw new InvalidOperationException("page threw: " + result.GetProperty("exceptionDetails").GetProperty("text").GetString());
        var value = result.GetProperty("result");
        return value.GetProperty("type").GetString() == "string"
            ? value.GetProperty("value").GetString()!
            : throw new InvalidOperationException("expected a string, got " + value);
    }

    /// <summary>Asks the browser to close (the process then exits by itself).</summary>
    public async Task CloseBrowserAsync()
    {
        try
        {
            await SendAsync("browser.close", new JsonObject()).WaitAsync(TimeSpan.FromSeconds(5));
        }
        catch (Exception e) when (e is WebSocketException or TimeoutException or InvalidOperationException or OperationCanceledException)
        {
            // The connection may drop before the answer; the caller kills the process if it stays.
        }
    }

    private async Task<JsonElement> SendAsync(string method, JsonObject parameters)
    {
        var id = Interlocked.Increment(ref _nextId);
        var answer = new TaskCompletionSource<JsonElement>(TaskCreationOptions.RunContinuationsAsynchronously);
        _pending[id] = answer;
        var bytes = Encoding.UTF8.GetBytes(new JsonObject { ["id"] = id, ["method"] = method, ["params"] = parameters }.ToJsonString());
        await _sending.WaitAsync();
        try
        {
            await _socket.SendAsync(bytes, WebSocketMessageType.Text, endOfMessage: true, _stop.Token);
        }
        finally
        {
            _sending.Release();
        }
        return await answer.Task.WaitAsync(TimeSpan.FromSeconds(60));
    }

    private async Task ReadAsync()
    {
        var buffer = new byte[64 * 1024];
        var message = new MemoryStream();
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                var received = await _socket.ReceiveAsync(buffer, _stop.Token);
                if (received.MessageType == WebSocketMessageType.Close) break;
                message.Write(buffer, 0, received.Count);
                if (!received.EndOfMessage) continue;
                var root = JsonDocument.Parse(message.ToArray()).RootElement;
                message.SetLength(0);
                if (root.TryGetProperty("method", out var method) && method.GetString() == "log.entryAdded")
                {
                    var entry = root.GetProperty("params");
                    _log.Enqueue($"{entry.GetProperty("level").GetString()}: {(entry.TryGetProperty("text", out var text) ? text.GetString() : "")}");
                    while (_log.Count > 200) _log.TryDequeue(out _);
                    continue;
                }
                if (!root.TryGetProperty("id", out var idElement) || idElement.ValueKind != JsonValueKind.Number) continue;
                if (!_pending.TryRemove(idElement.GetInt32(), out var answer)) continue;
                if (root.GetProperty("type").GetString() == "error")
                    answer.TrySetException(new InvalidOperationException($"{root.GetProperty("error")}: {root.GetProperty("message")}"));
                else
                    answer.TrySetResult(root.GetProperty("result").Clone());
            }
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException)
        {
        }
        foreach (var answer in _pending.Values) answer.TrySetException(new InvalidOperationException("the BiDi connection closed"));
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        await _reader.ConfigureAwait(false);
        _socket.Dispose();
        _invoker.Dispose();
        _stop.Dispose();
        _sending.Dispose();
    }
}

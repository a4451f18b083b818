using System.Collections.Concurrent;
using System.Net;
using System.Text;

namespace OpenChat.TestSupport;

/// <summary>
/// An OTLP/HTTP trace receiver on 127.0.0.1 (<c>POST /v1/traces</c>, protobuf), standing in for an OpenTelemetry
/// collector: it decodes the spans it is sent (trace and span ids, parent, name, scope, and the sender's
/// <c>service.instance.id</c>) and keeps them for the test to look at.
/// </summary>
public sealed class OtlpReceiver : IAsyncDisposable
{
    private readonly HttpListener _listener = new();
    private readonly Task _loop;
    private readonly ConcurrentQueue<Span> _spans = new();

    public sealed record Span(string TraceId, string SpanId, string ParentSpanId, string Name, string Scope, string ServiceInstance);

    public string Url { get; }

    public OtlpReceiver()
    {
        var port = Probe.FreeTcpPort();
        Url = $"http://127.0.0.1:{port}";
        _listener.Prefixes.Add(Url + "/");
        _listener.Start();
        _loop = Task.Run(LoopAsync);
    }

    public IReadOnlyList<Span> Spans => _spans.ToArray();

    private async Task LoopAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception) when (!_listener.IsListening)
            {
                return;
            }
            catch (HttpListenerException)
            {
                return;
            }
            using var body = new MemoryStream();
            await context.Request.InputStream.CopyToAsync(body);
            if (context.Request.HttpMethod == "POST" && context.Request.Url?.AbsolutePath == "/v1/traces")
            {
                foreach (var span in Decode(body.ToArray())) _spans.Enqueue(span);
                context.Response.StatusCode = 200;
                context.Response.ContentType = "application/x-protobuf";
            }
            else
            {
                context.Response.StatusCode = 404;
            }
            context.Response.Close();
        }
    }

    /// <summary>Decodes an ExportTraceServiceRequest: resource_spans(1) → resource(1), scope_spans(2) → scope(1), spans(2).</summary>
    public static IEnumerable<Span> Decode(byte[] request)
    {
        foreach (var (field, resourceSpans) in Fields(request))
        {
            if (field != 1) continue;
            var instance = "";
            var spans = new List<(byte[] Scope, byte[] Span)>();
            foreach (var (f, value) in Fields(resourceSpans))
            {
                if (f == 1) instance = ResourceAttribute(value, "service.instance.id") ?? "";
                else if (f == 2)
                {
                    var scope = Array.Empty<byte>();
                    foreach (var (sf, sv) in Fields(value))
                    {
                        if (sf == 1) scope = sv;
                        else if (sf == 2) spans.Add((scope, sv));
                    }
                }
            }
            foreach (var (scope, span) in spans)
            {
                string traceId = "", spanId = "", parent = "", name = "";
                foreach (var (f, value) in Fields(span))
                {
                    switch (f)
                    {
                        case 1: traceId = Convert.ToHexStringLower(value); break;
                        case 2: spanId = Convert.ToHexStringLower(value); break;
                        case 4: parent = Convert.ToHexStringLower(value); break;
                        case 5: name = Encoding.UTF8.GetString(value); break;
                    }
                }
                var scopeName = Fields(scope).Where(s => s.Field == 1).Select(s => Encoding.UTF8.GetString(s.Value)).FirstOrDefault() ?? "";
                yield return new Span(traceId, spanId, parent, name, scopeName, instance);
            }
        }
    }

    /// <summary>A string attribute of a Resource: attributes(1) are KeyValue { key(1), value(2): AnyValue { string_value(1) } }.</summary>
    private static string? ResourceAttribute(byte[] resource, string key)
    {
        foreach (var (f, keyValue) in Fields(resource))
        {
            if (f != 1) continue;
            string? k = null, v = null;
            foreach (var (kf, kv) in Fields(keyValue))
            {
                if (kf == 1) k = Encoding.UTF8.GetString(kv);
                else if (kf == 2) v = Fields(kv).Where(a => a.Field == 1).Select(a => Encoding.UTF8.GetString(a.Value)).FirstOrDefault();
            }
            if (k == key) return v;
        }
        return null;
    }

    /// <summary>The length-delimited fields of a protobuf message (other wire types are skipped).</summary>
    private static IEnumerable<(int Field, byte[] Value)> Fields(byte[] message)
    {
        var fields = new List<(int, byte[])>();
        int i = 0;
        while (i < message.Length)
        {
            var tag = ReadVarint(message, ref i);
            int field = (int)(tag >> 3), wire = (int)(tag & 7);
            switch (wire)
            {
                case 0: ReadVarint(message, ref i); break;
                case 1: i += 8; break;
                case 5: i += 4; break;
                case 2:
                    var length = (int)ReadVarint(message, ref i);
                    if (length < 0 || i + length > message.Length) throw new InvalidDataException("A field runs past the end of its message.");
                    fields.Add((field, message[i..(i + length)]));
                    i += length;
                    break;
                default: throw new InvalidDataException($"Wire type {wire} is not protobuf's.");
            }
        }
        return fields;
    }

    private static ulong ReadVarint(byte[] data, ref int i)
    {
        ulong value = 0;
        for (int shift = 0; shift < 64; shift += 7)
        {
            if (i >= data.Length) throw new InvalidDataException("A varint runs past the end of its message.");
            byte b = data[i++];
            value |= (ulong)(b & 0x7F) << shift;
            if ((b & 0x80) == 0) return value;
        }
        throw new InvalidDataException("A varint is longer than 10 bytes.");
    }

    public async ValueTask DisposeAsync()
    {
        _listener.Stop();
        _listener.Close();
        try
        {
            await _loop;
        }
        catch (ObjectDisposedException)
        {
        }
    }
}

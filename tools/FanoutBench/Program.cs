using System.Diagnostics;
using System.Globalization;
using Microsoft.AspNetCore.SignalR.Client;
using OpenChat.SimulatedClients.Network;
using OpenChat.TestSupport;

// Message fan-out: one text channel, N receiving SignalR clients on loopback, one sender posting at a fixed rate.
// Starts the all-in-one server as its own process (Release build) unless --url names a running one.
var clients = Arg("--clients", 500);
var rate = Arg("--rate", 200);
var seconds = Arg("--seconds", 30);
var url = ArgString("--url");
var warmup = Arg("--warmup", 5);

ServerProcess? server = null;
if (url is null)
{
    if (!File.Exists(RepoPaths.ServerDll)) throw new InvalidOperationException($"Build the server first: {RepoPaths.ServerDll}");
    server = ServerProcess.Start("server", new Dictionary<string, string>
    {
        ["OpenChat__DataDirectory"] = Probe.NewTempDirectory("fanout"),
        // One sender posts at --rate: lift its post limits (per connection and per user); connection caps stay.
        ["OpenChat__Gateway__PostsPerWindow"] = "1000000",
        ["OpenChat__Gateway__UserPostsPerWindow"] = "1000000",
        ["OpenChat__Channels__PostsPerUserWindow"] = "1000000",
        ["OpenChat__Gateway__CallsPerSecond"] = "100000",
        ["Logging__LogLevel__Default"] = "Warning",
    });
    await server.WaitReadyAsync();
    url = server.BaseUrl;
}
using (var http = new HttpClient())
{
    await Probe.UntilAsync(async () => (await http.GetAsync(url + "/healthz/ready")).IsSuccessStatusCode, TimeSpan.FromSeconds(60), "the server to be ready");
}
Console.WriteLine($"server {url}; {clients} receivers, {rate} msg/s for {seconds} s after {warmup} s of warm-up; {Environment.ProcessorCount} cores");

// Latency histogram in 50 µs buckets up to 10 s, filled concurrently by every receiver.
const double BucketMs = 0.05;
var histogram = new long[200_000];
long delivered = 0;
long warmDelivered = 0;
long lastDeliveryTicks = 0;

var receivers = new List<ChatClient>();
var connectWatch = Stopwatch.StartNew();
for (var batch = 0; batch < clients; batch += 50)
{
    var group = await Task.WhenAll(Enumerable.Range(batch, Math.Min(50, clients - batch)).Select(async i =>
    {
        // Every receiver is a client of its own address, so the per-address caps stay at their defaults.
        var client = await ChatClient.ConnectAsync(url, $"Receiver {i}", source: SourceAddress.Next());
        client.Connection.Remove("MessagePosted");
        client.Connection.On<MessageDto>("MessagePosted", m =>
        {
            var now = Stopwatch.GetTimestamp();
            if (m.Text.StartsWith("warm", StringComparison.Ordinal))
            {
                Interlocked.Increment(ref warmDelivered);
                return;
            }
            var sent = long.Parse(m.Text.AsSpan(m.Text.IndexOf(':') + 1), CultureInfo.InvariantCulture);
            var ms = Stopwatch.GetElapsedTime(sent, now).TotalMilliseconds;
            Interlocked.Increment(ref histogram[Math.Min(histogram.Length - 1, (int)(ms / BucketMs))]);
            Interlocked.Increment(ref delivered);
            Interlocked.Exchange(ref lastDeliveryTicks, now);
        });
        await client.OpenChannelAsync("general");
        return client;
    }));
    receivers.AddRange(group);
}
Console.WriteLine($"connected {receivers.Count} receivers in {connectWatch.Elapsed.TotalSeconds:0.0} s");

await using var sender = await ChatClient.ConnectAsync(url, "Sender");
// Warm-up at the same rate (JIT, thread pool growth, connection buffers); not counted.
var warmCount = rate * warmup;
await Task.WhenAll(await SendPacedAsync(warmCount, i => "warm:" + i));
// Measure from a quiet start: every warm-up message has reached every receiver.
await Probe.UntilAsync(() => Task.FromResult(Interlocked.Read(ref warmDelivered) >= (long)warmCount * clients),
    TimeSpan.FromSeconds(60), "the warm-up messages to be delivered");

var total = rate * seconds;
var start = Stopwatch.GetTimestamp();
var acks = await SendPacedAsync(total, _ => $"bench:{Stopwatch.GetTimestamp()}");
var sendSeconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
var refused = 0;
foreach (var ack in acks)
{
    try
    {
        await ack;
    }
    catch (Exception e)
    {
        if (refused++ == 0) Console.WriteLine("first refused post: " + e.Message);
    }
}
var stored = total - refused;

var expected = (long)stored * clients;
var drainDeadline = Stopwatch.GetTimestamp() + Stopwatch.Frequency * 30;
while (Interlocked.Read(ref delivered) < expected && Stopwatch.GetTimestamp() < drainDeadline) await Task.Delay(50);
var elapsed = Stopwatch.GetElapsedTime(start, Interlocked.Read(ref lastDeliveryTicks)).TotalSeconds;

double Percentile(double p)
{
    var target = (long)Math.Ceiling(Interlocked.Read(ref delivered) * p);
    long seen = 0;
    for (var b = 0; b < histogram.Length; b++)
    {
        seen += histogram[b];
        if (seen >= target) return (b + 1) * BucketMs;
    }
    return double.NaN;
}

Console.WriteLine($"sent {total} in {sendSeconds:0.00} s ({total / sendSeconds:0} msg/s); {refused} not acknowledged");
Console.WriteLine($"delivered {delivered} of {expected} ({expected - delivered} missing) in {elapsed:0.00} s = {delivered / elapsed:0} msg/s");
Console.WriteLine($"latency p50 {Percentile(0.50):0.00} ms, p99 {Percentile(0.99):0.00} ms, p99.9 {Percentile(0.999):0.00} ms");
if (server is not null)
{
    var status = File.ReadAllLines($"/proc/{server.Pid}/status");
    var peak = status.First(l => l.StartsWith("VmHWM:", StringComparison.Ordinal));
    var stat = File.ReadAllText($"/proc/{server.Pid}/stat").Split(' ');
    var cpuSeconds = (long.Parse(stat[13]) + long.Parse(stat[14])) / 100.0;
    Console.WriteLine($"server peak memory {peak["VmHWM:".Length..].Trim()}; server CPU {cpuSeconds:0.0} s");
}

foreach (var r in receivers) await r.DisposeAsync();
if (server is not null) await server.StopAsync();

// Posts count messages at the configured rate, paced against the start time so timer jitter does not lower it.
async Task<List<Task>> SendPacedAsync(int count, Func<int, string> text)
{
    var interval = TimeSpan.FromSeconds(1.0 / rate);
    var begin = Stopwatch.GetTimestamp();
    var calls = new List<Task>(count);
    for (var i = 0; i < count; i++)
    {
        var wait = TimeSpan.FromTicks(interval.Ticks * i) - Stopwatch.GetElapsedTime(begin);
        if (wait > TimeSpan.FromMilliseconds(1)) await Task.Delay(wait);
        calls.Add(sender.Connection.InvokeAsync<MessageDto>("PostMessage", "general", text(i), $"bench-{i}-{begin}"));
    }
    return calls;
}

int Arg(string name, int fallback) => ArgString(name) is { } v ? int.Parse(v, CultureInfo.InvariantCulture) : fallback;

string? ArgString(string name)
{
    var i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
}

using OpenTelemetry.Metrics;
using System.Diagnostics;
using System.Net;
using System.Security.Cryptography;
using OpenChat.Rtc.Rtp;
using OpenChat.Rtc.Srtp;
using OpenChat.Rtc.Transport;

// Plain Stopwatch benchmark of the SRTP hot path and of the endpoint's receive loop.
// Run in Release: dotnet run -c Release --project tools/RtcBench [-- runs] [srtp|receive|handshakes ...]
int runs = args.Length > 0 && int.TryParse(args[0], out var r) ? r : 7;
var parts = args.Where(a => !int.TryParse(a, out _)).ToHashSet();
bool Part(string name) => parts.Count == 0 || parts.Contains(name);
// OPENCHAT_BENCH_METRICS=1 collects every OpenChat meter with the OpenTelemetry SDK once a second, as a node that
// exports metrics does, so that a run shows what measuring costs.
using var metrics = Environment.GetEnvironmentVariable("OPENCHAT_BENCH_METRICS") == "1"
    ? OpenTelemetry.Sdk.CreateMeterProviderBuilder().AddMeter("OpenChat.*")
        .AddInMemoryExporter(new List<OpenTelemetry.Metrics.Metric>(), reader => reader.PeriodicExportingMetricReaderOptions.ExportIntervalMilliseconds = 1000)
        .Build()
    : null;
Console.WriteLine($"metrics collected: {(metrics is null ? "no" : "yes (OpenTelemetry SDK, every second)")}");
Console.WriteLine($".NET {Environment.Version}, {Environment.ProcessorCount} logical cores, {runs} runs, medians reported");

foreach (var profile in Part("srtp") ? new[] { SrtpProfile.Aes128CmHmacSha1_80, SrtpProfile.AeadAes128Gcm } : [])
{
    var (ns, cpuNs, bytes) = MeasureSrtp(profile, runs);
    Console.WriteLine($"SRTP {profile,-22} protect+unprotect, 100-byte Opus payload: {ns,7:0.0} ns/packet wall, {cpuNs,7:0.0} ns/packet CPU, {bytes:0.##} bytes allocated/packet");
}

foreach (var profile in Part("receive") ? new[] { SrtpProfile.Aes128CmHmacSha1_80, SrtpProfile.AeadAes128Gcm } : [])
{
    var (pps, cpuUs, allocated) = await MeasureReceiveLoop(profile, runs);
    // Process CPU includes the sender's sendto calls and its spin-wait flow control, so only the rate is reported.
    _ = cpuUs;
    Console.WriteLine($"Endpoint receive loop ({profile}): {pps,9:0} packets/s received, unprotected and handed on; " +
        $"{allocated:0.##} bytes allocated/packet (whole process)");
}

if (Part("handshakes"))
{
    var (server, client, wall) = await MeasureHandshakes(200);
    Console.WriteLine($"DTLS handshake (ECDSA P-256 certificates, {200} one after another): server {Percentiles(server)} CPU on its handshake thread; " +
        $"client {Percentiles(client)}; offer to connected {Percentiles(wall)} wall");
}

static TimeSpan Cpu() => Process.GetCurrentProcess().TotalProcessorTime;

static string Percentiles(List<double> seconds)
{
    seconds.Sort();
    return $"p50 {seconds[seconds.Count / 2] * 1000:0.00} ms, p90 {seconds[seconds.Count * 9 / 10] * 1000:0.00} ms";
}

// Each handshake's CPU time is read on its own thread (CLOCK_THREAD_CPUTIME_ID), so the client's share and other
// threads are not counted; the first 20 warm up the JIT and are not reported.
static async Task<(List<double> Server, List<double> Client, List<double> Wall)> MeasureHandshakes(int count)
{
    using var endpoint = new RtcEndpoint(new RtcEndpointOptions { BindAddress = IPAddress.Loopback });
    var client = new RtcClient();
    var (server, clientCpu, wall) = (new List<double>(), new List<double>(), new List<double>());
    for (int i = -20; i < count; i++)
    {
        var sw = Stopwatch.StartNew();
        using var session = client.CreateSession();
        var answer = endpoint.AcceptOffer(session.Offer);
        await session.ConnectAsync(answer.Sdp);
        while (answer.Session.HandshakeCpuSeconds is null || session.HandshakeCpuSeconds is null) await Task.Delay(1);
        sw.Stop();
        if (i < 0) continue;
        server.Add(answer.Session.HandshakeCpuSeconds!.Value);
        clientCpu.Add(session.HandshakeCpuSeconds!.Value);
        wall.Add(sw.Elapsed.TotalSeconds);
    }
    return (server, clientCpu, wall);
}

static (double Ns, double CpuNs, double Bytes) MeasureSrtp(SrtpProfile profile, int runs)
{
    var key = RandomNumberGenerator.GetBytes(SrtpProfileInfo.MasterKeyLength(profile));
    var salt = RandomNumberGenerator.GetBytes(SrtpProfileInfo.MasterSaltLength(profile));
    using var tx = new SrtpContext(profile, key, salt);
    using var rx = new SrtpContext(profile, key, salt);
    var payload = RandomNumberGenerator.GetBytes(100);
    var buffer = new byte[256];
    ushort seq = 0;
    const int iterations = 200_000;

    void Once()
    {
        int h = RtpWriter.WriteHeader(buffer, false, 111, seq++, 0, 0x11223344);
        payload.CopyTo(buffer.AsSpan(h));
        if (!tx.ProtectRtp(buffer, h + payload.Length, out int len) || !rx.UnprotectRtp(buffer.AsSpan(0, len), out _))
        {
            throw new InvalidOperationException("SRTP round trip failed");
        }
    }

    for (int i = 0; i < 50_000; i++)
    {
        Once(); // warm up the JIT (tiered compilation) and the crypto providers
    }
    var ns = new List<double>();
    var cpu = new List<double>();
    var bytes = new List<double>();
    for (int run = 0; run < runs; run++)
    {
        long allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
        var cpuBefore = Cpu();
        var sw = Stopwatch.StartNew();
        for (int i = 0; i < iterations; i++)
        {
            Once();
        }
        sw.Stop();
        cpu.Add((Cpu() - cpuBefore).TotalNanoseconds / iterations);
        bytes.Add((GC.GetAllocatedBytesForCurrentThread() - allocatedBefore) / (double)iterations);
        ns.Add(sw.Elapsed.TotalNanoseconds / iterations);
    }
    return (Median(ns), Median(cpu), Median(bytes));
}

static async Task<(double Pps, double CpuUs, double Bytes)> MeasureReceiveLoop(SrtpProfile profile, int runs)
{
    using var endpoint = new RtcEndpoint(new RtcEndpointOptions { BindAddress = IPAddress.Loopback, SrtpProfiles = [profile, SrtpProfile.Aes128CmHmacSha1_80] });
    var client = new RtcClient(new RtcClientOptions { SrtpProfiles = [profile, SrtpProfile.Aes128CmHmacSha1_80] });
    var clientSession = client.CreateSession();
    long received = 0;
    var answer = endpoint.AcceptOffer(clientSession.Offer, new RtcSessionOptions
    {
        AudioReceived = (s, in frame) => Interlocked.Increment(ref received),
    });
    await clientSession.ConnectAsync(answer.Sdp);
    while (answer.Session.State != RtcSessionState.Connected)
    {
        await Task.Delay(10);
    }

    // Pre-protect the packets so the timed part is the server side: recvfrom, demux, unprotect, callback.
    const int packets = 100_000;
    const int burst = 200;
    var payload = RandomNumberGenerator.GetBytes(100);
    var wire = new byte[packets][];
    var scratch = new byte[1500];
    for (int i = 0; i < packets; i++)
    {
        if (!clientSession.TryBuildAudioPacket(payload, (uint)(i * 960), false, 40, scratch, out int len))
        {
            throw new InvalidOperationException("could not build packet");
        }
        wire[i] = scratch[..len];
    }

    var rates = new List<double>();
    var cpus = new List<double>();
    var allocations = new List<double>();
    int next = 0;
    int perRun = packets / (runs + 1);
    for (int run = -1; run < runs; run++) // run -1 warms up
    {
        long start = Interlocked.Read(ref received);
        long allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
        var cpuBefore = Cpu();
        var sw = Stopwatch.StartNew();
        for (int i = 0; i < perRun; i++)
        {
            clientSession.Send(wire[next++]);
            if (i % burst == burst - 1)
            {
                // Keep at most a burst in flight so the socket buffer never overflows.
                long target = start + i + 1 - burst / 2;
                while (Interlocked.Read(ref received) < target)
                {
                    Thread.SpinWait(20);
                }
            }
        }
        long expected = start + perRun;
        while (Interlocked.Read(ref received) < expected && sw.ElapsedMilliseconds < 30_000)
        {
            Thread.SpinWait(20);
        }
        sw.Stop();
        long got = Interlocked.Read(ref received) - start;
        if (run >= 0)
        {
            rates.Add(got / sw.Elapsed.TotalSeconds);
            cpus.Add((Cpu() - cpuBefore).TotalMicroseconds / got);
            allocations.Add((GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore) / (double)got);
        }
    }
    clientSession.Dispose();
    return (Median(rates), Median(cpus), Median(allocations));
}

static double Median(List<double> values)
{
    values.Sort();
    return values[values.Count / 2];
}

using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using OpenChat.Rtc.Transport;

namespace OpenChat.MediaFlood;

/// <summary>What a flood did to the call and the process.</summary>
public sealed record FloodResult(
    int Datagrams,
    double Seconds,
    long EndpointRead,
    long ReceiveErrors,
    IReadOnlyList<(string Member, double LongestGapMs, int LongestMissingRun, int Heard, long InboundLostReported)> Members,
    IReadOnlyList<string> MemberSessionsClosed,
    IReadOnlyList<string> OtherSessionsClosed,
    bool NewMemberConnected,
    long ManagedBytesBefore,
    long ManagedBytesAfter,
    long WorkingSetBefore,
    long WorkingSetAfter,
    long GcCommittedBefore,
    long GcCommittedAfter,
    double AllocatedBytesPerDatagram,
    string EndpointCounters)
{
    public double ManagedGrowthMiB => (ManagedBytesAfter - ManagedBytesBefore) / 1024.0 / 1024.0;

    public IEnumerable<string> Lines()
    {
        yield return $"{Datagrams:N0} datagrams in {Seconds:0.0} s ({Datagrams / Seconds:N0}/s); the endpoint read {EndpointRead:N0}; receive errors {ReceiveErrors}";
        foreach (var m in Members)
        {
            yield return $"  {m.Member}: heard {m.Heard} packets during and after the flood, longest gap between arrivals {m.LongestGapMs:0} ms, " +
                $"longest run of missing packets {m.LongestMissingRun} ({m.LongestMissingRun * 20} ms), inbound loss the node reported {m.InboundLostReported}";
        }
        yield return $"  member sessions closed: {MemberSessionsClosed.Count} {string.Join("; ", MemberSessionsClosed)}";
        yield return $"  other sessions closed (the captured one): {OtherSessionsClosed.Count} {string.Join("; ", OtherSessionsClosed)}";
        yield return $"  a new member connected after the flood: {NewMemberConnected}";
        yield return $"  managed memory after full GC {ManagedBytesBefore / 1024.0 / 1024.0:0.0} MiB -> {ManagedBytesAfter / 1024.0 / 1024.0:0.0} MiB " +
            $"({(ManagedGrowthMiB >= 0 ? "+" : "")}{ManagedGrowthMiB:0.0} MiB); working set {WorkingSetBefore / 1024.0 / 1024.0:0} MiB -> {WorkingSetAfter / 1024.0 / 1024.0:0} MiB, " +
            $"of which the GC had committed {GcCommittedBefore / 1024.0 / 1024.0:0} MiB -> {GcCommittedAfter / 1024.0 / 1024.0:0} MiB";
        yield return $"  allocated per datagram (whole process, call included) {AllocatedBytesPerDatagram:0.0} bytes";
        yield return $"  endpoint: {EndpointCounters}";
    }
}

/// <summary>Runs a flood against a live call of three members and measures the damage.</summary>
public static class FloodRun
{
    public static async Task<FloodResult> RunAsync(int datagrams, int perSecond, int strangerSockets = 64)
    {
        using var call = await FloodCall.StartAsync();
        using var capture = await SessionCapture.RecordAsync(call.Endpoint, IPAddress.Parse("127.0.14.9"), IPAddress.Parse("127.0.14.10"));
        capture.StopRelay();
        var seeds = capture.Datagrams;
        var strangers = new List<Socket>();
        try
        {
            for (int i = 0; i < strangerSockets; i++)
            {
                var s = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
                s.Bind(new IPEndPoint(IPAddress.Parse($"127.0.15.{1 + i % 4}"), 0));
                strangers.Add(s);
            }
            await Until(() => call.Members.All(m => m.Received >= 50), TimeSpan.FromSeconds(30), "the members to hear each other");

            var stats = call.Endpoint.Statistics;
            long readBefore = stats.DatagramsReceived;
            long managedBefore = FullGc();
            long workingSetBefore = Environment.WorkingSet;
            long committedBefore = GC.GetGCMemoryInfo().TotalCommittedBytes;
            var heardBefore = call.Members.Select(m => m.Received).ToArray();
            long allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);

            var flooder = new Flooder(seeds, capture.Relay, strangers, call.Endpoint.LocalEndPoint, 20261206);
            double seconds = await Task.Factory.StartNew(() => flooder.Run(datagrams, perSecond), TaskCreationOptions.LongRunning);
            long allocatedAfter = GC.GetTotalAllocatedBytes(precise: true);

            // The endpoint still takes a new member, and the call goes on for another second.
            var (connected, probe) = await ConnectNewMember(call.Endpoint);
            var heardAtEnd = call.Members.Select(m => m.Received).ToArray();
            await Until(() => call.Members.Select((m, i) => m.Received >= heardAtEnd[i] + 50).All(x => x), TimeSpan.FromSeconds(30),
                "the members to hear another second of audio");
            long managedAfter = FullGc();
            long workingSetAfter = Environment.WorkingSet;
            long committedAfter = GC.GetGCMemoryInfo().TotalCommittedBytes;

            var members = call.Members.Select((m, i) =>
            {
                var (gap, missing) = m.Gaps(heardBefore[i], m.Received);
                return ($"member {m.Address}", gap, missing, m.Received - heardBefore[i], (long)m.Session.Statistics.RemoteCumulativeLost);
            }).ToList();
            List<string> memberClosed, otherClosed;
            lock (call.ClosedSessions)
            {
                memberClosed = call.ClosedSessions.Where(c => c.Session != capture.Server && c.Session != probe).Select(c => c.Reason).ToList();
                otherClosed = call.ClosedSessions.Where(c => c.Session == capture.Server).Select(c => c.Reason).ToList();
            }
            string counters = $"unknown source {stats.DroppedUnknownSource:N0}, unclassified {stats.DroppedUnclassified:N0}, " +
                $"STUN malformed {stats.StunMalformed:N0}, rejected {stats.StunRejected:N0}, answered {stats.StunAnswered:N0}, " +
                $"cookie exchanges {stats.DtlsCookieExchanges:N0}, handshakes refused {stats.HandshakesRefused:N0}, " +
                $"path checks {stats.PathChecksSent:N0}, paths validated {stats.PathsValidated:N0}, DTLS off path {stats.DtlsOffPath:N0}, " +
                $"ClientHello fragments refused {stats.DtlsMalformed:N0}, sessions {call.Endpoint.SessionCount}, handshakes running {call.Endpoint.ActiveHandshakes}";
            return new FloodResult(datagrams, seconds, stats.DatagramsReceived - readBefore, stats.ReceiveErrors, members, memberClosed, otherClosed,
                connected, managedBefore, managedAfter, workingSetBefore, workingSetAfter, committedBefore, committedAfter,
                (allocatedAfter - allocatedBefore) / (double)datagrams, counters);
        }
        finally
        {
            foreach (var s in strangers)
            {
                s.Dispose();
            }
        }
    }

    private static async Task<(bool Connected, RtcSession Session)> ConnectNewMember(RtcEndpoint endpoint)
    {
        using var session = new RtcClient(new RtcClientOptions { BindAddress = IPAddress.Parse("127.0.14.20") }).CreateSession();
        var answer = endpoint.AcceptOffer(session.Offer);
        try
        {
            await session.ConnectAsync(answer.Sdp).WaitAsync(TimeSpan.FromSeconds(30));
            return (true, answer.Session);
        }
        catch (Exception)
        {
            return (false, answer.Session);
        }
        finally
        {
            answer.Session.Close("probe done");
        }
    }

    private static long FullGc()
    {
        for (int i = 0; i < 3; i++)
        {
            GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
            GC.WaitForPendingFinalizers();
        }
        return GC.GetTotalMemory(forceFullCollection: true);
    }

    internal static async Task Until(Func<bool> condition, TimeSpan timeout, string what)
    {
        var deadline = Stopwatch.StartNew();
        while (!condition())
        {
            if (deadline.Elapsed > timeout)
            {
                throw new TimeoutException($"Timed out after {timeout.TotalSeconds:0} s waiting for {what}.");
            }
            await Task.Delay(20);
        }
    }
}

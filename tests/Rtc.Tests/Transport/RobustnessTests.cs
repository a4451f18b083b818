using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using OpenChat.Rtc.Dtls;
using OpenChat.Rtc.Ice;
using OpenChat.Rtc.Rtp;
using OpenChat.Rtc.Stun;
using OpenChat.Rtc.Transport;
using Xunit;
using Xunit.Abstractions;

namespace OpenChat.Rtc.Tests.Transport;

/// <summary>200,000 random and mutated datagrams at the node's socket while a session carries audio.</summary>
[Collection(NetworkCollection.Name)]
public class RobustnessTests(ITestOutputHelper output)
{
    private const int Datagrams = 200_000;
    private const int Batch = 250;

    /// <summary>A peer we drive by hand: its own socket, ICE credentials from an offer we wrote ourselves.</summary>
    private sealed class RawPeer : IDisposable
    {
        public readonly Socket Socket = new(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        public readonly IceCredentials Ice = IceCredentials.Generate();
        public IceCredentials Remote = null!;
        public RtcSession Session = null!;

        public RawPeer(RtcEndpoint endpoint)
        {
            Socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            var offer = new RtcClient().CreateSession();
            var sdp = offer.Offer
                .Replace(ExtractLine(offer.Offer, "a=ice-ufrag:"), "a=ice-ufrag:" + Ice.Ufrag)
                .Replace(ExtractLine(offer.Offer, "a=ice-pwd:"), "a=ice-pwd:" + Ice.Password);
            offer.Dispose();
            var answer = endpoint.AcceptOffer(sdp);
            Session = answer.Session;
            Remote = new IceCredentials(ExtractLine(answer.Sdp, "a=ice-ufrag:")["a=ice-ufrag:".Length..],
                ExtractLine(answer.Sdp, "a=ice-pwd:")["a=ice-pwd:".Length..]);
        }

        private static string ExtractLine(string sdp, string prefix) =>
            sdp.Split("\r\n").First(l => l.StartsWith(prefix, StringComparison.Ordinal));

        public byte[] Check(out StunTransactionId id)
        {
            id = StunTransactionId.NewRandom();
            var buffer = new byte[256];
            int n = IceBinding.WriteRequest(buffer, id, Ice, Remote, 12345, 42, useCandidate: true);
            return buffer[..n];
        }

        /// <summary>Sends a valid check and waits for its answer: proves the endpoint has read everything sent before.</summary>
        public async Task<bool> RoundTrip(IPEndPoint endpoint, TimeSpan timeout)
        {
            var request = Check(out var id);
            Socket.SendTo(request, endpoint);
            var buffer = new byte[2048];
            using var cts = new CancellationTokenSource(timeout);
            try
            {
                while (true)
                {
                    var r = await Socket.ReceiveFromAsync(buffer, SocketFlags.None, new IPEndPoint(IPAddress.Any, 0), cts.Token);
                    if (StunMessage.TryParse(buffer.AsSpan(0, r.ReceivedBytes), out var m) && m.TransactionId == id)
                    {
                        return true;
                    }
                }
            }
            catch (OperationCanceledException)
            {
                return false;
            }
        }

        public void Dispose() => Socket.Dispose();
    }

    private static List<byte[]> Seeds(RawPeer fuzzPeer)
    {
        var seeds = new List<byte[]>
        {
            fuzzPeer.Check(out _),
            Rfc5769(),
            // DTLS handshake record with a ClientHello header (whole and fragmented).
            Hex.Parse("16 fefd 0000 000000000000 0030 01 00002c 0000 000000 00002c fefd" + new string('a', 64) + "000002c02b0100"),
            Hex.Parse("16 fefd 0000 000000000001 0020 01 000400 0000 000000 000014 fefd" + new string('b', 40)),
            // DTLS application data and alert records.
            Hex.Parse("17 fefd 0001 000000000005 0010" + new string('c', 32)),
            Hex.Parse("15 fefd 0001 000000000006 0002 0100"),
            // RTCP receiver report with a fake SRTCP trailer.
            Hex.Parse("81c90007 00000001 00000002 00000000 00000064 00000000 00000000 00000000 80000001 0102030405060708090a"),
        };
        // An RTP packet with an audio level extension and a fake tag.
        var rtp = new byte[120];
        int h = RtpWriter.WriteHeader(rtp, true, 111, 1000, 48000, 0x01020304, hasExtension: true);
        var ext = new RtpHeaderExtensionWriter(rtp.AsSpan(h));
        ext.AddAudioLevel(1, 40, true);
        h += ext.Complete();
        Random.Shared.NextBytes(rtp.AsSpan(h));
        seeds.Add(rtp);
        return seeds;
    }

    private static byte[] Rfc5769() => (byte[])Stun.Rfc5769VectorTests.SampleRequest.Clone();

    private static byte[] Mutate(Random rng, List<byte[]> seeds)
    {
        while (true)
        {
            var d = MutateOnce(rng, seeds, out var seed);
            // An exact copy of the valid check would legitimately bind the stranger's address (a replayed ICE check).
            if (!d.AsSpan().SequenceEqual(seed))
            {
                return d;
            }
        }
    }

    private static byte[] MutateOnce(Random rng, List<byte[]> seeds, out byte[] seed)
    {
        seed = [];
        int kind = rng.Next(10);
        if (kind == 0)
        {
            var random = new byte[rng.Next(0, 1400)];
            rng.NextBytes(random);
            return random;
        }
        seed = seeds[rng.Next(seeds.Count)];
        var d = (byte[])seed.Clone();
        switch (kind)
        {
            case 1:
                return d[..rng.Next(0, d.Length)]; // truncated
            case 2:
                var longer = new byte[d.Length + rng.Next(1, 600)];
                d.CopyTo(longer, 0);
                rng.NextBytes(longer.AsSpan(d.Length));
                return longer;
            case 3:
                d[0] = (byte)rng.Next(256); // another protocol class by first byte
                return d;
            case 4:
                if (d.Length > 4)
                {
                    // length fields of STUN, DTLS and RTP extensions live in the first bytes
                    int at = rng.Next(1, Math.Min(d.Length, 26));
                    d[at] = rng.Next(2) == 0 ? (byte)0xFF : (byte)0x00;
                }
                return d;
            default:
                int flips = rng.Next(1, 9);
                for (int i = 0; i < flips && d.Length > 0; i++)
                {
                    d[rng.Next(d.Length)] ^= (byte)(1 << rng.Next(8));
                }
                return d;
        }
    }

    [Fact]
    public async Task Fuzzed_datagrams_never_break_the_endpoint_and_the_live_session_keeps_its_audio()
    {
        var sw = Stopwatch.StartNew();
        var options = new RtcEndpointOptions
        {
            BindAddress = IPAddress.Loopback,
            AcceptRemote = ep => IPAddress.IsLoopback(ep.Address),
            ConnectTimeout = TimeSpan.FromMinutes(5),
        };
        var atServer = new LoopbackTests.Collector(int.MaxValue);
        var (endpoint, server, client) = await LoopbackTests.Connect(options, null, new RtcSessionOptions { AudioReceived = atServer.OnAudio });
        using var _ = endpoint;
        using var fuzz = new RawPeer(endpoint);
        using var probe = new RawPeer(endpoint);
        Assert.True(await fuzz.RoundTrip(endpoint.LocalEndPoint, TimeSpan.FromSeconds(5)));
        Assert.True(await probe.RoundTrip(endpoint.LocalEndPoint, TimeSpan.FromSeconds(5)));
        var seeds = Seeds(fuzz);
        var rng = new Random(20261125);

        // Audio keeps flowing, paced like a real call, for the whole run. A dedicated thread paces it so a busy
        // thread pool on a loaded machine cannot starve the live session into a consent timeout.
        int sent = 0;
        var stopAudio = new ManualResetEventSlim();
        var audio = new Thread(() =>
        {
            while (!stopAudio.Wait(20))
            {
                if (client.SendAudio(LoopbackTests.Payload(sent), (uint)(sent * 960)))
                {
                    Interlocked.Increment(ref sent);
                }
            }
        }) { IsBackground = true, Name = "paced-audio" };
        audio.Start();

        GC.Collect();
        GC.WaitForPendingFinalizers();
        long memoryBefore = GC.GetTotalMemory(forceFullCollection: true);
        var target = endpoint.LocalEndPoint;
        var intruder = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        intruder.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        int lostProbes = 0;
        for (int i = 0; i < Datagrams; i++)
        {
            var datagram = Mutate(rng, seeds);
            // Half from an address the fuzz session has authorised, half from a stranger.
            (i % 2 == 0 ? fuzz.Socket : intruder).SendTo(datagram, target);
            if (i % Batch == Batch - 1 && !await probe.RoundTrip(target, TimeSpan.FromSeconds(5)))
            {
                lostProbes++;
            }
        }
        intruder.Dispose();
        Assert.True(await probe.RoundTrip(target, TimeSpan.FromSeconds(10)), "endpoint stopped answering");
        stopAudio.Set();
        audio.Join();
        await atServer.WhenCount(Volatile.Read(ref sent)).WaitAsync(TimeSpan.FromSeconds(10));
        GC.Collect();
        GC.WaitForPendingFinalizers();
        long memoryAfter = GC.GetTotalMemory(forceFullCollection: true);

        var stats = endpoint.Statistics;
        output.WriteLine($"{Datagrams} datagrams in {sw.Elapsed.TotalSeconds:0.0} s; endpoint read {stats.DatagramsReceived}, " +
            $"unknown source {stats.DroppedUnknownSource}, unclassified {stats.DroppedUnclassified}, STUN malformed {stats.StunMalformed}, " +
            $"rejected {stats.StunRejected}, cookie exchanges {stats.DtlsCookieExchanges}, receive errors {stats.ReceiveErrors}; " +
            $"lost probes {lostProbes}; fuzz session {fuzz.Session.State} ({fuzz.Session.CloseReason}); " +
            $"audio sent {sent}, received {atServer.Count}; memory {memoryBefore / 1024} KiB -> {memoryAfter / 1024} KiB");

        Assert.Equal(0, stats.ReceiveErrors);
        Assert.Equal(RtcSessionState.Connected, server.State);
        Assert.Equal(sent, atServer.Count);
        Assert.True(sent > 0);
        Assert.Equal(0, server.Statistics.SrtpRejected);
        Assert.True(memoryAfter - memoryBefore < 16 * 1024 * 1024, $"memory grew by {(memoryAfter - memoryBefore) / 1024} KiB");
        Assert.InRange(endpoint.SessionCount, 2, 3); // the live session, the probe, maybe the fuzzed one
        // Between two probes the endpoint's socket receives one batch: 250 datagrams of at most 2 KB, well within
        // its receive buffer (RtcEndpointOptions.ReceiveBufferSize, 4 MiB), so the kernel drops none of them and
        // the probe waits behind at most 250 datagrams, which the endpoint reads in milliseconds. Each probe waits
        // 5 s for its answer: one that goes unanswered means the endpoint stopped reading for that long or refused
        // a valid check among the noise.
        Assert.True(lostProbes == 0, $"{lostProbes} of {Datagrams / Batch} probes went unanswered");
        client.Dispose();
    }
}

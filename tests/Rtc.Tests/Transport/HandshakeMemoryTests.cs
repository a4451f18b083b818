using System.Buffers.Binary;
using System.Net;
using OpenChat.Rtc.Transport;
using OpenChat.TestSupport;
using Xunit;
using Xunit.Abstractions;

namespace OpenChat.Rtc.Tests.Transport;

/// <summary>Tests that measure the process's memory run alone, after every other test.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class MemoryCollection
{
    public const string Name = "memory";
}

/// <summary>
/// What a handshake that never finishes can pin. BouncyCastle reassembles each handshake message into a buffer of
/// the length its fragment header declares, for the 16 message sequence numbers ahead of the one it expects; it
/// drops a declared length over 32,768 bytes. These tests hold that bound to about 0.6 MiB per handshake, so a
/// library upgrade that lifts it fails here, and check the per-address cap on handshakes.
/// </summary>
[Collection(MemoryCollection.Name)]
public class HandshakeMemoryTests(ITestOutputHelper output)
{
    private const double MaxKeptPerHandshake = 0.6 * 1024 * 1024;
    private static readonly IPAddress Attacker = IPAddress.Parse("127.0.13.1");
    private static readonly IPAddress SecondAttacker = IPAddress.Parse("127.0.13.3");
    private static readonly IPAddress Bystander = IPAddress.Parse("127.0.13.2");

    /// <summary>A handshake record (epoch 0) with one fragment of a message declaring <paramref name="length"/> bytes.</summary>
    private static byte[] Fragment(ulong recordSeq, int messageSeq, int length)
    {
        var d = new byte[13 + 12 + 1];
        d[0] = 22;
        d[1] = 0xfe;
        d[2] = 0xfd;
        BinaryPrimitives.WriteUInt16BigEndian(d.AsSpan(3), 0);
        d[5] = (byte)(recordSeq >> 40);
        d[6] = (byte)(recordSeq >> 32);
        BinaryPrimitives.WriteUInt32BigEndian(d.AsSpan(7), (uint)recordSeq);
        BinaryPrimitives.WriteUInt16BigEndian(d.AsSpan(11), 12 + 1);
        var m = d.AsSpan(13);
        m[0] = 11; // certificate, the message a client sends next
        m[1] = (byte)(length >> 16);
        m[2] = (byte)(length >> 8);
        m[3] = (byte)length;
        BinaryPrimitives.WriteUInt16BigEndian(m[4..], (ushort)messageSeq);
        // fragment offset 0, fragment length 1
        m[11] = 1;
        d[^1] = 0x42;
        return d;
    }

    private static long LiveBytes()
    {
        for (int i = 0; i < 3; i++)
        {
            GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
            GC.WaitForPendingFinalizers();
        }
        return GC.GetTotalMemory(forceFullCollection: true);
    }

    [Fact]
    public async Task Stalled_handshakes_keep_at_most_0_6_MiB_each_and_are_capped_per_client_address()
    {
        var options = new RtcEndpointOptions
        {
            BindAddress = IPAddress.Loopback,
            AcceptRemote = ep => IPAddress.IsLoopback(ep.Address),
            HandshakeTimeout = TimeSpan.FromMinutes(2),
            ConnectTimeout = TimeSpan.FromMinutes(5),
        };
        using var endpoint = new RtcEndpoint(options);
        int cap = options.MaxHandshakesPerAddress;
        Assert.Equal(4, cap);

        // Up to the cap, sessions from each of two addresses pass ICE and the cookie exchange and start a handshake; their
        // client sends only its ClientHellos, so each handshake waits for a flight that never comes.
        var stalled = new List<ScriptedPeer>();
        try
        {
            for (int i = 0; i < 2 * cap; i++)
            {
                var peer = ScriptedPeer.ForNewSession(endpoint, i < cap ? Attacker : SecondAttacker);
                stalled.Add(peer);
                Assert.True(await peer.RoundTrip(useCandidate: true, TimeSpan.FromSeconds(5)));
                _ = peer.StartDtlsClient(sendFilter: ScriptedPeer.IsClientHello, timeoutMillis: 120_000);
                await Probe.UntilAsync(() => Task.FromResult(Volatile.Read(ref peer.ServerHellos) > 0), TimeSpan.FromSeconds(20),
                    "the server's first flight");
            }
            Assert.Equal(2 * cap, endpoint.ActiveHandshakes);
            foreach (var peer in stalled)
            {
                peer.StopDtlsClient(); // only the server's handshake state stays in this process
            }
            int dtlsBefore = stalled.Sum(p => p.DtlsReceived);

            // Each handshake's share is measured on its own: the live memory the junk for one session adds. Whatever else
            // in the process becomes live during one measurement (a runtime thread, a timer, a test that ran before) shows
            // in that share only, so the bound is checked on the median of the eight shares, which such outliers in up
            // to three of them cannot move above the largest true share.
            var kept = new List<long>();
            ulong recordSeq = 100;
            foreach (var peer in stalled)
            {
                long before = LiveBytes();
                // Every message sequence number the reassembler could hold, each first with lengths over the largest
                // kept, then with the largest kept (32,768).
                var junk = new List<byte[]>();
                for (int seq = 0; seq < 32; seq++)
                {
                    foreach (int length in new[] { 0xFFFFFF, 65_536, 32_769, 32_768 })
                    {
                        junk.Add(Fragment(recordSeq++, seq, length));
                    }
                }
                junk.Add(Fragment(recordSeq++, 2, 32_768)); // read last: once the queue is empty, all the rest were processed
                foreach (var batch in junk.Chunk(16))
                {
                    foreach (var d in batch)
                    {
                        peer.Send(d);
                    }
                    await Probe.UntilAsync(() => Task.FromResult(peer.Session!.PendingDtlsDatagrams == 0), TimeSpan.FromSeconds(20),
                        "the handshake to read its queue");
                }
                junk.Clear();
                kept.Add(LiveBytes() - before);
            }
            var sorted = kept.Order().ToArray();
            double perHandshake = (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2.0;
            output.WriteLine($"{stalled.Count} stalled handshakes kept {string.Join(", ", kept.Select(k => $"{k / 1024} KiB"))}; " +
                $"DTLS datagrams the server sent them during the junk {stalled.Sum(p => p.DtlsReceived) - dtlsBefore}; " +
                $"median {perHandshake / 1024:0} KiB per handshake (bound {MaxKeptPerHandshake / 1024:0} KiB)");
            Assert.True(perHandshake <= MaxKeptPerHandshake, $"a stalled handshake keeps {perHandshake / 1024:0} KiB");
            Assert.All(stalled, p => Assert.Equal(RtcSessionState.DtlsHandshaking, p.Session!.State));

            // The next session from the same address passes ICE and returns its cookie, but gets no handshake.
            long refusedBefore = endpoint.Statistics.HandshakesRefused;
            using var extra = ScriptedPeer.ForNewSession(endpoint, Attacker);
            Assert.True(await extra.RoundTrip(useCandidate: true, TimeSpan.FromSeconds(5)));
            _ = extra.StartDtlsClient(timeoutMillis: 120_000);
            await Probe.UntilAsync(() => Task.FromResult(endpoint.Statistics.HandshakesRefused > refusedBefore), TimeSpan.FromSeconds(20),
                "the handshake beyond the per-address cap to be refused");
            Assert.Equal(RtcSessionState.IceConnected, extra.Session!.State);
            Assert.Equal(0, extra.ServerHellos);
            Assert.Equal(2 * cap, endpoint.ActiveHandshakes);

            // Another client address still connects.
            var bystander = new RtcClient(new RtcClientOptions { BindAddress = Bystander }).CreateSession();
            using var __ = bystander;
            var answer = endpoint.AcceptOffer(bystander.Offer);
            await bystander.ConnectAsync(answer.Sdp).WaitAsync(TimeSpan.FromSeconds(30));
            await Probe.UntilAsync(() => Task.FromResult(answer.Session.State == RtcSessionState.Connected), TimeSpan.FromSeconds(20),
                "the other client's session to connect");
        }
        finally
        {
            foreach (var peer in stalled)
            {
                peer.Dispose();
            }
        }
    }
}

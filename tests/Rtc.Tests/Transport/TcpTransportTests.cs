using System.Net;
using System.Net.Sockets;
using OpenChat.Rtc.Ice;
using OpenChat.Rtc.Sdp;
using OpenChat.Rtc.Stun;
using OpenChat.Rtc.Transport;
using OpenChat.TestSupport;
using Xunit;
using Xunit.Abstractions;

namespace OpenChat.Rtc.Tests.Transport;

/// <summary>ICE-TCP (RFC 6544, RFC 4571 framing) on the endpoint's passive candidate, over real TCP sockets on 127.0.0.1.</summary>
[Collection(NetworkCollection.Name)]
public class TcpTransportTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    internal static RtcEndpointOptions TcpOptions(int perAddress = 8, int total = 1000, TimeSpan? idle = null, TimeSpan? quiet = null) => new()
    {
        BindAddress = IPAddress.Loopback,
        AcceptRemote = ep => IPAddress.IsLoopback(ep.Address),
        TcpPort = 0,
        MaxTcpConnectionsPerAddress = perAddress,
        MaxTcpConnections = total,
        TcpIdleTimeout = idle ?? TimeSpan.FromSeconds(10),
        PathQuietThreshold = quiet ?? TimeSpan.FromSeconds(2),
        TimerPeriod = TimeSpan.FromMilliseconds(100),
    };

    [Fact]
    public async Task Client_and_server_exchange_audio_over_tcp_both_ways()
    {
        const int count = 300;
        var serverAudio = new LoopbackTests.Collector(count);
        var clientAudio = new LoopbackTests.Collector(count);
        var (endpoint, server, client) = await LoopbackTests.Connect(TcpOptions(), new RtcClientOptions { UseTcp = true },
            new RtcSessionOptions { AudioReceived = serverAudio.OnAudio }, new RtcSessionOptions { AudioReceived = clientAudio.OnAudio });
        using var _ = endpoint;
        Assert.Equal(RtcTransport.Tcp, server.Transport);
        Assert.Equal(1, endpoint.Statistics.TcpAccepted);
        for (int i = 0; i < count; i++)
        {
            Assert.True(client.SendAudio(LoopbackTests.Payload(i), (uint)(i * 960)));
            Assert.True(server.SendAudio(LoopbackTests.Payload(i), (uint)(i * 960)));
        }
        await Task.WhenAll(serverAudio.Done, clientAudio.Done).WaitAsync(Timeout);
        // TCP keeps order and loses nothing: every packet arrives, in order, intact.
        for (int i = 0; i < count; i++)
        {
            Assert.Equal(LoopbackTests.Payload(i), serverAudio.Frames[i].Payload);
            Assert.Equal(LoopbackTests.Payload(i), clientAudio.Frames[i].Payload);
        }
        Assert.True(server.SendRtcpReport());
        await Probe.UntilAsync(() => Task.FromResult(client.Statistics.RtcpReceived > 0), Timeout, "SRTCP over TCP");
        Assert.Equal(0, endpoint.Statistics.DatagramsReceived);
        Assert.Equal(0, endpoint.Statistics.TcpSendDropped);
        output.WriteLine($"ICE {server.TimeToIceConnected?.TotalMilliseconds:0} ms, connected {server.TimeToConnected?.TotalMilliseconds:0} ms, frames {endpoint.Statistics.TcpFramesReceived}");

        // The client's close_notify travels over TCP too; the session's end closes its connection.
        var closed = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        server.Closed += (_, reason) => closed.TrySetResult(reason);
        client.Dispose();
        output.WriteLine("closed: " + await closed.Task.WaitAsync(Timeout));
        await Probe.UntilAsync(() => Task.FromResult(endpoint.TcpConnectionCount == 0), Timeout, "connection forgotten");
    }

    [Fact]
    public void Answer_offers_a_passive_tcp_candidate_ranked_below_udp()
    {
        using var endpoint = new RtcEndpoint(TcpOptions());
        var client = new RtcClient();
        using var session = client.CreateSession();
        var answer = endpoint.AcceptOffer(session.Offer);
        var candidates = answer.Sdp.Split("\r\n").Where(l => l.StartsWith("a=candidate:", StringComparison.Ordinal))
            .Select(l => { Assert.True(IceCandidate.TryParse(l["a=".Length..], out var c)); return c!; }).ToList();
        Assert.Equal(2, candidates.Count);
        var udp = Assert.Single(candidates, c => c.Transport == "udp");
        var tcp = Assert.Single(candidates, c => c.Transport == "tcp");
        Assert.Equal("passive", tcp.TcpType);
        Assert.Equal(endpoint.TcpLocalEndPoint!.Port, tcp.Port);
        Assert.Equal(IPAddress.Loopback, tcp.Address);
        Assert.True(tcp.Priority < udp.Priority, $"{tcp.Priority} < {udp.Priority}");
        Assert.Contains($"tcp {tcp.Priority} 127.0.0.1 {tcp.Port} typ host tcptype passive", answer.Sdp);
        Assert.NotEqual(tcp.Foundation, udp.Foundation);

        using var udpOnly = new RtcEndpoint(LoopbackTests.LoopbackOptions());
        Assert.Null(udpOnly.TcpLocalEndPoint);
        Assert.DoesNotContain(" tcp ", udpOnly.AcceptOffer(client.CreateSession().Offer).Sdp);
    }

    [Fact]
    public async Task Split_frames_and_several_frames_in_one_write_are_all_answered()
    {
        using var endpoint = new RtcEndpoint(TcpOptions());
        using var peer = RawPeer.ForNewSession(endpoint);
        await peer.ConnectAsync();

        // One check sent a byte at a time, header included.
        var first = peer.Check(out var firstId);
        foreach (byte b in Frame(first))
        {
            peer.Socket.Send([b]);
        }
        Assert.Equal(firstId, (await peer.ReadStunResponseAsync()).TransactionId);

        // Three checks in one write, the last one cut in two writes.
        var ids = new StunTransactionId[3];
        var frames = Enumerable.Range(0, 3).SelectMany(i => Frame(peer.Check(out ids[i]))).ToArray();
        peer.Socket.Send(frames[..^10]);
        peer.Socket.Send(frames[^10..]);
        for (int i = 0; i < 3; i++)
        {
            Assert.Equal(ids[i], (await peer.ReadStunResponseAsync()).TransactionId);
        }
        Assert.Equal(RtcTransport.Tcp, peer.Session.Transport);
        Assert.Equal(4, endpoint.Statistics.TcpFramesReceived);
        Assert.Equal(0, endpoint.Statistics.ReceiveErrors);
    }

    [Fact]
    public async Task Oversize_frame_closes_the_connection_and_its_session()
    {
        using var endpoint = new RtcEndpoint(TcpOptions());
        using var peer = RawPeer.ForNewSession(endpoint);
        await peer.ConnectAsync();
        peer.Socket.Send(Frame(peer.Check(out _)));
        await peer.ReadStunResponseAsync();

        peer.Socket.Send([0x05, 0xDD, 0x80]);   // declares 1501 bytes
        await peer.AssertClosedAsync();
        Assert.Equal(1, endpoint.Statistics.TcpFramesTooLong);
        await Probe.UntilAsync(() => Task.FromResult(peer.Session.IsClosed), Timeout, "session closed with its path");
    }

    [Theory]
    [InlineData("random bytes")]
    [InlineData("dtls")]
    [InlineData("wrong password")]
    [InlineData("unknown ufrag")]
    public async Task First_frame_that_is_not_a_valid_check_closes_the_connection(string kind)
    {
        using var endpoint = new RtcEndpoint(TcpOptions());
        using var peer = RawPeer.ForNewSession(endpoint);
        await peer.ConnectAsync();
        byte[] frame = kind switch
        {
            "random bytes" => [0xFF, 1, 2, 3, 4, 5],
            "dtls" => [22, 0xFE, 0xFD, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
            "wrong password" => peer.Check(out _, new IceCredentials(peer.Remote.Ufrag, "not-the-password-at-all")),
            _ => peer.Check(out _, new IceCredentials("nobody", peer.Remote.Password)),
        };
        peer.Socket.Send(Frame(frame));
        await peer.AssertClosedAsync();
        Assert.Equal(1, endpoint.Statistics.TcpUnverifiedClosed);
        Assert.Null(peer.Session.Transport);
        Assert.False(peer.Session.IsClosed);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Connections_over_a_limit_are_closed_on_accept(bool fromDistinctAddresses)
    {
        // From one address the per-address limit applies; from three addresses, the endpoint's total.
        using var endpoint = new RtcEndpoint(fromDistinctAddresses ? TcpOptions(total: 2) : TcpOptions(perAddress: 2));
        var peers = Enumerable.Range(0, 3)
            .Select(i => RawPeer.ForNewSession(endpoint, IPAddress.Parse($"127.0.0.{(fromDistinctAddresses ? 1 + i : 1)}"))).ToList();
        try
        {
            foreach (var peer in peers)
            {
                await peer.ConnectAsync();
            }
            await peers[2].AssertClosedAsync();
            Assert.Equal(1, endpoint.Statistics.TcpRefused);
            // The first two still work.
            foreach (var peer in peers.Take(2))
            {
                peer.Socket.Send(Frame(peer.Check(out var id)));
                Assert.Equal(id, (await peer.ReadStunResponseAsync()).TransactionId);
            }
            Assert.Equal(2, endpoint.TcpConnectionCount);
        }
        finally
        {
            peers.ForEach(p => p.Dispose());
        }
    }

    [Fact]
    public async Task Sending_to_a_peer_that_stops_reading_drops_packets_without_blocking_or_allocating()
    {
        using var endpoint = new RtcEndpoint(TcpOptions());
        using var peer = RawPeer.ForNewSession(endpoint);
        peer.Socket.ReceiveBufferSize = 4096;
        await peer.ConnectAsync();
        peer.Socket.Send(Frame(peer.Check(out _)));
        await peer.ReadStunResponseAsync();
        IRtcSessionHost host = endpoint;
        var key = TcpPathKey.Create((IPEndPoint)peer.Socket.LocalEndPoint!);
        var packet = new byte[200];
        packet[0] = 0x80;

        // The peer reads nothing: the kernel's buffers fill, then the connection's queue, then packets are dropped.
        var clock = System.Diagnostics.Stopwatch.StartNew();
        for (int i = 0; i < 100_000 && endpoint.Statistics.TcpSendDropped == 0; i++)
        {
            host.Send(packet, key);
        }
        Assert.True(endpoint.Statistics.TcpSendDropped > 0, "the queue never filled");
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 10_000; i++)
        {
            host.Send(packet, key);
        }
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        output.WriteLine($"queue full after {clock.ElapsedMilliseconds} ms; dropped {endpoint.Statistics.TcpSendDropped}; {allocated} bytes allocated by 10,000 sends");
        Assert.True(clock.Elapsed < Timeout, $"sending took {clock.Elapsed}");
        Assert.Equal(0, allocated);
        Assert.Equal(1, endpoint.TcpConnectionCount);

        // What was queued still arrives whole once the peer reads again.
        for (int i = 0; i < 10; i++)
        {
            Assert.Equal(packet, await peer.ReadFrameAsync().WaitAsync(Timeout));
        }
    }

    [Fact]
    public async Task Connection_without_a_check_is_closed_after_the_idle_timeout()
    {
        using var endpoint = new RtcEndpoint(TcpOptions(idle: TimeSpan.FromMilliseconds(500)));
        using var peer = RawPeer.ForNewSession(endpoint);
        await peer.ConnectAsync();
        var started = DateTime.UtcNow;
        await peer.AssertClosedAsync();
        Assert.True(DateTime.UtcNow - started >= TimeSpan.FromMilliseconds(400));
        Assert.Equal(1, endpoint.Statistics.TcpUnverifiedClosed);
    }

    internal static byte[] Frame(byte[] packet) => [(byte)(packet.Length >> 8), (byte)packet.Length, .. packet];

    /// <summary>A TCP connection to the endpoint's passive candidate, written by hand, for the session an offer created.</summary>
    internal sealed class RawPeer : IDisposable
    {
        private readonly byte[] _buffer = new byte[4096];
        private int _filled;

        private RawPeer(RtcEndpoint endpoint, RtcSession session, IceCredentials local, IceCredentials remote)
        {
            Endpoint = endpoint;
            Session = session;
            Local = local;
            Remote = remote;
        }

        public RtcEndpoint Endpoint { get; }
        public RtcSession Session { get; }
        public IceCredentials Local { get; }
        public IceCredentials Remote { get; }
        public Socket Socket { get; } = new(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };

        public static RawPeer ForNewSession(RtcEndpoint endpoint, IPAddress? bind = null, string extraOfferLines = "")
        {
            using var offer = new RtcClient().CreateSession();
            var answer = endpoint.AcceptOffer(offer.Offer + extraOfferLines);
            var peer = new RawPeer(endpoint, answer.Session, ScriptedPeer.IceOf(offer.Offer), ScriptedPeer.IceOf(answer.Sdp));
            peer.Socket.Bind(new IPEndPoint(bind ?? IPAddress.Loopback, 0));
            return peer;
        }

        public Task ConnectAsync() => Socket.ConnectAsync(Endpoint.TcpLocalEndPoint!);

        public byte[] Check(out StunTransactionId id, IceCredentials? remote = null, uint priority = 12345)
        {
            id = StunTransactionId.NewRandom();
            var buffer = new byte[256];
            int n = IceBinding.WriteRequest(buffer, id, Local, remote ?? Remote, priority, 42, useCandidate: true);
            return buffer[..n];
        }

        /// <summary>Reads the next frame and parses it as a STUN message answering our checks.</summary>
        public async Task<StunMessage> ReadStunResponseAsync()
        {
            var frame = await ReadFrameAsync().WaitAsync(Timeout);
            Assert.True(StunMessage.TryParse(frame, out var message));
            Assert.Equal(StunMessageType.BindingSuccessResponse, message.MessageType);
            return message;
        }

        public async Task<byte[]> ReadFrameAsync()
        {
            while (true)
            {
                if (_filled >= 2)
                {
                    int length = (_buffer[0] << 8) | _buffer[1];
                    if (_filled >= 2 + length)
                    {
                        var frame = _buffer[2..(2 + length)];
                        _buffer.AsSpan(2 + length, _filled - 2 - length).CopyTo(_buffer);
                        _filled -= 2 + length;
                        return frame;
                    }
                }
                int n = await Socket.ReceiveAsync(_buffer.AsMemory(_filled));
                Assert.NotEqual(0, n);
                _filled += n;
            }
        }

        /// <summary>Waits until the server closes the connection (end of stream or reset), reading anything before it.</summary>
        public async Task AssertClosedAsync()
        {
            using var cts = new CancellationTokenSource(Timeout);
            try
            {
                while (await Socket.ReceiveAsync(_buffer.AsMemory(), cts.Token) > 0)
                {
                }
            }
            catch (SocketException)
            {
            }
        }

        public void Dispose() => Socket.Dispose();
    }
}

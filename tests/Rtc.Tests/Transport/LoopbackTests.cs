using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using OpenChat.Rtc.Ice;
using OpenChat.Rtc.Srtp;
using OpenChat.Rtc.Stun;
using OpenChat.Rtc.Transport;
using OpenChat.TestSupport;
using Xunit;
using Xunit.Abstractions;

namespace OpenChat.Rtc.Tests.Transport;

/// <summary>Our client and our server over real UDP on 127.0.0.1.</summary>
[Collection(NetworkCollection.Name)]
public class LoopbackTests(ITestOutputHelper output)
{
    internal static RtcEndpointOptions LoopbackOptions() => new()
    {
        BindAddress = IPAddress.Loopback,
        AcceptRemote = ep => IPAddress.IsLoopback(ep.Address),
    };

    /// <summary>Collects inbound audio: (sequence, payload) in arrival order.</summary>
    internal sealed class Collector
    {
        private readonly object _gate = new();
        private readonly TaskCompletionSource _done = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly int _expected;
        public readonly List<(ushort Seq, uint Timestamp, int Level, byte[] Payload)> Frames = [];

        public Collector(int expected) => _expected = expected;

        private readonly List<(int Count, TaskCompletionSource Signal)> _waiters = [];

        public Task Done => _done.Task;

        public int Count
        {
            get
            {
                lock (_gate)
                {
                    return Frames.Count;
                }
            }
        }

        /// <summary>Completes once <paramref name="count"/> frames have arrived.</summary>
        public Task WhenCount(int count)
        {
            lock (_gate)
            {
                if (Frames.Count >= count)
                {
                    return Task.CompletedTask;
                }
                var signal = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                _waiters.Add((count, signal));
                return signal.Task;
            }
        }

        public void OnAudio(RtcSession session, in RtcAudioFrame frame)
        {
            lock (_gate)
            {
                Frames.Add((frame.SequenceNumber, frame.Timestamp, frame.AudioLevel, frame.Payload.ToArray()));
                if (Frames.Count >= _expected)
                {
                    _done.TrySetResult();
                }
                _waiters.RemoveAll(w =>
                {
                    if (Frames.Count < w.Count)
                    {
                        return false;
                    }
                    w.Signal.TrySetResult();
                    return true;
                });
            }
        }
    }

    internal static byte[] Payload(int i)
    {
        var p = new byte[60 + i % 80];
        for (int k = 0; k < p.Length; k++)
        {
            p[k] = (byte)(i * 31 + k);
        }
        return p;
    }

    internal static async Task<(RtcEndpoint Endpoint, RtcSession Server, RtcClientSession Client)> Connect(
        RtcEndpointOptions endpointOptions, RtcClientOptions? clientOptions = null,
        RtcSessionOptions? serverSession = null, RtcSessionOptions? clientSession = null)
    {
        var endpoint = new RtcEndpoint(endpointOptions);
        var (server, client) = await ConnectTo(endpoint, clientOptions, serverSession, clientSession);
        return (endpoint, server, client);
    }

    /// <summary>Connects a new client session to <paramref name="endpoint"/>; completes when both sides are connected.</summary>
    internal static async Task<(RtcSession Server, RtcClientSession Client)> ConnectTo(
        RtcEndpoint endpoint, RtcClientOptions? clientOptions = null,
        RtcSessionOptions? serverSession = null, RtcSessionOptions? clientSession = null)
    {
        var client = new RtcClient(clientOptions);
        var clientSessionObj = client.CreateSession(clientSession);
        var answer = endpoint.AcceptOffer(clientSessionObj.Offer, serverSession);
        var serverConnected = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        answer.Session.Connected += _ => serverConnected.TrySetResult();
        if (answer.Session.State == RtcSessionState.Connected)
        {
            serverConnected.TrySetResult();
        }
        await clientSessionObj.ConnectAsync(answer.Sdp).WaitAsync(TimeSpan.FromSeconds(20));
        await serverConnected.Task.WaitAsync(TimeSpan.FromSeconds(20));
        return (answer.Session, clientSessionObj);
    }

    [Theory]
    [InlineData(SrtpProfile.Aes128CmHmacSha1_80)]
    [InlineData(SrtpProfile.AeadAes128Gcm)]
    public async Task Client_and_server_exchange_500_audio_packets_each_way(SrtpProfile profile)
    {
        const int count = 500;
        var atServer = new Collector(count);
        var atClient = new Collector(count);
        var sw = Stopwatch.StartNew();
        var (endpoint, server, client) = await Connect(
            new RtcEndpointOptions
            {
                BindAddress = IPAddress.Loopback,
                AcceptRemote = ep => IPAddress.IsLoopback(ep.Address),
                SrtpProfiles = [profile, SrtpProfile.Aes128CmHmacSha1_80],
            },
            new RtcClientOptions { SrtpProfiles = [profile, SrtpProfile.Aes128CmHmacSha1_80] },
            new RtcSessionOptions { AudioReceived = atServer.OnAudio },
            new RtcSessionOptions { AudioReceived = atClient.OnAudio });
        using var _ = endpoint;
        output.WriteLine($"connected in {sw.ElapsedMilliseconds} ms; server ICE {server.TimeToIceConnected?.TotalMilliseconds:0.0} ms, DTLS {server.TimeToConnected?.TotalMilliseconds:0.0} ms");
        Assert.Equal(profile, server.SrtpProfile);
        Assert.Equal(profile, client.SrtpProfile);

        for (int i = 0; i < count; i++)
        {
            Assert.True(client.SendAudio(Payload(i), (uint)(i * 960), marker: i == 0, audioLevel: i % 128));
            Assert.True(server.SendAudio(Payload(i), (uint)(i * 960), marker: i == 0, audioLevel: 30));
            if (i % 25 == 24)
            {
                // Real audio is paced (one packet per 20 ms); batches with a wait keep UDP buffers from overflowing.
                await Task.WhenAll(atServer.WhenCount(i + 1), atClient.WhenCount(i + 1)).WaitAsync(TimeSpan.FromSeconds(10));
            }
        }
        try
        {
            await Task.WhenAll(atServer.Done, atClient.Done).WaitAsync(TimeSpan.FromSeconds(20));
        }
        finally
        {
            output.WriteLine($"server got {atServer.Frames.Count} (rejected {server.Statistics.SrtpRejected}), client got {atClient.Frames.Count} (rejected {client.Statistics.SrtpRejected})");
        }

        foreach (var (frames, levelsFromClient) in new[] { (atServer.Frames, true), (atClient.Frames, false) })
        {
            Assert.Equal(count, frames.Count);
            var bySeq = frames.OrderBy(f => f.Timestamp).ToList();
            for (int i = 0; i < count; i++)
            {
                Assert.Equal((uint)(i * 960), bySeq[i].Timestamp);
                Assert.Equal(Payload(i), bySeq[i].Payload);
                Assert.Equal(levelsFromClient ? i % 128 : 30, bySeq[i].Level);
            }
            Assert.Equal(count, frames.Select(f => f.Seq).Distinct().Count());
        }
        Assert.Equal(0, server.Statistics.SrtpRejected);
        Assert.Equal(0, client.Statistics.SrtpRejected);
        Assert.Equal(count, server.Statistics.PacketsReceived);
        Assert.Equal(0, endpoint.Statistics.ReceiveErrors);

        var closed = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        server.Closed += (_, reason) => closed.TrySetResult(reason);
        client.Close("test done");
        Assert.Contains("close_notify", await closed.Task.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal(0, endpoint.SessionCount);
    }

    [Fact]
    public async Task Silent_peer_is_closed_and_reported_when_consent_expires()
    {
        var endpointOptions = new RtcEndpointOptions
        {
            BindAddress = IPAddress.Loopback,
            ConsentTimeout = TimeSpan.FromSeconds(1),
            TimerPeriod = TimeSpan.FromMilliseconds(100),
        };
        // The client never refreshes consent and sends no audio: it has gone silent.
        var (endpoint, server, client) = await Connect(endpointOptions, new RtcClientOptions { ConsentInterval = TimeSpan.FromHours(1) });
        using var _ = endpoint;
        var reported = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        endpoint.SessionClosed += (s, reason) => reported.TrySetResult(reason);
        var reason = await reported.Task.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Contains("consent expired", reason);
        Assert.Equal(RtcSessionState.Closed, server.State);
        Assert.Equal(0, endpoint.SessionCount);
        client.Dispose();
    }

    [Fact]
    public async Task Check_with_wrong_password_gets_no_answer_and_binds_nothing()
    {
        using var endpoint = new RtcEndpoint(LoopbackOptions());
        var session = new RtcClient(new RtcClientOptions { ConnectTimeout = TimeSpan.FromSeconds(1) }).CreateSession();
        var answer = endpoint.AcceptOffer(session.Offer);
        // The session that made the offer connects, so its checks carry the USERNAME the server expects
        // (server ufrag:client ufrag); only the password in the answer is forged, so only MESSAGE-INTEGRITY is wrong.
        var server = IceOf(answer.Sdp);
        var forged = answer.Sdp.Replace("a=ice-pwd:" + server.Password, "a=ice-pwd:" + new string('x', 24));
        Assert.NotEqual(answer.Sdp, forged);
        await Assert.ThrowsAsync<TimeoutException>(() => session.ConnectAsync(forged));
        var stats = endpoint.Statistics;
        Assert.True(stats.StunRejected > 0, "the forged checks were not refused");
        Assert.Equal(0, stats.StunAnswered);
        Assert.Equal(0, stats.StunMalformed);
        Assert.Equal(0, stats.StunFiltered);
        Assert.Equal(RtcSessionState.New, answer.Session.State);
        long refused = stats.StunRejected;
        session.Dispose();

        // The same check signed with the password the server gave is answered: the password was all that differed.
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var id = StunTransactionId.NewRandom();
        var check = new byte[256];
        int length = IceBinding.WriteRequest(check, id, IceOf(session.Offer), server, 12345, 42, useCandidate: false);
        socket.SendTo(check.AsSpan(0, length), endpoint.LocalEndPoint);
        var response = new byte[2048];
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var received = await socket.ReceiveFromAsync(response, SocketFlags.None, new IPEndPoint(IPAddress.Any, 0), timeout.Token);
        Assert.True(StunMessage.TryParse(response.AsSpan(0, received.ReceivedBytes), out var message));
        Assert.Equal(id, message.TransactionId);
        Assert.Equal(StunMessageType.BindingSuccessResponse, message.MessageType);
        Assert.Equal(1, stats.StunAnswered);
        Assert.Equal(refused, stats.StunRejected);
    }

    /// <summary>The ICE credentials an SDP offer or answer carries.</summary>
    private static IceCredentials IceOf(string sdp)
    {
        string Value(string prefix) =>
            sdp.Split("\r\n").Single(l => l.StartsWith(prefix, StringComparison.Ordinal))[prefix.Length..];
        return new IceCredentials(Value("a=ice-ufrag:"), Value("a=ice-pwd:"));
    }

    [Fact]
    public async Task Media_from_an_unknown_address_is_dropped()
    {
        var atServer = new Collector(1);
        var (endpoint, server, client) = await Connect(LoopbackOptions(), null, new RtcSessionOptions { AudioReceived = atServer.OnAudio });
        using var _ = endpoint;
        using var intruder = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        intruder.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var rtp = Hex.Parse("806f0001000000010000000a0102030405060708090a0b0c0d0e0f");
        var dtls = Hex.Parse("16fefd000000000000000000010001");
        long droppedBefore = endpoint.Statistics.DroppedUnknownSource;
        long cookieExchangesBefore = endpoint.Statistics.DtlsCookieExchanges;
        for (int i = 0; i < 10; i++)
        {
            intruder.SendTo(rtp, endpoint.LocalEndPoint);
            intruder.SendTo(dtls, endpoint.LocalEndPoint);
        }
        // Every one of the intruder's 20 datagrams is read and dropped for its source, before any session sees it.
        await Probe.UntilAsync(() => Task.FromResult(endpoint.Statistics.DroppedUnknownSource - droppedBefore >= 20),
            TimeSpan.FromSeconds(10), "the intruder's datagrams to be dropped");
        // A real packet from the client afterwards still reaches its session.
        Assert.True(client.SendAudio([1, 2, 3], 0));
        await atServer.Done.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(20, endpoint.Statistics.DroppedUnknownSource - droppedBefore);
        Assert.Equal(0, endpoint.Statistics.DroppedUnclassified);
        Assert.Equal(cookieExchangesBefore, endpoint.Statistics.DtlsCookieExchanges);
        Assert.Equal(0, endpoint.Statistics.ReceiveErrors);
        Assert.Single(atServer.Frames);
        Assert.Equal(1, server.Statistics.PacketsReceived);
        Assert.Equal(0, server.Statistics.SrtpRejected);
        Assert.Equal(RtcSessionState.Connected, server.State);
        client.Dispose();
    }
}

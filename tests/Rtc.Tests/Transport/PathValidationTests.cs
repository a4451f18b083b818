using System.Diagnostics;
using System.Net;
using OpenChat.Rtc.Transport;
using OpenChat.TestSupport;
using Xunit;
using Xunit.Abstractions;

namespace OpenChat.Rtc.Tests.Transport;

/// <summary>
/// A member knows its own session's ICE password, so it can sign checks from any source address it forges. These
/// tests play that member from a second socket with its own loopback address.
/// </summary>
[Collection(NetworkCollection.Name)]
public class PathValidationTests(ITestOutputHelper output)
{
    private static readonly IPAddress AddressA = IPAddress.Parse("127.0.12.1");
    private static readonly IPAddress Elsewhere = IPAddress.Parse("127.0.12.2");

    /// <summary>Arrival times and sequence numbers of the audio a client receives.</summary>
    private sealed class Arrivals
    {
        private readonly object _gate = new();
        public readonly List<(ushort Seq, long Ticks)> Frames = [];

        public void OnAudio(RtcSession session, in RtcAudioFrame frame)
        {
            lock (_gate)
            {
                Frames.Add((frame.SequenceNumber, Stopwatch.GetTimestamp()));
            }
        }

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

        public double LongestGapMs(int from)
        {
            lock (_gate)
            {
                double longest = 0;
                for (int i = Math.Max(from, 1); i < Frames.Count; i++)
                {
                    longest = Math.Max(longest, (Frames[i].Ticks - Frames[i - 1].Ticks) * 1000.0 / Stopwatch.Frequency);
                }
                return longest;
            }
        }
    }

    /// <summary>Sends the server session's audio to its peer every 20 ms from a dedicated thread until stopped.</summary>
    private sealed class PacedSender : IDisposable
    {
        private readonly ManualResetEventSlim _stop = new();
        private readonly Thread _thread;
        public int Sent;

        public PacedSender(RtcSession session)
        {
            _thread = new Thread(() =>
            {
                while (!_stop.Wait(20))
                {
                    if (session.SendAudio(LoopbackTests.Payload(Sent), (uint)(Sent * 960)))
                    {
                        Interlocked.Increment(ref Sent);
                    }
                }
            }) { IsBackground = true, Name = "paced-audio" };
            _thread.Start();
        }

        public void Dispose()
        {
            _stop.Set();
            _thread.Join();
        }
    }

    [Fact]
    public async Task A_nomination_signed_from_another_address_moves_no_media_there_and_the_member_keeps_its_audio()
    {
        var atA = new Arrivals();
        var (endpoint, server, client) = await LoopbackTests.Connect(LoopbackTests.LoopbackOptions(),
            new RtcClientOptions { BindAddress = AddressA }, null, new RtcSessionOptions { AudioReceived = atA.OnAudio });
        using var _ = endpoint;
        using var a = client;
        using var elsewhere = new ScriptedPeer(Elsewhere, endpoint.LocalEndPoint,
            ScriptedPeer.IceOf(client.Offer), client.RemoteIce);

        var sender = new PacedSender(server);
        await Probe.UntilAsync(() => Task.FromResult(atA.Count >= 10), TimeSpan.FromSeconds(20), "A to hear the first audio");
        int beforeAttack = atA.Count;

        // The same member's valid, signed nominations from another address, each one answered.
        for (int i = 0; i < 25; i++)
        {
            Assert.True(await elsewhere.RoundTrip(useCandidate: true, TimeSpan.FromSeconds(5)), "a valid check went unanswered");
        }
        int afterAttack = Volatile.Read(ref sender.Sent);
        // Wait for 25 more packets to reach A, or to go elsewhere.
        await Probe.UntilAsync(() => Task.FromResult(atA.Count >= afterAttack + 25 || Volatile.Read(ref elsewhere.SrtpReceived) >= 25),
            TimeSpan.FromSeconds(30), "25 more audio packets to arrive somewhere");
        sender.Dispose();
        try
        {
            await Probe.UntilAsync(() => Task.FromResult(atA.Count >= sender.Sent), TimeSpan.FromSeconds(10), "A to hear every packet sent");
        }
        catch (TimeoutException)
        {
            // Reported and asserted below.
        }

        output.WriteLine($"server sent {sender.Sent}, A received {atA.Count}; elsewhere received STUN {elsewhere.StunReceived} " +
            $"(of which the node's checks {elsewhere.StunRequestsReceived}), DTLS {elsewhere.DtlsReceived}, SRTP {elsewhere.SrtpReceived}; " +
            $"longest gap at A from the first nomination on {atA.LongestGapMs(beforeAttack):0} ms; " +
            $"path checks sent {endpoint.Statistics.PathChecksSent}, validated {endpoint.Statistics.PathsValidated}");
        Assert.Equal(0, elsewhere.SrtpReceived);
        Assert.Equal(0, elsewhere.DtlsReceived);
        Assert.Equal(sender.Sent, atA.Count);
        Assert.Equal(client.LocalEndPoint, server.RemoteEndPoint);
        Assert.Equal(0, endpoint.Statistics.PathsValidated);
        Assert.Equal(RtcSessionState.Connected, server.State);
    }

    [Fact]
    public async Task A_real_address_change_is_followed_once_the_new_address_answers_the_node_check()
    {
        // The member's client moves (a new socket, as after a NAT rebinding) and nominates from there; it answers the
        // node's check, so the media follows it.
        var (endpoint, server, client) = await LoopbackTests.Connect(LoopbackTests.LoopbackOptions(),
            new RtcClientOptions { BindAddress = AddressA });
        using var _ = endpoint;
        using var a = client;
        using var moved = new ScriptedPeer(Elsewhere, endpoint.LocalEndPoint, ScriptedPeer.IceOf(client.Offer), client.RemoteIce)
        {
            AnswerChecks = true,
        };
        await Probe.UntilAsync(async () => await moved.RoundTrip(useCandidate: true, TimeSpan.FromSeconds(2))
            && Equals(server.RemoteEndPoint, moved.LocalEndPoint), TimeSpan.FromSeconds(20), "the media to follow the new address");
        Assert.True(server.SendAudio([1, 2, 3], 960));
        await Probe.UntilAsync(() => Task.FromResult(Volatile.Read(ref moved.SrtpReceived) > 0), TimeSpan.FromSeconds(10),
            "audio at the new address");
        Assert.True(endpoint.Statistics.PathsValidated >= 1);
    }

    [Fact]
    public async Task Consent_is_refreshed_only_by_the_selected_address()
    {
        var options = new RtcEndpointOptions
        {
            BindAddress = IPAddress.Loopback,
            AcceptRemote = ep => IPAddress.IsLoopback(ep.Address),
            ConsentTimeout = TimeSpan.FromSeconds(3),
            TimerPeriod = TimeSpan.FromMilliseconds(100),
        };
        // A goes silent: no audio and no consent checks of its own.
        var (endpoint, server, client) = await LoopbackTests.Connect(options,
            new RtcClientOptions { BindAddress = AddressA, ConsentInterval = TimeSpan.FromHours(1) });
        using var _ = endpoint;
        using var a = client;
        using var elsewhere = new ScriptedPeer(Elsewhere, endpoint.LocalEndPoint, ScriptedPeer.IceOf(client.Offer), client.RemoteIce);
        var closed = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        server.Closed += (_, reason) => closed.TrySetResult(reason);
        if (server.State == RtcSessionState.Closed)
        {
            closed.TrySetResult(server.CloseReason!);
        }

        // Another address keeps sending the member's valid checks, each answered, until the session ends or 20 s pass.
        int checks = 0;
        var deadline = Stopwatch.StartNew();
        using var pace = new PeriodicTimer(TimeSpan.FromMilliseconds(100));
        while (!closed.Task.IsCompleted && deadline.Elapsed < TimeSpan.FromSeconds(20))
        {
            if (await elsewhere.RoundTrip(useCandidate: false, TimeSpan.FromSeconds(2)))
            {
                checks++;
            }
            await pace.WaitForNextTickAsync();
        }
        output.WriteLine($"{checks} answered checks from elsewhere; session {server.State} ({server.CloseReason}) after {deadline.Elapsed.TotalSeconds:0.0} s");
        Assert.True(closed.Task.IsCompleted, "checks from an address that is not the selected one kept the session alive");
        Assert.Contains("consent expired", await closed.Task);
        Assert.True(checks > 0);
    }

    [Fact]
    public async Task A_fragmented_ClientHello_is_reassembled_and_goes_through_the_cookie_exchange()
    {
        using var endpoint = new RtcEndpoint(LoopbackTests.LoopbackOptions());
        using var peer = ScriptedPeer.ForNewSession(endpoint, IPAddress.Parse("127.0.12.3"));
        Assert.True(await peer.RoundTrip(useCandidate: true, TimeSpan.FromSeconds(5)));
        long exchangesBefore = endpoint.Statistics.DtlsCookieExchanges;

        // Records of at most 100 bytes: the ClientHello goes out in several fragments, as a browser's with
        // post-quantum key shares does.
        int fragmentedHellos = 0;
        var connected = peer.StartDtlsClient(sendLimit: 100, sendFilter: d =>
        {
            if (ScriptedPeer.IsClientHello(d) && RtcEndpoint.IsFragmentedClientHello(d))
            {
                Interlocked.Increment(ref fragmentedHellos);
            }
            return true;
        });
        var serverConnected = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        peer.Session!.Connected += _ => serverConnected.TrySetResult();
        if (peer.Session.State == RtcSessionState.Connected)
        {
            serverConnected.TrySetResult();
        }
        await connected.WaitAsync(TimeSpan.FromSeconds(30));
        await serverConnected.Task.WaitAsync(TimeSpan.FromSeconds(30));

        output.WriteLine($"fragmented ClientHello datagrams sent {fragmentedHellos}, HelloVerifyRequests received {peer.HelloVerifyRequests}, " +
            $"cookie exchanges {endpoint.Statistics.DtlsCookieExchanges - exchangesBefore}");
        Assert.True(fragmentedHellos >= 2, "the ClientHello was not fragmented");
        Assert.True(peer.HelloVerifyRequests >= 1, "the handshake started without a cookie exchange");
        Assert.True(endpoint.Statistics.DtlsCookieExchanges - exchangesBefore >= 2);
        Assert.Equal(RtcSessionState.Connected, peer.Session.State);
    }
}

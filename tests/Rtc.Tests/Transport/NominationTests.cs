using System.Diagnostics;
using System.Net;
using OpenChat.Rtc.Ice;
using OpenChat.Rtc.Transport;
using OpenChat.TestSupport;
using Xunit;
using Xunit.Abstractions;

namespace OpenChat.Rtc.Tests.Transport;

/// <summary>
/// Firefox nominates every pair it checks (aggressive nomination). With UDP blocked it selects the passive TCP pair
/// first, while its check over the TURN relay is already on its way, nominated too. These tests replay that: a
/// nominated check over TCP, then nominated checks from a UDP socket on another address (the relay's stand-in) that
/// answers the node's own checks as a real relay would.
/// </summary>
[Collection(NetworkCollection.Name)]
public class NominationTests(ITestOutputHelper output)
{
    private static readonly IPAddress RelayAddress = IPAddress.Parse("127.0.13.2");

    /// <summary>Firefox's PRIORITY for a TCP host pair (peer-reflexive TCP type preference 109).</summary>
    private static readonly uint TcpCheckPriority = IceCandidate.ComputePriority(109, 65535, 1);

    private static RtcEndpointOptions Options(TimeSpan quiet) => TcpTransportTests.TcpOptions(quiet: quiet);

    /// <summary>An endpoint whose session selected a nominated TCP pair, and the relay's stand-in for that session.</summary>
    /// <param name="SinceLastTcpCheck">Started just before the TCP peer sent its last check: never less than the time the
    /// endpoint has gone without hearing that path.</param>
    private sealed record Scene(RtcEndpoint Endpoint, TcpTransportTests.RawPeer Tcp, ScriptedPeer Relay, Stopwatch SinceLastTcpCheck) : IDisposable
    {
        public void Dispose()
        {
            Relay.Dispose();
            Tcp.Dispose();
            Endpoint.Dispose();
        }
    }

    private static async Task<Scene> SelectTcp(TimeSpan quiet, bool signalRelay = false)
    {
        var endpoint = new RtcEndpoint(Options(quiet));
        int relayPort = 0;
        string relayLine = "";
        if (signalRelay)
        {
            // The relay candidate as Firefox lists it in its offer (type preference 0); 127.0.13.2 is this test's own.
            using var probe = new System.Net.Sockets.Socket(System.Net.Sockets.SocketType.Dgram, System.Net.Sockets.ProtocolType.Udp);
            probe.Bind(new IPEndPoint(RelayAddress, 0));
            relayPort = ((IPEndPoint)probe.LocalEndPoint!).Port;
            relayLine = $"a=candidate:2 1 UDP {IceCandidate.ComputePriority(0, 32767, 1)} {RelayAddress} {relayPort} typ relay raddr {RelayAddress} rport {relayPort}\r\n";
        }
        var tcp = TcpTransportTests.RawPeer.ForNewSession(endpoint, extraOfferLines: relayLine);
        await tcp.ConnectAsync();
        var sinceLastTcpCheck = Stopwatch.StartNew();
        tcp.Socket.Send(TcpTransportTests.Frame(tcp.Check(out var id, priority: TcpCheckPriority)));
        Assert.Equal(id, (await tcp.ReadStunResponseAsync()).TransactionId);
        // The answer leaves before the endpoint records the selection.
        await Probe.UntilAsync(() => Task.FromResult(tcp.Session.Transport == RtcTransport.Tcp), TimeSpan.FromSeconds(5), "the TCP pair to be selected");
        var relay = new ScriptedPeer(RelayAddress, endpoint.LocalEndPoint, tcp.Local, tcp.Remote, relayPort) { AnswerChecks = true };
        return new Scene(endpoint, tcp, relay, sinceLastTcpCheck);
    }

    [Fact]
    public void Pair_priority_follows_RFC_8445()
    {
        // 2^32 * MIN(G, D) + 2 * MAX(G, D) + (G > D ? 1 : 0)
        Assert.Equal((5UL << 32) + 2 * 7 + 1, RtcSession.PairPriority(7, 5));
        Assert.Equal((5UL << 32) + 2 * 7, RtcSession.PairPriority(5, 7));
        Assert.True(RtcSession.PairPriority(TcpCheckPriority, RtcEndpoint.TcpCandidatePriority(0))
            > RtcSession.PairPriority(IceCandidate.ComputePriority(5, 65535, 1), RtcEndpoint.UdpCandidatePriority(0)));
    }

    [Fact]
    public async Task A_lower_priority_nomination_arriving_after_the_tcp_pair_was_selected_leaves_the_path_on_tcp()
    {
        using var scene = await SelectTcp(TimeSpan.FromSeconds(30));
        var (endpoint, tcp, relay, _) = scene;
        for (int i = 0; i < 5; i++)
        {
            Assert.True(await relay.RoundTrip(useCandidate: true, TimeSpan.FromSeconds(5), IceCandidate.ComputePriority(5, 65535, 1)));
        }
        output.WriteLine($"kept {endpoint.Statistics.NominationsKept}, path checks {endpoint.Statistics.PathChecksSent}");
        Assert.Equal(5, endpoint.Statistics.NominationsKept);
        Assert.Equal(0, endpoint.Statistics.PathChecksSent);
        Assert.Equal(0, relay.StunRequestsReceived);
        Assert.Equal(RtcTransport.Tcp, tcp.Session.Transport);
    }

    [Fact]
    public async Task A_relay_check_with_a_peer_reflexive_PRIORITY_ranks_as_the_relay_candidate_the_offer_signalled()
    {
        // Firefox's check over its relay carries the peer-reflexive PRIORITY (type preference 110), above its TCP check's
        // (109); the offer lists the relay candidate with its own, low priority, which is the one that counts.
        using var scene = await SelectTcp(TimeSpan.FromSeconds(30), signalRelay: true);
        var (endpoint, tcp, relay, _) = scene;
        for (int i = 0; i < 3; i++)
        {
            Assert.True(await relay.RoundTrip(useCandidate: true, TimeSpan.FromSeconds(5), IceCandidate.ComputePriority(110, 65535, 1)));
        }
        Assert.Equal(3, endpoint.Statistics.NominationsKept);
        Assert.Equal(0, relay.StunRequestsReceived);
        Assert.Equal(RtcTransport.Tcp, tcp.Session.Transport);
    }

    [Fact]
    public async Task A_higher_priority_nomination_moves_the_path_once_it_answers_the_node_check()
    {
        using var scene = await SelectTcp(TimeSpan.FromSeconds(30));
        var (endpoint, tcp, relay, _) = scene;
        await Probe.UntilAsync(async () => await relay.RoundTrip(useCandidate: true, TimeSpan.FromSeconds(2), IceCandidate.ComputePriority(126, 65535, 1))
            && Equals(tcp.Session.RemoteEndPoint, relay.LocalEndPoint), TimeSpan.FromSeconds(10), "the path to move to the higher pair");
        Assert.Equal(RtcTransport.Udp, tcp.Session.Transport);
        Assert.Equal(0, endpoint.Statistics.NominationsKept);
        Assert.True(endpoint.Statistics.PathsValidated >= 1);
    }

    [Fact]
    public async Task A_lower_priority_nomination_takes_over_once_the_selected_path_has_gone_quiet()
    {
        var quiet = TimeSpan.FromMilliseconds(400);
        using var scene = await SelectTcp(quiet);
        var (endpoint, tcp, relay, sinceTcp) = scene;
        // The endpoint reads Environment.TickCount64, a coarse clock (a few milliseconds per step on Linux): it may
        // count the threshold as passed that much before this test's stopwatch does.
        var threshold = quiet - TimeSpan.FromMilliseconds(20);
        uint low = IceCandidate.ComputePriority(5, 65535, 1);
        Assert.True(await relay.RoundTrip(useCandidate: true, TimeSpan.FromSeconds(5), low), "the relay's first check was not answered");
        // Kept while the TCP path is fresh (unless this machine stalled past the threshold in between).
        Assert.True(endpoint.Statistics.NominationsKept == 1 || sinceTcp.Elapsed > threshold,
            $"the first relay nomination was not kept {sinceTcp.ElapsedMilliseconds} ms after the last TCP check");

        // The TCP peer says nothing more; the relay keeps nominating, as a browser does on its selected pair.
        await Probe.UntilAsync(async () => await relay.RoundTrip(useCandidate: true, TimeSpan.FromSeconds(2), low)
            && Equals(tcp.Session.RemoteEndPoint, relay.LocalEndPoint), TimeSpan.FromSeconds(10), "the path to move off the quiet TCP pair");
        output.WriteLine($"moved {sinceTcp.ElapsedMilliseconds} ms after the last TCP check; kept {endpoint.Statistics.NominationsKept}");
        Assert.True(sinceTcp.Elapsed >= threshold, $"moved after {sinceTcp.ElapsedMilliseconds} ms, before the {quiet.TotalMilliseconds} ms threshold");
        Assert.Equal(RtcTransport.Udp, tcp.Session.Transport);
    }
}

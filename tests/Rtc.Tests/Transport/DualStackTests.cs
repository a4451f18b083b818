using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using OpenChat.Rtc.Ice;
using OpenChat.Rtc.Transport;
using Xunit;
using Xunit.Abstractions;

namespace OpenChat.Rtc.Tests.Transport;

/// <summary>An endpoint bound on both address families and advertising several addresses, over real UDP and TCP on 127.0.0.1 and ::1.</summary>
[Collection(NetworkCollection.Name)]
public class DualStackTests(ITestOutputHelper output)
{
    private static RtcEndpointOptions DualStack(int? tcpPort = null, IReadOnlyList<IPAddress>? advertised = null) => new()
    {
        BindAddresses = [IPAddress.Loopback, IPAddress.IPv6Loopback],
        AdvertisedAddresses = advertised,
        TcpPort = tcpPort,
        AcceptRemote = ep => IPAddress.IsLoopback(ep.Address),
    };

    private static List<IceCandidate> Candidates(string sdp) =>
        [.. sdp.Split("\r\n").Where(l => l.StartsWith("a=candidate:", StringComparison.Ordinal))
            .Select(l => { Assert.True(IceCandidate.TryParse(l["a=".Length..], out var c)); return c!; })];

    [Fact]
    public void Answer_lists_a_udp_and_a_tcp_host_candidate_per_advertised_address_ranked_as_configured()
    {
        IPAddress[] advertised = [IPAddress.Parse("192.168.1.20"), IPAddress.Parse("203.0.113.7"), IPAddress.Parse("2001:db8::7")];
        using var endpoint = new RtcEndpoint(DualStack(tcpPort: 0, advertised));
        using var session = new RtcClient().CreateSession();
        var answer = endpoint.AcceptOffer(session.Offer);
        output.WriteLine(answer.Sdp);
        var candidates = Candidates(answer.Sdp);

        Assert.Equal(6, candidates.Count);
        var udp = candidates.Where(c => c.Transport == "udp").ToList();
        var tcp = candidates.Where(c => c.Transport == "tcp").ToList();
        Assert.Equal(advertised, udp.Select(c => c.Address));
        Assert.Equal(advertised, tcp.Select(c => c.Address));
        Assert.All(udp, c => Assert.Equal(endpoint.LocalEndPoint.Port, c.Port));
        Assert.All(tcp, c => Assert.Equal(endpoint.TcpLocalEndPoint!.Port, c.Port));
        Assert.All(candidates, c => Assert.Equal((1, "host"), (c.Component, c.Type)));
        Assert.All(tcp, c => Assert.Equal("passive", c.TcpType));
        // RFC 8445 5.1.2.1: type preference 126 (host) in the top byte, local preference falling in the order given,
        // 255 for component 1; every TCP candidate below every UDP one.
        Assert.Equal([(126u << 24) + (65535u << 8) + 255, (126u << 24) + (65534u << 8) + 255, (126u << 24) + (65533u << 8) + 255], udp.Select(c => c.Priority));
        Assert.All(tcp, c => Assert.Equal(126u, c.Priority >> 24));
        Assert.True(tcp[0].Priority > tcp[1].Priority && tcp[1].Priority > tcp[2].Priority);
        Assert.True(tcp.Max(c => c.Priority) < udp.Min(c => c.Priority));
        Assert.Equal(candidates.Count, candidates.Select(c => c.Foundation).Distinct().Count());
        // The c= line names the first address.
        Assert.Contains("c=IN IP4 192.168.1.20\r\n", answer.Sdp);
        Assert.Equal(1, answer.Sdp.Split("a=end-of-candidates").Length - 1);

        using var v6First = new RtcEndpoint(DualStack(advertised: [IPAddress.IPv6Loopback, IPAddress.Loopback]));
        var v6Answer = v6First.AcceptOffer(new RtcClient().CreateSession().Offer).Sdp;
        Assert.Contains("c=IN IP6 ::1\r\n", v6Answer);
        Assert.Equal([IPAddress.IPv6Loopback, IPAddress.Loopback], Candidates(v6Answer).Select(c => c.Address));
    }

    [Fact]
    public void Bad_address_settings_are_refused_with_the_address_named()
    {
        Assert.Contains("twice", Assert.Throws<ArgumentException>(() =>
            new RtcEndpoint(DualStack(advertised: [IPAddress.Loopback, IPAddress.Loopback]))).Message);
        Assert.Contains("1 to 8", Assert.Throws<ArgumentException>(() =>
            new RtcEndpoint(DualStack(advertised: [.. Enumerable.Range(1, 9).Select(i => IPAddress.Parse($"192.0.2.{i}"))]))).Message);
        Assert.Contains("no IPv6 address is bound", Assert.Throws<ArgumentException>(() =>
            new RtcEndpoint(new RtcEndpointOptions { BindAddress = IPAddress.Loopback, AdvertisedAddresses = [IPAddress.Parse("2001:db8::1")] })).Message);
        Assert.Contains("one per address family", Assert.Throws<ArgumentException>(() =>
            new RtcEndpoint(new RtcEndpointOptions { BindAddresses = [IPAddress.Loopback, IPAddress.Parse("127.0.0.2")] })).Message);
        Assert.Contains("IPv4-mapped", Assert.Throws<ArgumentException>(() =>
            new RtcEndpoint(DualStack(advertised: [IPAddress.Parse("::ffff:192.0.2.1")]))).Message);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_client_over_ipv6_and_one_over_ipv4_talk_to_one_endpoint_both_ways(bool tcp)
    {
        using var endpoint = new RtcEndpoint(DualStack(tcpPort: tcp ? 0 : null));
        Assert.Equal([AddressFamily.InterNetwork, AddressFamily.InterNetworkV6], endpoint.LocalEndPoints.Select(e => e.AddressFamily));
        var sw = Stopwatch.StartNew();
        var peers = new List<(RtcSession Server, RtcClientSession Client, LoopbackTests.Collector AtServer, LoopbackTests.Collector AtClient)>();
        const int count = 50;
        foreach (var bind in new[] { IPAddress.IPv6Loopback, IPAddress.Loopback })
        {
            var atServer = new LoopbackTests.Collector(count);
            var atClient = new LoopbackTests.Collector(count);
            var (server, client) = await LoopbackTests.ConnectTo(endpoint, new RtcClientOptions { BindAddress = bind, UseTcp = tcp },
                new RtcSessionOptions { AudioReceived = atServer.OnAudio }, new RtcSessionOptions { AudioReceived = atClient.OnAudio });
            peers.Add((server, client, atServer, atClient));
        }
        output.WriteLine($"both connected in {sw.ElapsedMilliseconds} ms");
        try
        {
            for (int i = 0; i < count; i++)
            {
                foreach (var (server, client, _, _) in peers)
                {
                    Assert.True(client.SendAudio(LoopbackTests.Payload(i), (uint)(i * 960)));
                    Assert.True(server.SendAudio(LoopbackTests.Payload(i), (uint)(i * 960)));
                }
            }
            await Task.WhenAll(peers.SelectMany(p => new[] { p.AtServer.Done, p.AtClient.Done })).WaitAsync(TimeSpan.FromSeconds(20));

            var (v6, v4) = (peers[0], peers[1]);
            Assert.Equal(AddressFamily.InterNetworkV6, v6.Server.RemoteEndPoint!.AddressFamily);
            Assert.Equal(IPAddress.IPv6Loopback, v6.Server.RemoteEndPoint.Address);
            Assert.Equal(IPAddress.Loopback, v4.Server.RemoteEndPoint!.Address);
            Assert.Equal(tcp ? RtcTransport.Tcp : RtcTransport.Udp, v6.Server.Transport);
            foreach (var p in peers)
            {
                Assert.Equal(LoopbackTests.Payload(count - 1), p.AtServer.Frames.OrderBy(f => f.Timestamp).Last().Payload);
                Assert.Equal(LoopbackTests.Payload(count - 1), p.AtClient.Frames.OrderBy(f => f.Timestamp).Last().Payload);
                Assert.Equal(0, p.Server.Statistics.SrtpRejected);
                Assert.Equal(0, p.Client.Statistics.SrtpRejected);
            }
            Assert.Equal(0, endpoint.Statistics.ReceiveErrors);
            Assert.Equal(0, endpoint.Statistics.SendErrors);

            // Sending picks the socket of the destination's family without allocating.
            var payload = LoopbackTests.Payload(1);
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < 200; i++)
            {
                Assert.True(v6.Server.SendAudio(payload, (uint)((count + i) * 960)));
                Assert.True(v4.Server.SendAudio(payload, (uint)((count + i) * 960)));
            }
            Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        }
        finally
        {
            foreach (var p in peers)
            {
                p.Client.Dispose();
            }
        }
    }
}

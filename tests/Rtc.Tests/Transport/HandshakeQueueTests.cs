using System.Net;
using OpenChat.Rtc.Transport;
using OpenChat.TestSupport;
using Xunit;

namespace OpenChat.Rtc.Tests.Transport;

/// <summary>
/// Sessions beyond <see cref="RtcEndpointOptions.MaxConcurrentHandshakes"/> wait for a slot with the ClientHello that
/// returned their cookie, and start as soon as one is free, rather than being dropped until the client's retransmission
/// timer fires again.
/// </summary>
public sealed class HandshakeQueueTests
{
    private static readonly IPAddress Staller = IPAddress.Parse("127.0.14.1");
    private static readonly IPAddress Waiter = IPAddress.Parse("127.0.14.2");

    [Fact]
    public async Task A_session_over_the_handshake_cap_waits_once_and_connects_when_the_running_handshake_ends()
    {
        using var endpoint = new RtcEndpoint(new RtcEndpointOptions
        {
            BindAddress = IPAddress.Loopback,
            AcceptRemote = ep => IPAddress.IsLoopback(ep.Address),
            MaxConcurrentHandshakes = 1,
            HandshakeTimeout = TimeSpan.FromMinutes(2),
            ConnectTimeout = TimeSpan.FromMinutes(5),
        });
        // The only slot is taken by a handshake whose client sends nothing after its ClientHellos.
        using var stalled = ScriptedPeer.ForNewSession(endpoint, Staller);
        Assert.True(await stalled.RoundTrip(useCandidate: true, TimeSpan.FromSeconds(5)));
        _ = stalled.StartDtlsClient(sendFilter: ScriptedPeer.IsClientHello, timeoutMillis: 120_000);
        await Probe.UntilAsync(() => Task.FromResult(Volatile.Read(ref stalled.ServerHellos) > 0), TimeSpan.FromSeconds(20),
            "the stalled handshake's first flight");
        Assert.Equal(1, endpoint.ActiveHandshakes);

        // A real client comes next: its handshake waits, however often it retransmits its ClientHello meanwhile.
        using var client = new RtcClient(new RtcClientOptions { BindAddress = Waiter }).CreateSession();
        var answer = endpoint.AcceptOffer(client.Offer);
        var connecting = client.ConnectAsync(answer.Sdp);
        await Probe.UntilAsync(() => Task.FromResult(endpoint.Statistics.HandshakesQueued == 1), TimeSpan.FromSeconds(20),
            "the second handshake to wait for a slot");
        Assert.Equal(RtcSessionState.IceConnected, answer.Session.State);

        // The running handshake ends; the waiting one starts at once and completes.
        stalled.Session!.Close("test: the stalled client gave up");
        await connecting.WaitAsync(TimeSpan.FromSeconds(30));
        await Probe.UntilAsync(() => Task.FromResult(answer.Session.State == RtcSessionState.Connected), TimeSpan.FromSeconds(20),
            "the waiting session to connect");
        Assert.Equal(1, endpoint.Statistics.HandshakesQueued);
        Assert.Equal(0, endpoint.Statistics.HandshakesRefused);
        Assert.Equal(0, endpoint.ActiveHandshakes);
    }
}

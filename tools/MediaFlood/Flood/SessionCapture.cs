using System.Net;
using System.Net.Sockets;
using OpenChat.Rtc.Transport;

namespace OpenChat.MediaFlood;

/// <summary>
/// A real session recorded on the wire: our client connects to the endpoint through a relay socket that keeps a copy
/// of every datagram both ways (STUN checks and answers, the DTLS handshake, SRTP and SRTCP). The session stays
/// open, so the relay's address remains one the endpoint knows.
/// </summary>
public sealed class SessionCapture : IDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly List<byte[]> _datagrams = [];
    private Task? _relay;

    private SessionCapture(Socket relay, RtcClientSession client, RtcSession server)
    {
        Relay = relay;
        Client = client;
        Server = server;
    }

    /// <summary>The socket the endpoint sees as the captured session's peer.</summary>
    public Socket Relay { get; }
    public RtcClientSession Client { get; }
    public RtcSession Server { get; }

    /// <summary>Copies of every datagram the relay carried.</summary>
    public IReadOnlyList<byte[]> Datagrams
    {
        get
        {
            lock (_datagrams)
            {
                return _datagrams.ToList();
            }
        }
    }

    public static async Task<SessionCapture> RecordAsync(RtcEndpoint endpoint, IPAddress clientAddress, IPAddress relayAddress)
    {
        var relay = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        relay.Bind(new IPEndPoint(relayAddress, 0));
        var client = new RtcClient(new RtcClientOptions { BindAddress = clientAddress }).CreateSession();
        var answer = endpoint.AcceptOffer(client.Offer);
        var local = (IPEndPoint)relay.LocalEndPoint!;
        var node = endpoint.AdvertisedEndPoint;
        // Point the client at the relay instead of the node.
        var sdp = answer.Sdp.Replace($" {node.Address} {node.Port} typ host", $" {local.Address} {local.Port} typ host");
        var capture = new SessionCapture(relay, client, answer.Session);
        capture._relay = capture.RunRelay(client.LocalEndPoint, endpoint.LocalEndPoint);
        var connected = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        answer.Session.Connected += _ => connected.TrySetResult();
        await client.ConnectAsync(sdp).WaitAsync(TimeSpan.FromSeconds(30));
        if (answer.Session.State != RtcSessionState.Connected)
        {
            await connected.Task.WaitAsync(TimeSpan.FromSeconds(30));
        }
        var payload = new byte[80];
        for (int i = 0; i < 20; i++)
        {
            Random.Shared.NextBytes(payload);
            client.SendAudio(payload, (uint)(i * 960), marker: i == 0, audioLevel: 40);
            answer.Session.SendAudio(payload, (uint)(i * 960));
        }
        client.SendRtcpReport();
        answer.Session.SendRtcpReport();
        await FloodRun.Until(() => answer.Session.Statistics.RtcpReceived > 0 && answer.Session.Statistics.PacketsReceived >= 20,
            TimeSpan.FromSeconds(20), "the captured session's audio");
        return capture;
    }

    private async Task RunRelay(IPEndPoint client, IPEndPoint node)
    {
        var buffer = new byte[65536];
        while (!_stop.IsCancellationRequested)
        {
            SocketReceiveFromResult r;
            try
            {
                r = await Relay.ReceiveFromAsync(buffer, SocketFlags.None, new IPEndPoint(IPAddress.Any, 0), _stop.Token);
            }
            catch (Exception)
            {
                return;
            }
            var copy = buffer.AsSpan(0, r.ReceivedBytes).ToArray();
            lock (_datagrams)
            {
                _datagrams.Add(copy);
            }
            var target = r.RemoteEndPoint.Equals(client) ? node : client;
            try
            {
                await Relay.SendToAsync(copy, SocketFlags.None, target);
            }
            catch (SocketException)
            {
            }
        }
    }

    /// <summary>Stops relaying; the socket stays open for the flood to send from.</summary>
    public void StopRelay()
    {
        _stop.Cancel();
        _relay?.Wait(TimeSpan.FromSeconds(5));
    }

    public void Dispose()
    {
        StopRelay();
        Client.Dispose();
        Relay.Dispose();
    }
}

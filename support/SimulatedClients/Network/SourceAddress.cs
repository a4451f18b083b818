using System.Net;
using System.Net.Sockets;
using System.Net.WebSockets;
using Microsoft.AspNetCore.Http.Connections.Client;
using OpenChat.Rtc.Transport;

namespace OpenChat.SimulatedClients.Network;

/// <summary>
/// Gives each simulated client its own source address in 127.0.0.0/8, so a server's per-address limits see many
/// clients, as they would on the internet, instead of one. Linux answers on every address of 127/8 without setup.
/// HTTP and the hub's WebSocket bind their sockets through <see cref="SocketsHttpHandler.ConnectCallback"/>; media
/// binds through <see cref="RtcClientOptions.BindAddress"/>.
/// </summary>
public static class SourceAddress
{
    // 127.20.0.1 upwards: clear of 127.0.0.1, which servers bind, and of the low nets tests pick by hand.
    private const uint First = (127u << 24) | (20u << 16) | 1;
    private static long _next = -1;

    /// <summary>A loopback address no other call in this process has returned (127.20.0.1, 127.20.0.2, …).</summary>
    public static IPAddress Next()
    {
        while (true)
        {
            var n = Interlocked.Increment(ref _next);
            var value = First + (uint)(n % ((255u << 16) - (20u << 16)));
            var last = value & 0xFF;
            if (last is 0 or 255) continue; // no network or broadcast look-alikes
            return new IPAddress(new[] { (byte)(value >> 24), (byte)(value >> 16), (byte)(value >> 8), (byte)last });
        }
    }

    /// <summary>An HTTP handler whose connections leave from <paramref name="source"/>.</summary>
    public static SocketsHttpHandler Handler(IPAddress source) => new()
    {
        ConnectCallback = async (context, token) =>
        {
            var socket = new Socket(source.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                socket.Bind(new IPEndPoint(source, 0));
                await socket.ConnectAsync(context.DnsEndPoint, token).ConfigureAwait(false);
                return new NetworkStream(socket, ownsSocket: true);
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        },
        PooledConnectionLifetime = TimeSpan.FromMinutes(5),
    };

    /// <summary>An HTTP client whose requests leave from <paramref name="source"/>.</summary>
    public static HttpClient HttpClient(IPAddress source, TimeSpan? timeout = null) =>
        new(Handler(source)) { Timeout = timeout ?? TimeSpan.FromSeconds(15) };

    /// <summary>Makes a SignalR connection (negotiation and WebSocket) leave from <paramref name="source"/>.</summary>
    public static void Apply(HttpConnectionOptions options, IPAddress source)
    {
        options.HttpMessageHandlerFactory = _ => Handler(source);
        options.WebSocketFactory = async (context, token) =>
        {
            var socket = new ClientWebSocket();
            try
            {
                if (context.Options.AccessTokenProvider is { } provider && await provider().ConfigureAwait(false) is { Length: > 0 } accessToken)
                    socket.Options.SetRequestHeader("Authorization", "Bearer " + accessToken);
                foreach (var (name, value) in context.Options.Headers) socket.Options.SetRequestHeader(name, value);
                using var invoker = new HttpMessageInvoker(Handler(source));
                await socket.ConnectAsync(context.Uri, invoker, token).ConfigureAwait(false);
                return socket;
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        };
    }

    /// <summary>A WebRTC client whose media sessions leave from <paramref name="source"/>.</summary>
    public static RtcClient RtcClient(IPAddress source) => new(new RtcClientOptions { BindAddress = source });
}

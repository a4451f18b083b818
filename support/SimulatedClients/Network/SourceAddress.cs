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
/// An address can also be placed in a network namespace (<see cref="PlaceInNamespace"/>, or the overloads taking
/// one): its sockets are then created there (<see cref="NetworkNamespace"/>) and host names are looked up in the
/// namespace's hosts file, so a client can be a pod of a simulated network.
/// </summary>
public static class SourceAddress
{
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<IPAddress, string> Namespaces = new();

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

    /// <summary>
    /// From now on, sockets of <paramref name="source"/> made by this class (HTTP, hub, media) are created in the network
    /// namespace <paramref name="netns"/>, where the address must be; null puts it back in the process's own namespace.
    /// </summary>
    public static void PlaceInNamespace(IPAddress source, string? netns)
    {
        if (netns is null) Namespaces.TryRemove(source, out _);
        else Namespaces[source] = netns;
    }

    /// <summary>The network namespace <paramref name="source"/> was placed in, or null.</summary>
    public static string? NamespaceOf(IPAddress source) => Namespaces.TryGetValue(source, out var netns) ? netns : null;

    /// <summary>An HTTP handler whose connections leave from <paramref name="source"/> (in its namespace, if placed in one).</summary>
    public static SocketsHttpHandler Handler(IPAddress source) => Handler(source, NamespaceOf(source));

    /// <summary>
    /// An HTTP handler whose connections leave from <paramref name="source"/> in the network namespace
    /// <paramref name="netns"/> (the process's own when null); there, names resolve from the namespace's hosts file.
    /// </summary>
    public static SocketsHttpHandler Handler(IPAddress source, string? netns) => new()
    {
        ConnectCallback = async (context, token) =>
        {
            var socket = netns is null ? NewTcp(source) : NetworkNamespace.InNamespace(netns, () => NewTcp(source));
            try
            {
                socket.Bind(new IPEndPoint(source, 0));
                if (netns is null)
                {
                    await socket.ConnectAsync(context.DnsEndPoint, token).ConfigureAwait(false);
                }
                else
                {
                    var addresses = NetworkNamespace.ResolveFromHostsFile(netns, context.DnsEndPoint.Host)
                        .Where(a => a.AddressFamily == source.AddressFamily).ToArray();
                    if (addresses.Length == 0) throw new SocketException((int)SocketError.HostNotFound);
                    await socket.ConnectAsync(addresses, context.DnsEndPoint.Port, token).ConfigureAwait(false);
                }
                return new NetworkStream(socket, ownsSocket: true);
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        },
        PooledConnectionLifetime = TimeSpan.FromMinutes(5),
        UseProxy = netns is null, // a pod has no way to a proxy of the machine's
    };

    private static Socket NewTcp(IPAddress source) => new(source.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };

    /// <summary>An HTTP client whose requests leave from <paramref name="source"/> (in its namespace, if placed in one).</summary>
    public static HttpClient HttpClient(IPAddress source, TimeSpan? timeout = null) => HttpClient(source, NamespaceOf(source), timeout);

    /// <summary>An HTTP client whose requests leave from <paramref name="source"/> in the namespace <paramref name="netns"/>.</summary>
    public static HttpClient HttpClient(IPAddress source, string? netns, TimeSpan? timeout = null) =>
        new(Handler(source, netns)) { Timeout = timeout ?? TimeSpan.FromSeconds(15) };

    /// <summary>Makes a SignalR connection (negotiation and WebSocket) leave from <paramref name="source"/> (in its namespace, if placed in one).</summary>
    public static void Apply(HttpConnectionOptions options, IPAddress source) => Apply(options, source, NamespaceOf(source));

    /// <summary>Makes a SignalR connection leave from <paramref name="source"/> in the namespace <paramref name="netns"/>.</summary>
    public static void Apply(HttpConnectionOptions options, IPAddress source, string? netns)
    {
        options.HttpMessageHandlerFactory = _ => Handler(source, netns);
        options.WebSocketFactory = async (context, token) =>
        {
            var socket = new ClientWebSocket();
            try
            {
                if (context.Options.AccessTokenProvider is { } provider && await provider().ConfigureAwait(false) is { Length: > 0 } accessToken)
                    socket.Options.SetRequestHeader("Authorization", "Bearer " + accessToken);
                foreach (var (name, value) in context.Options.Headers) socket.Options.SetRequestHeader(name, value);
                using var invoker = new HttpMessageInvoker(Handler(source, netns));
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

    /// <summary>
    /// A WebRTC client whose media sessions leave from <paramref name="source"/> (in its namespace, if placed in one);
    /// over ICE-TCP with <paramref name="useTcp"/> (<see cref="RtcClientOptions.UseTcp"/>).
    /// </summary>
    public static RtcClient RtcClient(IPAddress source, bool useTcp = false) => RtcClient(source, NamespaceOf(source), useTcp);

    /// <summary>A WebRTC client whose media sessions' UDP sockets are created in the namespace <paramref name="netns"/> and leave from <paramref name="source"/>.</summary>
    public static RtcClient RtcClient(IPAddress source, string? netns, bool useTcp = false) => netns is null
        ? new(new RtcClientOptions { BindAddress = source, UseTcp = useTcp })
        : new(new RtcClientOptions
        {
            BindAddress = source,
            UseTcp = useTcp,
            SocketFactory = family => NetworkNamespace.InNamespace(netns, () => new Socket(family, SocketType.Dgram, ProtocolType.Udp)),
        });
}

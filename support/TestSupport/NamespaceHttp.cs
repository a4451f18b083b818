using System.Net.Security;
using System.Net.Sockets;
using OpenChat.SimulatedClients.Network;

namespace OpenChat.TestSupport;

/// <summary>HTTP clients whose connections start in a network namespace the test made (to reach a server only there).</summary>
public static class NamespaceHttp
{
    /// <summary>
    /// A client whose sockets live in <paramref name="netns"/>; <paramref name="validate"/> decides on an HTTPS
    /// server's certificate (the platform's usual checks when null). It follows no redirects.
    /// </summary>
    public static HttpClient Create(string netns, RemoteCertificateValidationCallback? validate = null) => new(Handler(netns, validate))
    { Timeout = TimeSpan.FromSeconds(10) };

    /// <summary>The handler behind <see cref="Create"/>, for a client of its own (a WebSocket's <c>HttpMessageInvoker</c>, say).</summary>
    public static SocketsHttpHandler Handler(string netns, RemoteCertificateValidationCallback? validate = null) => new()
    {
        AllowAutoRedirect = false,
        ConnectCallback = async (context, ct) =>
        {
            var socket = NetworkNamespace.InNamespace(netns, () => new Socket(SocketType.Stream, ProtocolType.Tcp));
            try
            {
                await socket.ConnectAsync(context.DnsEndPoint, ct);
                return new NetworkStream(socket, ownsSocket: true);
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        },
        SslOptions = new SslClientAuthenticationOptions { RemoteCertificateValidationCallback = validate },
    };
}

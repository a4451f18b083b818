using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.Logging;

namespace OpenChat.Gateway.Hub;

/// <summary>
/// SignalR's own lifetime manager, which also makes each connection reachable from its hub context: a session's push
/// writes its events' shared wire forms to the connection directly instead of serialising them through a client proxy.
/// </summary>
public sealed class ConnectionLifetimeManager(ILogger<DefaultHubLifetimeManager<ChatHub>> logger) : DefaultHubLifetimeManager<ChatHub>(logger)
{
    private const string ConnectionKey = "openchat:connection";

    public override Task OnConnectedAsync(HubConnectionContext connection)
    {
        // Runs before the hub's OnConnectedAsync; the hub context's items are the connection's.
        connection.Items[ConnectionKey] = connection;
        return base.OnConnectedAsync(connection);
    }

    /// <summary>The connection behind a hub context.</summary>
    public static HubConnectionContext ConnectionOf(HubCallerContext context) =>
        context.Items.TryGetValue(ConnectionKey, out var connection) && connection is HubConnectionContext found
            ? found
            : throw new InvalidOperationException($"The hub's lifetime manager is not {nameof(ConnectionLifetimeManager)}.");
}

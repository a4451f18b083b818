using System.Diagnostics;

namespace OpenChat.Gateway;

/// <summary>The gateway's spans (<c>OpenChat.Gateway</c>): every hub call, and a session's part in a voice join.</summary>
public static class GatewayTracing
{
    public static readonly ActivitySource Source = new("OpenChat.Gateway");
}

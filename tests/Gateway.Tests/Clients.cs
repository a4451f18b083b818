using System.Net;
using OpenChat.SimulatedClients.Network;
using OpenChat.TestSupport;

namespace OpenChat.Gateway.Tests;

/// <summary>
/// Test users, each connecting from its own loopback address (<see cref="SourceAddress"/>), so the server's
/// per-address limits see separate clients and stay at their defaults.
/// </summary>
public static class Clients
{
    public static Task<ChatClient> ConnectAsync(string baseUrl, string displayName, SessionDto? session = null) =>
        ChatClient.ConnectAsync(baseUrl, displayName, session, source: SourceAddress.Next());

    public static Task<SessionDto> CreateSessionAsync(string baseUrl, string displayName, string? previousToken = null, IPAddress? source = null) =>
        ChatClient.CreateSessionAsync(baseUrl, displayName, previousToken, source ?? SourceAddress.Next());
}

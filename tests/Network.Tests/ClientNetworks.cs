using Xunit;

namespace OpenChat.Network.Tests;

/// <summary>
/// Tests that put browsers and servers in network namespaces of their own (blocked UDP, only TCP 443, a second
/// address family) run one at a time: each starts a server and one or more Chromium instances, which want the cores.
/// </summary>
[CollectionDefinition(Name)]
public sealed class ClientNetworks
{
    public const string Name = "client networks";
}

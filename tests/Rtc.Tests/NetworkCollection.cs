using Xunit;

namespace OpenChat.Rtc.Tests;

/// <summary>Tests that use real sockets (and Chromium) run one after another, not in parallel with each other.</summary>
[CollectionDefinition(Name)]
public sealed class NetworkCollection
{
    public const string Name = "network";
}

using Xunit;

namespace OpenChat.Kubernetes.Tests;

/// <summary>
/// Tests that build simulated networks run one at a time: the networks share one address plan and simulated clients'
/// addresses are placed in namespaces process-wide, and a cluster of a dozen processes wants the machine's cores.
/// </summary>
[CollectionDefinition(Name)]
public sealed class SimulatedNetworks
{
    public const string Name = "simulated networks";
}

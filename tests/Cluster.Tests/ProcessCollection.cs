using Xunit;

namespace OpenChat.Cluster.Tests;

/// <summary>Tests that start server processes run one after another: each needs the machine's cores to itself.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ProcessCollection
{
    public const string Name = "server processes";
}

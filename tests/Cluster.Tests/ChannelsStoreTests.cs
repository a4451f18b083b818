using OpenChat.TestSupport;
using Xunit;
using Xunit.Abstractions;

namespace OpenChat.Cluster.Tests;

/// <summary>
/// A channel's shard moves between channels nodes; with SQLite each node has a file of its own, so a channel that
/// moves would carry on from a different history. Channels nodes with other nodes among their seeds must therefore
/// use a shared journal, and refuse to start on SQLite.
/// </summary>
[Collection(ProcessCollection.Name)]
public sealed class ChannelsStoreTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Two_channels_nodes_on_SQLite_with_seeds_refuse_to_start_and_name_the_fix()
    {
        var ports = new[] { Probe.FreeTcpPort(), Probe.FreeTcpPort() };
        var nodes = new List<ServerProcess>();
        try
        {
            foreach (var port in ports)
            {
                var env = new Dictionary<string, string>
                {
                    ["OpenChat__Roles__0"] = "channels",
                    ["OpenChat__DataDirectory"] = Probe.NewTempDirectory($"sqlite-{port}"),
                    ["OpenChat__Cluster__Port"] = port.ToString(),
                    ["OpenChat__Cluster__SeedNodes__0"] = $"akka.tcp://openchat@127.0.0.1:{ports[0]}",
                    ["OpenChat__Cluster__SeedNodes__1"] = $"akka.tcp://openchat@127.0.0.1:{ports[1]}",
                };
                nodes.Add(ServerProcess.Start($"channels-{port}", env));
            }

            // Each node either stops by itself or comes up (and then the two would share channels on two files).
            await Probe.UntilAsync(async () =>
            {
                var settled = 0;
                foreach (var node in nodes) settled += node.HasExited || await node.IsReadyAsync() ? 1 : 0;
                return settled == nodes.Count;
            }, TimeSpan.FromSeconds(90), "both channels nodes to exit or become ready");

            foreach (var node in nodes)
            {
                output.WriteLine($"--- {node.Name} ---\n{node.Output}");
                Assert.True(node.HasExited, $"{node.Name} started on SQLite in a cluster with another channels node");
                Assert.Equal(1, await node.WaitForExitAsync(TimeSpan.FromSeconds(10)));
                var message = Assert.Single(node.Output.Split('\n'), line => line.StartsWith("OpenChat cannot start: ", StringComparison.Ordinal));
                Assert.Contains("OpenChat:Persistence:Provider=PostgreSql", message);
                Assert.Contains("OpenChat:Persistence:ConnectionString", message);
                // A configuration error, not a crash: no stack trace.
                Assert.DoesNotContain("   at ", node.Output);
            }
        }
        finally
        {
            foreach (var node in nodes) await node.DisposeAsync();
        }
    }
}

using System.Security.Cryptography;
using OpenChat.TestSupport;
using Xunit;
using Xunit.Abstractions;

namespace OpenChat.Cluster.Tests;

/// <summary>
/// The first seed killed (SIGKILL, no leave) and started again at the same address while the other seed keeps the
/// cluster: it joins that cluster instead of forming a second one. Two gateway processes on 127.0.0.1.
/// </summary>
[Collection(ProcessCollection.Name)]
public sealed class FirstSeedProcessTests(ITestOutputHelper output) : IAsyncLifetime
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(90);
    private readonly List<ServerProcess> _processes = [];
    private readonly string _signingKey = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var process in _processes)
        {
            output.WriteLine($"--- {process.Name} ---\n{string.Join('\n', process.Output.Split('\n').Where(l => l.Contains("seed", StringComparison.OrdinalIgnoreCase) || l.Contains("Welcome") || l.Contains("JOINING") || l.Contains("ssociat")).TakeLast(60))}");
            await process.DisposeAsync();
        }
    }

    private ServerProcess Start(string name, int port, string[] seeds)
    {
        var env = new Dictionary<string, string>
        {
            ["OpenChat__Roles__0"] = "gateway",
            ["OpenChat__DataDirectory"] = Probe.NewTempDirectory("first-seed-" + name),
            ["OpenChat__Cluster__Port"] = port.ToString(),
            ["OpenChat__Auth__SigningKey"] = _signingKey,
            ["OpenChat__Auth__AdminKey"] = "first-seed-admin-key-0123456789abcdefghij",
        };
        for (var i = 0; i < seeds.Length; i++) env[$"OpenChat__Cluster__SeedNodes__{i}"] = seeds[i];
        var process = ServerProcess.Start(name, env);
        _processes.Add(process);
        return process;
    }

    [Fact]
    public async Task A_killed_first_seed_started_again_joins_the_cluster_the_other_seed_kept()
    {
        var first = Probe.FreeTcpPort();
        var second = Probe.FreeTcpPort();
        string[] seeds = [$"akka.tcp://openchat@127.0.0.1:{first}", $"akka.tcp://openchat@127.0.0.1:{second}"];
        var a = Start("first", first, seeds);
        var b = Start("second", second, seeds);
        // Gateways without a channels node are never ready: their joining is read from their log.
        await Probe.UntilAsync(() => Task.FromResult(b.CountLines("Welcome from") == 1), Patience, "the second seed to join the first");
        await a.KillAsync();
        var again = Start("first-again", first, seeds);
        await Probe.UntilAsync(() => Task.FromResult(again.CountLines("Welcome from") + again.CountLines("forming a new cluster") > 0), Patience,
            "the first seed, started again, to join a cluster or form one");
        Assert.Equal(0, again.CountLines("forming a new cluster"));
        Assert.Equal(1, again.CountLines("Welcome from [akka.tcp://openchat@127.0.0.1:" + second + "]"));
    }
}

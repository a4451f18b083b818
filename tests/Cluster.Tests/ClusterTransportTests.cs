using System.Security.Cryptography;
using OpenChat.TestSupport;
using Xunit;
using Xunit.Abstractions;

namespace OpenChat.Cluster.Tests;

/// <summary>
/// The cluster port with a cluster certificate: processes that reach it without the certificate (plain TCP, or TLS
/// with a certificate of their own) are refused on every attempt, never become members and never get a message to an
/// actor; a process given the certificate joins and works.
/// </summary>
[Collection(ProcessCollection.Name)]
public sealed class ClusterTransportTests(ITestOutputHelper output) : IAsyncLifetime
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(90);
    private readonly List<ServerProcess> _processes = [];
    private readonly string _folder = Probe.NewTempDirectory("cluster-transport");

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var process in _processes)
        {
            output.WriteLine($"--- {process.Name} ---\n{string.Join('\n', process.Output.Split('\n').TakeLast(80))}");
            await process.DisposeAsync();
        }
    }

    private ServerProcess Start(string name, string[] roles, int port, string seed, IDictionary<string, string>? settings = null)
    {
        var env = new Dictionary<string, string>
        {
            ["OpenChat__DataDirectory"] = Probe.NewTempDirectory("transport-" + name),
            ["OpenChat__Cluster__Port"] = port.ToString(),
            ["OpenChat__Cluster__SeedNodes__0"] = seed,
            // Each process signs its own tokens: an intruder never needs the cluster's signing key to post as anyone.
            ["OpenChat__Auth__SigningKey"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)),
        };
        for (var i = 0; i < roles.Length; i++) env[$"OpenChat__Roles__{i}"] = roles[i];
        foreach (var (k, v) in settings ?? new Dictionary<string, string>()) env[k] = v;
        var process = ServerProcess.Start(name, env);
        _processes.Add(process);
        return process;
    }

    [Fact]
    public async Task A_process_without_the_cluster_certificate_cannot_join_and_one_with_it_can()
    {
        var certificate = await TestCertificates.ClusterCertificateAsync(_folder);
        var now = DateTimeOffset.UtcNow;
        var stranger = TestCertificates.SelfSigned(_folder, now.AddDays(-1), now.AddDays(30));

        var seedPort = Probe.FreeTcpPort();
        var seed = $"akka.tcp://openchat@127.0.0.1:{seedPort}";
        var node = Start("seed", ["channels", "gateway"], seedPort, seed, certificate.Settings);
        await node.WaitReadyAsync(Patience);
        await using var alice = await ChatClient.ConnectAsync(node.BaseUrl, "Alice");
        await alice.OpenChannelAsync("general");

        // Two intruders on the same seed list: one speaks plain TCP; one speaks TLS and trusts the cluster's certificate
        // (its fingerprint is no secret) but presents a certificate of its own, so only the seed's check of the
        // certificate a dialling node presents stands in its way.
        var plainPort = Probe.FreeTcpPort();
        var plain = Start("intruder-plain", ["gateway"], plainPort, seed);
        var strangerPort = Probe.FreeTcpPort();
        var strangerSettings = stranger.Settings;
        strangerSettings["OpenChat__Cluster__Certificate__AcceptedFingerprints__0"] = certificate.Fingerprint;
        var withStranger = Start("intruder-tls", ["gateway"], strangerPort, seed, strangerSettings);

        // Either an intruder gets in, or the seed has turned each of them away several times.
        await Probe.UntilAsync(async () =>
                await plain.IsReadyAsync() || await withStranger.IsReadyAsync()
                || (node.CountLines("Rejected incoming connection") >= 3 && node.CountLines("Refused cluster connection") >= 1),
            Patience, "an intruder to join, or the seed to refuse the certificate of one and three connections in all");
        var plainReady = await plain.IsReadyAsync();
        var strangerReady = await withStranger.IsReadyAsync();
        output.WriteLine($"plain TCP intruder ready: {plainReady}; intruder with another certificate ready: {strangerReady}; " +
                         $"plain refusals: {node.CountLines("Rejected incoming connection")}, certificate refusals: {node.CountLines("Refused cluster connection")}");

        // An intruder that got in can post as anyone it likes through its own hub, and the channel stores it.
        foreach (var (intruder, ready) in new[] { (plain, plainReady), (withStranger, strangerReady) })
        {
            if (!ready) continue;
            await intruder.WaitReadyAsync(TimeSpan.FromSeconds(5));
            await using var mallory = await ChatClient.ConnectAsync(intruder.BaseUrl, "Alice");
            await mallory.PostAsync("general", $"forged through {intruder.Name}");
        }

        var stored = (await alice.HistoryAsync("general")).Messages;
        output.WriteLine($"stored in general before a member joined: [{string.Join("; ", stored.Select(m => $"{m.AuthorName}: {m.Text}"))}]");
        Assert.False(plainReady, "a process speaking plain TCP became a member of a cluster that has a certificate");
        Assert.False(strangerReady, "a process with another certificate became a member of the cluster");
        // Membership as the seed saw it: neither intruder's address ever joined.
        Assert.Equal(0, node.CountLines($"127.0.0.1:{plainPort}] is JOINING"));
        Assert.Equal(0, node.CountLines($"127.0.0.1:{strangerPort}] is JOINING"));

        // A process with the certificate joins through the same seed address and its posts reach the channel.
        var memberPort = Probe.FreeTcpPort();
        var member = Start("member", ["gateway"], memberPort, seed, certificate.Settings);
        await member.WaitReadyAsync(Patience);
        Assert.Equal(1, node.CountLines($"127.0.0.1:{memberPort}] is JOINING"));
        await using var bob = await ChatClient.ConnectAsync(member.BaseUrl, "Bob");
        var posted = await bob.PostAsync("general", "hello from a member");
        Assert.Equal(posted, await alice.NextMessageAsync());

        // Nothing any intruder sent reached the channel: its history holds the member's post only.
        var history = await alice.HistoryAsync("general");
        Assert.Equal(["hello from a member"], history.Messages.Select(m => m.Text));
        Assert.False(await plain.IsReadyAsync() || await withStranger.IsReadyAsync());
    }
}

using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Akka.Actor;
using Akka.Cluster;
using Akka.Configuration;
using Akka.Event;
using Akka.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OpenChat.Hosting;
using OpenChat.Protocol.Cluster;
using OpenChat.TestSupport;
using Xunit;

namespace OpenChat.Cluster.Tests;

/// <summary>
/// The first seed forms a cluster only when no other seed is in one. Nodes run in this process, each an Akka.Hosting
/// host wired as a server wires it (<see cref="AkkaSetup.AddOpenChatCluster"/>), on 127.0.0.1. A seed "too busy to
/// answer" is a port that accepts connections and never says a word, as a loaded machine looks from outside.
/// </summary>
public sealed class FirstSeedTests : IAsyncLifetime
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);
    private static readonly FirstSeedTiming Quick = new(TimeSpan.FromSeconds(1), TimeSpan.FromMilliseconds(200));
    private readonly List<IHost> _hosts = [];
    private readonly List<ActorSystem> _systems = [];
    private TcpListener? _silent;
    private readonly List<Socket> _held = [];

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var host in _hosts) await host.StopAsync();
        foreach (var host in _hosts) host.Dispose();
        foreach (var system in _systems) await system.Terminate();
        _silent?.Stop();
        foreach (var socket in _held) socket.Dispose();
    }

    private static string AddressOf(int port) => $"akka.tcp://{AkkaSetup.SystemName}@127.0.0.1:{port}";

    private async Task<ActorSystem> StartNodeAsync(int port, string[] seeds, Action<ActorSystem>? beforeJoin = null)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        var options = new OpenChatOptions { Roles = [OpenChatRoles.Gateway], Cluster = { Port = port, SeedNodes = seeds } };
        builder.Services.AddAkka(AkkaSetup.SystemName, (akka, _) =>
        {
            // A node that dies leaves without a word (as a killed process does), and its log reaches the test.
            akka.AddHocon("akka.coordinated-shutdown.run-by-actor-system-terminate = off\nakka.loglevel = INFO", HoconAddMode.Prepend);
            if (beforeJoin is not null) akka.WithActors((system, _) => beforeJoin(system));
            akka.AddOpenChatCluster(options, firstSeed: Quick);
        });
        var host = builder.Build();
        _hosts.Add(host);
        await host.StartAsync();
        return host.Services.GetRequiredService<ActorSystem>();
    }

    /// <summary>A port that accepts connections and never answers: a seed too busy to say anything in time.</summary>
    private int SilentSeedPort()
    {
        _silent = new TcpListener(IPAddress.Loopback, 0);
        _silent.Start();
        _ = Task.Run(async () =>
        {
            try
            {
                while (true) lock (_held) _held.Add(_silent.AcceptSocket());
            }
            catch (SocketException)
            {
            }
            await Task.CompletedTask;
        });
        return ((IPEndPoint)_silent.LocalEndpoint).Port;
    }

    private static Task WaitUpAsync(ActorSystem system, int members, string what) =>
        Probe.UntilAsync(() => Task.FromResult(
                Akka.Cluster.Cluster.Get(system).SelfMember.Status == MemberStatus.Up
                && Akka.Cluster.Cluster.Get(system).State.Members.Count(m => m.Status == MemberStatus.Up) == members),
            Patience, what);

    [Fact]
    public async Task Akka_s_own_first_seed_process_forms_a_second_cluster_when_the_other_seed_is_slow_to_answer()
    {
        // The fault this guards against, shown with Akka's seed-nodes setting: the first seed gives up on a seed that
        // does not answer within seed-node-timeout and founds a cluster of its own.
        var silent = SilentSeedPort();
        var port = Probe.FreeTcpPort();
        var system = ActorSystem.Create(AkkaSetup.SystemName, ConfigurationFactory.ParseString($$"""
            akka.actor.provider = cluster
            akka.loglevel = WARNING
            akka.remote.dot-netty.tcp { hostname = 127.0.0.1, port = {{port}} }
            akka.cluster.seed-nodes = ["{{AddressOf(port)}}", "{{AddressOf(silent)}}"]
            akka.cluster.seed-node-timeout = 1s
            """));
        _systems.Add(system);
        await WaitUpAsync(system, 1, "Akka's first seed to form a cluster of its own");
    }

    [Fact]
    public async Task The_first_seed_does_not_form_a_cluster_while_another_seed_accepts_connections_but_does_not_answer()
    {
        var silent = SilentSeedPort();
        var port = Probe.FreeTcpPort();
        var warnings = new ConcurrentQueue<string>();
        var system = await StartNodeAsync(port, [AddressOf(port), AddressOf(silent)], system =>
        {
            var listener = system.ActorOf(Props.Create(() => new LogCollector(warnings)));
            system.EventStream.Subscribe(listener, typeof(Warning));
        });
        await Probe.UntilAsync(() => Task.FromResult(warnings.Count(w => w.StartsWith("First seed, round", StringComparison.Ordinal)) >= 3),
            Patience, "three rounds of asking the other seed");
        Assert.Equal(MemberStatus.Removed, Akka.Cluster.Cluster.Get(system).SelfMember.Status);
        Assert.Contains(warnings, w => w.Contains($"{AddressOf(silent)}: NoAnswer", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_restarted_first_seed_joins_the_cluster_the_other_seed_is_in()
    {
        var first = Probe.FreeTcpPort();
        var second = Probe.FreeTcpPort();
        string[] seeds = [AddressOf(first), AddressOf(second)];
        // A fresh start: the second seed is up but in no cluster, so the first one forms it and the second joins.
        var second0 = await StartNodeAsync(second, seeds);
        var first0 = await StartNodeAsync(first, seeds);
        await WaitUpAsync(second0, 2, "both seeds in one cluster");

        // The first seed dies without leaving; the same address comes back as a new incarnation.
        var oldIncarnation = Akka.Cluster.Cluster.Get(first0).SelfUniqueAddress;
        await first0.Terminate();
        var first1 = await StartNodeAsync(first, seeds);
        await Probe.UntilAsync(() => Task.FromResult(Akka.Cluster.Cluster.Get(second0).State.Members
                .Any(m => m.UniqueAddress.Address.Equals(oldIncarnation.Address) && m.UniqueAddress.Uid != oldIncarnation.Uid && m.Status == MemberStatus.Up)),
            Patience, "the new incarnation of the first seed to be Up in the second seed's cluster");
        // One cluster: the first seed sees the second one as a member, not a cluster of its own.
        await WaitUpAsync(first1, 2, "the restarted first seed to see both members Up");
    }

    [Fact]
    public async Task The_first_seed_forms_the_cluster_when_no_node_listens_at_the_other_seed()
    {
        var port = Probe.FreeTcpPort();
        var system = await StartNodeAsync(port, [AddressOf(port), AddressOf(Probe.FreeTcpPort())]);
        await WaitUpAsync(system, 1, "the first seed to form the cluster");
    }

    [Fact]
    public void The_decision_waits_for_every_seed_unless_one_is_in_a_cluster()
    {
        Assert.Equal(FirstSeedJoiner.Decision.Joining, FirstSeedJoiner.Decide([SeedState.NoAnswer, SeedState.Member]));
        Assert.Equal(FirstSeedJoiner.Decision.FormCluster, FirstSeedJoiner.Decide([SeedState.Absent, SeedState.NotMember]));
        Assert.Equal(FirstSeedJoiner.Decision.AskAgain, FirstSeedJoiner.Decide([SeedState.Absent, SeedState.NoAnswer]));
    }

    private sealed class LogCollector : ReceiveActor
    {
        public LogCollector(ConcurrentQueue<string> lines) => Receive<LogEvent>(e => lines.Enqueue(e.Message?.ToString() ?? ""));
    }
}

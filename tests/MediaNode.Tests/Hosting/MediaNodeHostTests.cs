using Akka.Actor;
using Akka.Cluster;
using Akka.DistributedData;
using Akka.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OpenChat.Hosting;
using OpenChat.Protocol.Cluster;
using OpenChat.Protocol.Ids;
using OpenChat.Protocol.Commands;
using OpenChat.Protocol.Media;
using OpenChat.MediaNode.Mixers;
using OpenChat.TestSupport;
using Xunit;

namespace OpenChat.MediaNode.Tests.Hosting;

/// <summary>Two media nodes, each a Generic Host joined to one cluster on 127.0.0.1.</summary>
public sealed class MediaNodeHostTests : IAsyncLifetime
{
    private IHost _a = null!;
    private IHost _b = null!;

    private static IHost Build(string[] seeds)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["OpenChat:Media:LoadReportInterval"] = "00:00:00.200",
            // Turns of 10 members that last until their rooms have moved (within the test's time): three turns fit in
            // half of the drain timeout, so a node's 26 members are not enough to raise the turn's size.
            ["OpenChat:Media:DrainMembersAtOnce"] = "10",
            ["OpenChat:Media:DrainTimeout"] = "00:01:00",
            ["OpenChat:Media:DrainTurn"] = "00:00:10",
        });
        var options = new OpenChatOptions { Roles = [OpenChatRoles.Media], Cluster = { Port = 0, SeedNodes = seeds } };
        builder.Services.AddOpenChatMedia(builder.Configuration);
        builder.Services.AddAkka(AkkaSetup.SystemName, (akka, _) => akka.AddOpenChatCluster(options).AddMediaActors(MediaSetup.ReadOptions(builder.Configuration)));
        return builder.Build();
    }

    public async Task InitializeAsync()
    {
        _a = Build([]);
        await _a.StartAsync();
        var seed = Akka.Cluster.Cluster.Get(_a.Services.GetRequiredService<ActorSystem>()).SelfAddress.ToString();
        _b = Build([seed]);
        await _b.StartAsync();
    }

    public async Task DisposeAsync()
    {
        await _b.StopAsync();
        await _a.StopAsync();
        _b.Dispose();
        _a.Dispose();
    }

    private static async Task<IReadOnlyDictionary<string, MediaNodeLoad>> LoadsSeenBy(IHost host)
    {
        var replicator = DistributedData.Get(host.Services.GetRequiredService<ActorSystem>()).Replicator;
        var response = await replicator.Ask<IGetResponse>(Dsl.Get(MediaLoad.Key, ReadLocal.Instance), TimeSpan.FromSeconds(5));
        return response.IsSuccessful ? response.Get(MediaLoad.Key).Entries : new Dictionary<string, MediaNodeLoad>();
    }

    private static async Task<IReadOnlyDictionary<string, MediaNodeLoad>> WaitForLoads(IHost host, Func<IReadOnlyDictionary<string, MediaNodeLoad>, bool> condition)
    {
        IReadOnlyDictionary<string, MediaNodeLoad> loads = new Dictionary<string, MediaNodeLoad>();
        await Probe.UntilAsync(async () => condition(loads = await LoadsSeenBy(host)), TimeSpan.FromSeconds(30), "the expected load reports");
        return loads;
    }

    private static string NodeOf(IHost host) => Akka.Cluster.Cluster.Get(host.Services.GetRequiredService<ActorSystem>()).SelfAddress.ToString();

    /// <summary>A room owner on a node: it moves its room away (stops the mixer) as soon as the mixer says it drains.</summary>
    private sealed class MovingOwner : ReceiveActor
    {
        public MovingOwner()
        {
            Receive<MixerDraining>(d => d.Mixer.Tell(new StopMixer(d.Room)));
            ReceiveAny(_ => { });
        }
    }

    private static IActorRef OwnerOn(IHost host) =>
        host.Services.GetRequiredService<ActorSystem>().ActorOf(Props.Create(() => new MovingOwner()));

    [Fact]
    public async Task Draining_stops_new_rooms_asks_every_owner_to_move_and_completes_when_no_mixer_is_left()
    {
        var loads = await WaitForLoads(_b, l => l.Count == 2);
        var managerOfA = loads[NodeOf(_a)].Manager;
        var owner = OwnerOn(_b);
        foreach (var name in new[] { "one", "two", "three" })
            await managerOfA.Ask<MixerReady>(new CreateMixer(new ChannelId(name), owner), TimeSpan.FromSeconds(10));
        Assert.Equal(3, _a.Services.GetRequiredService<MediaEngineService>().Engine.RoomCount);

        var drained = await managerOfA.Ask<MixerManagerActor.Drained>(new MixerManagerActor.Drain(TimeSpan.FromSeconds(20)), TimeSpan.FromSeconds(25));

        Assert.Equal(0, drained.RoomsLeft);
        Assert.Equal(0, _a.Services.GetRequiredService<MediaEngineService>().Engine.RoomCount);
        var refused = await managerOfA.Ask<object>(new CreateMixer(new ChannelId("four"), owner), TimeSpan.FromSeconds(10));
        Assert.IsType<CommandRejected>(refused);
        await WaitForLoads(_b, l => l.TryGetValue(NodeOf(_a), out var a) && a.Draining && a.Rooms == 0);
    }

    /// <summary>A room owner that, when its mixer says it drains, notes how many rooms the node still runs, then moves the room.</summary>
    private sealed class CountingOwner : ReceiveActor
    {
        public CountingOwner(OpenChat.MediaNode.Engine.MixerEngine engine, List<(string Room, int RoomsLeft)> asked)
        {
            Receive<MixerDraining>(d =>
            {
                lock (asked) asked.Add((d.Room.Value, engine.RoomCount));
                d.Mixer.Tell(new StopMixer(d.Room));
            });
            ReceiveAny(_ => { });
        }
    }

    [Fact]
    public async Task A_draining_node_moves_its_rooms_in_turns_of_about_the_configured_number_of_members()
    {
        var loads = await WaitForLoads(_b, l => l.Count == 2);
        var managerOfA = loads[NodeOf(_a)].Manager;
        var engineOfA = _a.Services.GetRequiredService<MediaEngineService>().Engine;
        var asked = new List<(string Room, int RoomsLeft)>();
        var owner = _b.Services.GetRequiredService<ActorSystem>().ActorOf(Props.Create(() => new CountingOwner(engineOfA, asked)));
        // Three rooms of 8 members and two of 1: with turns of 10 members, each room of 8 moves alone, the small
        // rooms go with the last of them.
        var rooms = new (string Name, int Members)[] { ("big-1", 8), ("big-2", 8), ("small-1", 1), ("big-3", 8), ("small-2", 1) };
        long id = 0;
        foreach (var (name, members) in rooms)
        {
            await managerOfA.Ask<MixerReady>(new CreateMixer(new ChannelId(name), owner), TimeSpan.FromSeconds(10));
            Assert.True(engineOfA.TryGetRoom(MixerActor.RoomIdFor(new ChannelId(name)), out var room));
            for (int i = 0; i < members; i++) room.AddMember(new OpenChat.MediaNode.Engine.MemberId(++id));
        }

        var drained = await managerOfA.Ask<MixerManagerActor.Drained>(new MixerManagerActor.Drain(TimeSpan.FromSeconds(20)), TimeSpan.FromSeconds(25));

        Assert.Equal(0, drained.RoomsLeft);
        // Each owner was asked only once the turn before had moved: the largest rooms first, one per turn, the small
        // ones in the last turn with the third large room (their mixers ask the owner in no set order, and by the
        // time the last of them does, another of the turn may have moved).
        lock (asked)
        {
            Assert.Equal([("big-1", 5), ("big-2", 4)], asked.Take(2));
            Assert.Equal(["big-3", "small-1", "small-2"], asked.Skip(2).Select(a => a.Room).Order());
            Assert.Equal(3, asked[2].RoomsLeft);
            Assert.All(asked.Skip(2), a => Assert.InRange(a.RoomsLeft, 1, 3));
        }
    }

    [Fact]
    public async Task The_last_media_node_does_not_wait_for_rooms_that_cannot_move()
    {
        var loads = await WaitForLoads(_a, l => l.Count == 2);
        var managerOfA = loads[NodeOf(_a)].Manager;
        // An owner that never moves its room: with another node it would keep the drain waiting.
        var stubborn = _a.Services.GetRequiredService<ActorSystem>().ActorOf(Props.Create(() => new StubbornOwner()));
        await managerOfA.Ask<MixerReady>(new CreateMixer(new ChannelId("stays"), stubborn), TimeSpan.FromSeconds(10));
        await _b.StopAsync();
        var clusterOfA = Akka.Cluster.Cluster.Get(_a.Services.GetRequiredService<ActorSystem>());
        await Probe.UntilAsync(() => Task.FromResult(clusterOfA.State.Members.Count == 1), TimeSpan.FromSeconds(30), "node B to leave");

        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        var drained = await managerOfA.Ask<MixerManagerActor.Drained>(new MixerManagerActor.Drain(TimeSpan.FromSeconds(30)), TimeSpan.FromSeconds(35));

        Assert.Equal(1, drained.RoomsLeft);
        // Answered at once rather than after the 30 s drain timeout.
        Assert.True(System.Diagnostics.Stopwatch.GetElapsedTime(started) < TimeSpan.FromSeconds(10));
    }

    private sealed class StubbornOwner : ReceiveActor
    {
        public StubbornOwner() => ReceiveAny(_ => { });
    }

    [Fact]
    public async Task A_mixer_stops_when_its_owner_is_gone()
    {
        var loads = await WaitForLoads(_b, l => l.Count == 2);
        var managerOfA = loads[NodeOf(_a)].Manager;
        var owner = OwnerOn(_b);
        await managerOfA.Ask<MixerReady>(new CreateMixer(new ChannelId("orphan"), owner), TimeSpan.FromSeconds(10));
        var engineOfA = _a.Services.GetRequiredService<MediaEngineService>().Engine;
        Assert.Equal(1, engineOfA.RoomCount);

        owner.Tell(PoisonPill.Instance);

        await Probe.UntilAsync(() => Task.FromResult(engineOfA.RoomCount == 0), TimeSpan.FromSeconds(10), "the orphaned mixer to stop");
    }

    [Fact]
    public async Task Both_nodes_publish_load_reports_that_either_node_can_read()
    {
        var seenByA = await WaitForLoads(_a, l => l.Count == 2);
        var seenByB = await WaitForLoads(_b, l => l.Count == 2);
        Assert.Equal(new[] { NodeOf(_a), NodeOf(_b) }.Order(), seenByA.Keys.Order());
        Assert.Equal(seenByA.Keys.Order(), seenByB.Keys.Order());
        Assert.All(seenByB.Values, load =>
        {
            Assert.Equal(0, load.Rooms);
            Assert.False(load.Draining);
            Assert.True(DateTimeOffset.UtcNow - load.ReportedAt < TimeSpan.FromSeconds(10));
        });
    }

    [Fact]
    public async Task Mixers_are_created_and_stopped_on_request_on_the_node_that_was_asked()
    {
        var loads = await WaitForLoads(_b, l => l.Count == 2);
        var managerOfA = loads[NodeOf(_a)].Manager;
        var engineOfA = _a.Services.GetRequiredService<MediaEngineService>().Engine;
        var engineOfB = _b.Services.GetRequiredService<MediaEngineService>().Engine;
        var room = new ChannelId("lounge");
        var owner = OwnerOn(_b);

        // Asked from node B, through the manager reference node A published.
        var ready = await managerOfA.Ask<MixerReady>(new CreateMixer(room, owner), TimeSpan.FromSeconds(10));
        Assert.Equal(NodeOf(_a), ready.Node);
        Assert.Equal(1, engineOfA.RoomCount);
        Assert.Equal(0, engineOfB.RoomCount);
        var again = await managerOfA.Ask<MixerReady>(new CreateMixer(room, owner), TimeSpan.FromSeconds(10));
        Assert.Equal(ready.Mixer, again.Mixer);
        await WaitForLoads(_b, l => l.TryGetValue(NodeOf(_a), out var a) && a.Rooms == 1);

        await managerOfA.Ask<MixerStopped>(new StopMixer(room), TimeSpan.FromSeconds(10));
        Assert.Equal(0, engineOfA.RoomCount);
        var list = await managerOfA.Ask<MixerList>(GetMixers.Instance, TimeSpan.FromSeconds(10));
        Assert.Empty(list.Rooms);
        await WaitForLoads(_b, l => l.TryGetValue(NodeOf(_a), out var a) && a.Rooms == 0);
    }
}

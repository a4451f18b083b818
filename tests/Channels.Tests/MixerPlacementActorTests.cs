using Akka.Actor;
using Akka.Cluster;
using Akka.DistributedData;
using Akka.TestKit;
using Akka.TestKit.Xunit2;
using OpenChat.Protocol.Ids;
using OpenChat.Channels.Placement;
using OpenChat.Protocol;
using OpenChat.Protocol.Commands;
using OpenChat.Protocol.Media;
using Xunit;
using Xunit.Abstractions;

namespace OpenChat.Channels.Tests;

/// <summary>The placement actor in a one-node cluster with real distributed data; media managers are test probes.</summary>
public sealed class MixerPlacementActorTests : TestKit
{
    private static readonly ChannelId Room = new("lounge");

    public MixerPlacementActorTests(ITestOutputHelper output)
        : base("""
            akka.actor.provider = cluster
            akka.remote.dot-netty.tcp.hostname = 127.0.0.1
            akka.remote.dot-netty.tcp.port = 0
            akka.test.single-expect-default = 10s
            """, "placement", output)
    {
        var cluster = Akka.Cluster.Cluster.Get(Sys);
        cluster.Join(cluster.SelfAddress);
        AwaitCondition(() => cluster.SelfMember.Status == MemberStatus.Up);
    }

    private void Publish(params MediaNodeLoad[] loads)
    {
        var cluster = Akka.Cluster.Cluster.Get(Sys);
        var replicator = DistributedData.Get(Sys).Replicator;
        foreach (var load in loads)
        {
            replicator.Tell(Dsl.Update(MediaLoad.Key, LWWDictionary<string, MediaNodeLoad>.Empty, WriteLocal.Instance,
                map => map.SetItem(cluster, load.Node, load)));
            ExpectMsg<UpdateSuccess>();
        }
    }

    private static MediaNodeLoad Load(string node, IActorRef manager, int members = 0, bool draining = false) =>
        new(node, manager, 0, members, 0, 0, 1, 0, draining, 100, DateTimeOffset.UtcNow);

    private IActorRef StartPlacement(TimeSpan? createTimeout = null, TimeSpan? waitForNode = null)
    {
        var placement = Sys.ActorOf(MixerPlacementActor.Props(new TwoChoicePlacement(TimeSpan.FromSeconds(5)),
            createTimeout ?? TimeSpan.FromSeconds(5), waitForNode ?? TimeSpan.Zero));
        return placement;
    }

    /// <summary>Asks until the placement actor has seen the published reports (distributed data delivers changes asynchronously).</summary>
    private object PlaceWhenKnown(IActorRef placement, PlaceMixer request, Func<object, bool> done)
    {
        object reply = null!;
        AwaitAssert(() =>
        {
            reply = placement.Ask<object>(request, TimeSpan.FromSeconds(5)).Result;
            Assert.True(done(reply), reply.ToString());
        }, TimeSpan.FromSeconds(10), TimeSpan.FromMilliseconds(200));
        return reply;
    }

    [Fact]
    public void A_room_goes_to_the_less_loaded_node_which_creates_the_mixer()
    {
        var busy = CreateTestProbe();
        var idle = CreateTestProbe();
        busy.SetAutoPilot(new DelegateAutoPilot((sender, msg) =>
        {
            if (msg is CreateMixer c) sender.Tell(new MixerReady(c.Room, busy.Ref, "busy"));
            return AutoPilot.KeepRunning;
        }));
        idle.SetAutoPilot(new DelegateAutoPilot((sender, msg) =>
        {
            if (msg is CreateMixer c) sender.Tell(new MixerReady(c.Room, idle.Ref, "idle"));
            return AutoPilot.KeepRunning;
        }));
        Publish(Load("busy", busy.Ref, members: 80), Load("idle", idle.Ref, members: 5));
        var placement = StartPlacement();

        var ready = (MixerReady)PlaceWhenKnown(placement, new PlaceMixer(Room, null, TestActor), r => r is MixerReady);
        Assert.Equal("idle", ready.Node);
        Assert.Equal(Room, ready.Room);
    }

    [Fact]
    public void Draining_nodes_and_the_node_to_avoid_get_nothing()
    {
        var draining = CreateTestProbe();
        var lost = CreateTestProbe();
        var good = CreateTestProbe();
        good.SetAutoPilot(new DelegateAutoPilot((sender, msg) =>
        {
            if (msg is CreateMixer c) sender.Tell(new MixerReady(c.Room, good.Ref, "good"));
            return AutoPilot.KeepRunning;
        }));
        Publish(Load("draining", draining.Ref, draining: true), Load("lost", lost.Ref), Load("good", good.Ref, members: 50));
        var placement = StartPlacement();

        for (var i = 0; i < 5; i++)
        {
            var ready = (MixerReady)PlaceWhenKnown(placement, new PlaceMixer(new ChannelId($"room-{i}"), "lost", TestActor), r => r is MixerReady);
            Assert.Equal("good", ready.Node);
        }
        draining.ExpectNoMsg(TimeSpan.FromMilliseconds(100));
        lost.ExpectNoMsg(TimeSpan.FromMilliseconds(100));
    }

    /// <summary>
    /// A cluster member with the media role at <paramref name="address"/>, as cluster events carry it. Akka.Cluster makes
    /// members only inside the library (<c>Member.Create</c> is internal), so this calls that factory by reflection.
    /// </summary>
    private static Member MediaMember(string address, int uid)
    {
        var create = typeof(Member).GetMethods(System.Reflection.BindingFlags.Static | System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Public)
            .Single(m => m.Name == "Create" && m.GetParameters().Select(p => p.ParameterType).SequenceEqual(
                [typeof(UniqueAddress), typeof(System.Collections.Immutable.ImmutableHashSet<string>), typeof(Akka.Util.AppVersion)]));
        return (Member)create.Invoke(null, [new UniqueAddress(Address.Parse(address), uid),
            System.Collections.Immutable.ImmutableHashSet.Create(OpenChat.Protocol.Cluster.OpenChatRoles.Media), Akka.Util.AppVersion.Zero])!;
    }

    [Fact]
    public void A_media_node_that_left_and_came_back_at_the_same_address_takes_rooms_again()
    {
        var node = CreateTestProbe();
        const string address = "akka.tcp://placement@127.0.0.1:31999";
        node.SetAutoPilot(new DelegateAutoPilot((sender, msg) =>
        {
            if (msg is CreateMixer c) sender.Tell(new MixerReady(c.Room, node.Ref, address));
            return AutoPilot.KeepRunning;
        }));
        var placement = StartPlacement();
        var old = MediaMember(address, uid: 1);
        placement.Tell(new ClusterEvent.MemberRemoved(old.Copy(MemberStatus.Removed), MemberStatus.Exiting));
        Publish(Load(address, node.Ref));
        placement.Tell(new PlaceMixer(Room, null, TestActor));
        Assert.Equal(ErrorCode.Unavailable, ExpectMsg<CommandRejected>().Code);

        // The pod restarted on the same host address: a new member (another uid) is up there and reports.
        var again = MediaMember(address, uid: 2);
        placement.Tell(new ClusterEvent.MemberUp(again.Copy(MemberStatus.Up)));
        Publish(Load(address, node.Ref));

        var ready = (MixerReady)PlaceWhenKnown(placement, new PlaceMixer(Room, null, TestActor), r => r is MixerReady);
        Assert.Equal(address, ready.Node);
    }

    [Fact]
    public void Without_any_media_node_placement_is_refused_as_unavailable()
    {
        var placement = StartPlacement();
        placement.Tell(new PlaceMixer(Room, null, TestActor));
        Assert.Equal(ErrorCode.Unavailable, ExpectMsg<CommandRejected>().Code);
    }

    [Fact]
    public void A_request_made_before_any_node_reported_waits_for_the_first_report()
    {
        var placement = StartPlacement(waitForNode: TimeSpan.FromSeconds(10));
        placement.Tell(new PlaceMixer(Room, null, TestActor));
        ExpectNoMsg(TimeSpan.FromMilliseconds(300));

        var late = CreateTestProbe();
        late.SetAutoPilot(new DelegateAutoPilot((sender, msg) =>
        {
            if (msg is CreateMixer c) sender.Tell(new MixerReady(c.Room, late.Ref, "late"));
            return AutoPilot.KeepRunning;
        }));
        Publish(Load("late", late.Ref));

        Assert.Equal("late", ExpectMsg<MixerReady>().Node);
    }

    [Fact]
    public void A_media_node_that_does_not_answer_makes_placement_fail_instead_of_hanging()
    {
        var silent = CreateTestProbe();
        Publish(Load("silent", silent.Ref));
        var placement = StartPlacement(TimeSpan.FromMilliseconds(300));

        var reply = PlaceWhenKnown(placement, new PlaceMixer(Room, null, TestActor), r => r is CommandRejected { Reason: var reason } && reason.Contains("silent"));
        Assert.Equal(ErrorCode.Unavailable, ((CommandRejected)reply).Code);
        silent.ExpectMsg<CreateMixer>();
    }
}

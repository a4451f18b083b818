using Akka.Actor;
using Akka.Cluster;
using Akka.DistributedData;
using Akka.TestKit;
using Akka.TestKit.Xunit2;
using OpenChat.Channels.Placement;
using OpenChat.Protocol.Commands;
using OpenChat.Protocol.Ids;
using OpenChat.Protocol.Media;
using Xunit;
using Xunit.Abstractions;

namespace OpenChat.Channels.Tests;

/// <summary>
/// Placement reads the replica's current reports when it places, not what its subscription last delivered:
/// subscribers are told of changes only every notify interval (30 s here, so a placement that relied on them
/// would see stale loads for the whole test).
/// </summary>
public sealed class MixerPlacementFreshReportTests : TestKit
{
    public MixerPlacementFreshReportTests(ITestOutputHelper output)
        : base("""
            akka.actor.provider = cluster
            akka.remote.dot-netty.tcp.hostname = 127.0.0.1
            akka.remote.dot-netty.tcp.port = 0
            akka.cluster.distributed-data.notify-subscribers-interval = 30s
            akka.test.single-expect-default = 10s
            """, "placement-fresh", output)
    {
        var cluster = Akka.Cluster.Cluster.Get(Sys);
        cluster.Join(cluster.SelfAddress);
        AwaitCondition(() => cluster.SelfMember.Status == MemberStatus.Up);
    }

    private void Publish(MediaNodeLoad load)
    {
        var cluster = Akka.Cluster.Cluster.Get(Sys);
        DistributedData.Get(Sys).Replicator.Tell(Dsl.Update(MediaLoad.Key, LWWDictionary<string, MediaNodeLoad>.Empty,
            WriteLocal.Instance, map => map.SetItem(cluster, load.Node, load)));
        ExpectMsg<UpdateSuccess>();
    }

    private TestProbe MediaNode(string name)
    {
        var probe = CreateTestProbe(name);
        probe.SetAutoPilot(new DelegateAutoPilot((sender, msg) =>
        {
            if (msg is CreateMixer c) sender.Tell(new MixerReady(c.Room, probe.Ref, name));
            return AutoPilot.KeepRunning;
        }));
        return probe;
    }

    private static MediaNodeLoad Load(string node, IActorRef manager, int rooms) =>
        new(node, manager, rooms, rooms * 2, 0, 0, 1, 0, false, 100, DateTimeOffset.UtcNow);

    [Fact]
    public void A_node_that_has_just_reported_takes_the_next_room()
    {
        var placement = Sys.ActorOf(MixerPlacementActor.Props(new TwoChoicePlacement(TimeSpan.FromSeconds(30)),
            TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(5)));
        var busy = MediaNode("busy");
        Publish(Load("busy", busy.Ref, rooms: 3));
        placement.Tell(new PlaceMixer(new ChannelId("first"), null, TestActor));
        Assert.Equal("busy", ExpectMsg<MixerReady>().Node);

        // A node joins and reports: the very next room is its, not the busy node's.
        var joined = MediaNode("joined");
        Publish(Load("joined", joined.Ref, rooms: 0));
        placement.Tell(new PlaceMixer(new ChannelId("second"), null, TestActor));
        Assert.Equal("joined", ExpectMsg<MixerReady>().Node);
    }

    [Fact]
    public void A_request_waiting_for_a_node_is_placed_once_one_reports()
    {
        var placement = Sys.ActorOf(MixerPlacementActor.Props(new TwoChoicePlacement(TimeSpan.FromSeconds(30)),
            TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(20)));
        placement.Tell(new PlaceMixer(new ChannelId("early"), null, TestActor));
        ExpectNoMsg(TimeSpan.FromMilliseconds(300));

        var late = MediaNode("late");
        Publish(Load("late", late.Ref, rooms: 0));
        Assert.Equal("late", ExpectMsg<MixerReady>().Node);
    }
}

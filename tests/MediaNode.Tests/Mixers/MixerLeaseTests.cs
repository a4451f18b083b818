using System.Net;
using Akka.Actor;
using Akka.TestKit.Xunit2;
using OpenChat.MediaNode.Engine;
using OpenChat.MediaNode.Mixers;
using OpenChat.Protocol.Ids;
using OpenChat.Protocol.Media;
using OpenChat.Rtc.Transport;
using OpenChat.TestSupport;
using Xunit;
using Xunit.Abstractions;

namespace OpenChat.MediaNode.Tests.Mixers;

/// <summary>
/// A room mixer's lease and media reports, with the node's real engine and WebRTC endpoint on 127.0.0.1: a mixer
/// whose owner stops renewing it stops itself, and the owner hears of a member only once its media connects.
/// </summary>
public sealed class MixerLeaseTests : TestKit, IDisposable
{
    private static readonly ChannelId Lounge = new("lounge");
    private readonly MixerEngine _engine = new(new EngineOptions());
    private readonly RtcEndpoint _endpoint = new(new RtcEndpointOptions { BindAddress = IPAddress.Loopback, Port = 0 });
    private readonly RtcClient _client = new(new RtcClientOptions());

    public MixerLeaseTests(ITestOutputHelper output) : base("akka.test.single-expect-default = 15s", "mixer-lease", output)
    {
    }

    private IActorRef StartMixer(IActorRef owner) =>
        Sys.ActorOf(MixerActor.Props(Lounge, _engine.CreateRoom(MixerActor.RoomIdFor(Lounge)), _endpoint, owner));

    private async Task<bool> IsAliveAsync(IActorRef actor) =>
        (await actor.Ask<ActorIdentity>(new Identify(1), TimeSpan.FromSeconds(10))).Subject is not null;

    [Fact]
    public async Task A_mixer_runs_while_its_owner_renews_the_lease_and_stops_itself_once_the_renewals_stop()
    {
        var owner = CreateTestProbe();
        var mixer = StartMixer(owner.Ref);
        Watch(mixer);
        var lease = new RenewMixerLease(Lounge, TimeSpan.FromSeconds(1));

        // Four lease periods with a renewal every quarter of one: still running.
        for (var i = 0; i < 16; i++)
        {
            mixer.Tell(lease, owner.Ref);
            await Task.Delay(250); // the owner's renewal pace, not a wait for a condition
        }
        Assert.True(await IsAliveAsync(mixer));

        ExpectTerminated(mixer, TimeSpan.FromSeconds(15));
    }

    [Fact]
    public void Renewals_from_anyone_but_the_owner_do_not_keep_a_mixer_running()
    {
        var owner = CreateTestProbe();
        var stranger = CreateTestProbe();
        var mixer = StartMixer(owner.Ref);
        Watch(mixer);
        mixer.Tell(new RenewMixerLease(Lounge, TimeSpan.FromMilliseconds(500)), owner.Ref);
        // The stranger's renewals (and a nonsense lease) are ignored; the owner's lapses.
        for (var i = 0; i < 5; i++) mixer.Tell(new RenewMixerLease(Lounge, TimeSpan.FromHours(1)), stranger.Ref);
        mixer.Tell(new RenewMixerLease(Lounge, TimeSpan.FromSeconds(-1)), owner.Ref);

        ExpectTerminated(mixer, TimeSpan.FromSeconds(15));
    }

    [Fact]
    public async Task The_owner_hears_of_a_member_only_once_its_media_connects()
    {
        var owner = CreateTestProbe();
        var mixer = StartMixer(owner.Ref);
        var session = _client.CreateSession(new RtcSessionOptions());
        var connected = await mixer.Ask<MemberConnected>(new ConnectMember(Lounge, new UserId("alice"), session.Offer, false, false), TimeSpan.FromSeconds(10));
        // The offer alone is accepted, but no media has connected: nothing is reported.
        Assert.False(owner.HasMessages);

        await session.ConnectAsync(connected.SdpAnswer).WaitAsync(TimeSpan.FromSeconds(15));
        Assert.Equal(new MemberMediaConnected(Lounge, new UserId("alice")), owner.ExpectMsg<MemberMediaConnected>());
    }

    public new void Dispose()
    {
        base.Dispose();
        _endpoint.Dispose();
        _engine.Dispose();
    }
}

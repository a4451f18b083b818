using Akka.Actor;
using Akka.TestKit;
using Akka.TestKit.Xunit2;
using OpenChat.Channels;
using OpenChat.Channels.Directory;
using OpenChat.Protocol.Ids;
using OpenChat.Protocol;
using OpenChat.Protocol.Commands;
using OpenChat.Protocol.Events;
using OpenChat.Protocol.Media;
using OpenChat.Protocol.Voice;
using Xunit;
using Xunit.Abstractions;

namespace OpenChat.Channels.Tests;

/// <summary>
/// The voice side of a channel entity: membership, the mixer's lifecycle, failover and drain. Placement and the
/// mixers are test probes standing in for media nodes, so every message between them can be checked.
/// </summary>
public sealed class ChannelVoiceTests : TestKit
{
    private static readonly ChannelId Lounge = new("lounge");
    private static readonly ChannelId General = new("general");
    private static readonly UserId Alice = new("u-alice");
    private static readonly UserId Bob = new("u-bob");
    private const string NodeA = "akka.tcp://openchat@127.0.0.1:4101";
    private const string NodeB = "akka.tcp://openchat@127.0.0.1:4102";

    private readonly IActorRef _directory;
    private readonly TestProbe _placement;

    public ChannelVoiceTests(ITestOutputHelper output)
        : base(ActorTestConfig.Setup(ActorTestConfig.NewDatabase()), "voice", output)
    {
        _placement = CreateTestProbe("placement");
        _directory = Sys.ActorOf(DirectoryActor.Props(new DirectoryOptions(), CreateTestProbe("region").Ref), "directory");
    }

    private IActorRef StartChannel(ChannelId? id = null, ChannelOptions? options = null) =>
        Sys.ActorOf(ChannelActor.Props(id ?? Lounge, _directory, _placement.Ref,
            options ?? new ChannelOptions { MixerIdleGrace = TimeSpan.FromMilliseconds(300) }));

    /// <summary>A mixer stand-in that answers nothing on its own; mute, volume and leave messages are ignored unless asked for.</summary>
    private TestProbe Mixer(bool ignoreUpdates = true)
    {
        var mixer = CreateTestProbe();
        // Lease renewals come every few seconds whatever a test does; MixerLeaseTests and the cluster suite cover them.
        mixer.IgnoreMessages(m => m is RenewMixerLease || (ignoreUpdates && m is UpdateMember or SetMixVolume));
        return mixer;
    }

    private TestProbe Subscribe(IActorRef channel, UserId user, string name)
    {
        var session = CreateTestProbe();
        channel.Tell(new SubscribeChannel(Lounge, user, name, session.Ref, 0), session.Ref);
        session.ExpectMsg<Subscribed>();
        session.IgnoreMessages(m => m is MemberOnline or MemberOffline);
        return session;
    }

    private VoiceJoined Join(IActorRef channel, TestProbe session, UserId user, TestProbe mixer, bool expectPlacement = false, string node = NodeA)
    {
        channel.Tell(new JoinVoice(Lounge, user, user.Value, session.Ref, "offer-" + user.Value, false, false, "127.0.11.1"), TestActor);
        if (expectPlacement)
        {
            var place = _placement.ExpectMsg<PlaceMixer>();
            Assert.Equal(Lounge, place.Room);
            Assert.Equal(channel, place.Owner);
            _placement.Reply(new MixerReady(Lounge, mixer.Ref, node));
        }
        var connect = mixer.ExpectMsg<ConnectMember>();
        Assert.Equal(user, connect.User);
        Assert.Equal("offer-" + user.Value, connect.SdpOffer);
        mixer.Reply(new MemberConnected(Lounge, user, "answer-" + user.Value));
        var joined = ExpectMsg<VoiceJoined>();
        Assert.Equal("answer-" + user.Value, joined.SdpAnswer);
        // The member's media connects: only now is it counted and announced.
        channel.Tell(new MemberMediaConnected(Lounge, user), mixer.Ref);
        return joined;
    }

    [Fact]
    public void The_first_join_places_a_mixer_connects_the_offer_and_announces_the_member()
    {
        var channel = StartChannel();
        var alice = Subscribe(channel, Alice, "Alice");
        var mixer = Mixer();

        var joined = Join(channel, alice, Alice, mixer, expectPlacement: true);

        // The answer lists the members already connected: Alice is announced once her media connects.
        Assert.Empty(joined.Members);
        var announced = alice.ExpectMsg<VoiceMemberJoined>();
        Assert.Equal(new VoiceMember(Alice, Alice.Value, false, false, false), announced.Member);

        // The second member uses the same mixer: no second placement.
        var bob = Subscribe(channel, Bob, "Bob");
        var subscribedView = Join(channel, bob, Bob, mixer);
        Assert.Equal([Alice], subscribedView.Members.Select(m => m.User));
        _placement.ExpectNoMsg(TimeSpan.FromMilliseconds(200));
        Assert.Equal(Bob, alice.ExpectMsg<VoiceMemberJoined>().Member.User);
    }

    [Fact]
    public void A_voice_channel_lists_its_members_to_new_subscribers()
    {
        var channel = StartChannel();
        var alice = Subscribe(channel, Alice, "Alice");
        Join(channel, alice, Alice, Mixer(), expectPlacement: true);

        var viewer = CreateTestProbe();
        channel.Tell(new SubscribeChannel(Lounge, Bob, "Bob", viewer.Ref, 0), viewer.Ref);

        Assert.Equal([Alice], viewer.ExpectMsg<Subscribed>().Voice.Select(m => m.User));
    }

    [Fact]
    public void Bad_joins_are_refused_and_change_nothing()
    {
        var text = StartChannel(General);
        text.Tell(new JoinVoice(General, Alice, "Alice", TestActor, "offer", false, false));
        Assert.Equal(ErrorCode.WrongChannelKind, ExpectMsg<CommandRejected>().Code);

        var channel = StartChannel(options: new ChannelOptions { MaxVoiceMembers = 1 });
        channel.Tell(new JoinVoice(Lounge, Alice, "Alice", TestActor, "", false, false));
        Assert.Equal(ErrorCode.InvalidArgument, ExpectMsg<CommandRejected>().Code);
        channel.Tell(new JoinVoice(Lounge, Alice, "Alice", TestActor, new string('x', JoinVoice.MaxOfferLength + 1), false, false));
        Assert.Equal(ErrorCode.InvalidArgument, ExpectMsg<CommandRejected>().Code);
        channel.Tell(new JoinVoice(Lounge, Alice, "\u0001", TestActor, "offer", false, false));
        Assert.Equal(ErrorCode.InvalidArgument, ExpectMsg<CommandRejected>().Code);
        _placement.ExpectNoMsg(TimeSpan.FromMilliseconds(200));

        var alice = Subscribe(channel, Alice, "Alice");
        Join(channel, alice, Alice, Mixer(), expectPlacement: true);
        channel.Tell(new JoinVoice(Lounge, Bob, "Bob", TestActor, "offer", false, false));
        Assert.Equal(ErrorCode.VoiceFull, ExpectMsg<CommandRejected>().Code);

        channel.Tell(new SetVoiceState(Lounge, Bob, true, false));
        Assert.Equal(ErrorCode.NotInVoice, ExpectMsg<CommandRejected>().Code);
        channel.Tell(new ResumeVoice(Lounge, Bob, TestActor));
        Assert.Equal(ErrorCode.NotInVoice, ExpectMsg<CommandRejected>().Code);
        channel.Tell(new SetMemberVolume(Lounge, Alice, Alice, 0.5f));
        Assert.Equal(ErrorCode.InvalidArgument, ExpectMsg<CommandRejected>().Code);
        channel.Tell(new SetMemberVolume(Lounge, Alice, Bob, float.NaN));
        Assert.Equal(ErrorCode.InvalidArgument, ExpectMsg<CommandRejected>().Code);
    }

    [Fact]
    public void An_offer_the_mixer_refuses_is_refused_and_leaves_no_member()
    {
        var channel = StartChannel();
        var alice = Subscribe(channel, Alice, "Alice");
        var mixer = Mixer();
        channel.Tell(new JoinVoice(Lounge, Alice, "Alice", alice.Ref, "bad offer", false, false));
        _placement.ExpectMsg<PlaceMixer>();
        _placement.Reply(new MixerReady(Lounge, mixer.Ref, NodeA));
        mixer.ExpectMsg<ConnectMember>();
        mixer.Reply(new CommandRejected(ErrorCode.InvalidArgument, "The offer cannot be served: no audio"));

        Assert.Contains("no audio", ExpectMsg<CommandRejected>().Reason);
        alice.ExpectNoMsg(TimeSpan.FromMilliseconds(200));
        channel.Tell(new SetVoiceState(Lounge, Alice, true, false));
        Assert.Equal(ErrorCode.NotInVoice, ExpectMsg<CommandRejected>().Code);
    }

    [Fact]
    public void Mute_deafen_and_volume_reach_the_mixer_and_mute_is_announced()
    {
        var channel = StartChannel();
        var alice = Subscribe(channel, Alice, "Alice");
        var bob = Subscribe(channel, Bob, "Bob");
        var mixer = Mixer(ignoreUpdates: false);
        channel.Tell(new JoinVoice(Lounge, Alice, "Alice", alice.Ref, "offer", false, false));
        _placement.ExpectMsg<PlaceMixer>();
        _placement.Reply(new MixerReady(Lounge, mixer.Ref, NodeA));
        mixer.ExpectMsg<ConnectMember>();
        mixer.Reply(new MemberConnected(Lounge, Alice, "answer"));
        mixer.ExpectMsg<UpdateMember>();
        ExpectMsg<VoiceJoined>();
        channel.Tell(new MemberMediaConnected(Lounge, Alice), mixer.Ref);
        bob.ExpectMsg<VoiceMemberJoined>();

        channel.Tell(new SetVoiceState(Lounge, Alice, true, false));
        ExpectMsg<VoiceAck>();
        Assert.Equal(new UpdateMember(Lounge, Alice, true, false), mixer.ExpectMsg<UpdateMember>());
        Assert.True(bob.ExpectMsg<VoiceMemberUpdated>().Member.Muted);

        channel.Tell(new SetVoiceState(Lounge, Alice, false, true));
        ExpectMsg<VoiceAck>();
        Assert.Equal(new UpdateMember(Lounge, Alice, false, true), mixer.ExpectMsg<UpdateMember>());
        var deafened = bob.ExpectMsg<VoiceMemberUpdated>().Member;
        Assert.Equal((false, true), (deafened.Muted, deafened.Deafened));

        channel.Tell(new SetMemberVolume(Lounge, Alice, Bob, 0.25f));
        ExpectMsg<VoiceAck>();
        Assert.Equal(new SetMixVolume(Lounge, Alice, Bob, 0.25f), mixer.ExpectMsg<SetMixVolume>());
    }

    [Fact]
    public void Personal_volumes_are_bounded_by_the_channel_s_member_limit()
    {
        var channel = StartChannel(options: new ChannelOptions { MaxVoiceMembers = 2 });
        var alice = Subscribe(channel, Alice, "Alice");
        Join(channel, alice, Alice, Mixer(), expectPlacement: true);

        channel.Tell(new SetMemberVolume(Lounge, Alice, new UserId("u-1"), 0.5f));
        ExpectMsg<VoiceAck>();
        channel.Tell(new SetMemberVolume(Lounge, Alice, new UserId("u-2"), 0.5f));
        ExpectMsg<VoiceAck>();
        channel.Tell(new SetMemberVolume(Lounge, Alice, new UserId("u-3"), 0.5f));
        Assert.Equal(ErrorCode.InvalidArgument, ExpectMsg<CommandRejected>().Code);
        // Changing a volume already set is always possible.
        channel.Tell(new SetMemberVolume(Lounge, Alice, new UserId("u-2"), 1.5f));
        ExpectMsg<VoiceAck>();
    }

    [Fact]
    public void Speaking_reported_by_the_current_mixer_is_announced_once_per_change()
    {
        var channel = StartChannel();
        var alice = Subscribe(channel, Alice, "Alice");
        var mixer = Mixer();
        Join(channel, alice, Alice, mixer, expectPlacement: true);
        alice.ExpectMsg<VoiceMemberJoined>();

        mixer.Send(channel, new MemberSpeaking(Lounge, Alice, true));
        mixer.Send(channel, new MemberSpeaking(Lounge, Alice, true));
        CreateTestProbe().Send(channel, new MemberSpeaking(Lounge, Alice, false)); // not the mixer: ignored

        Assert.True(alice.ExpectMsg<VoiceSpeaking>().Speaking);
        alice.ExpectNoMsg(TimeSpan.FromMilliseconds(200));
    }

    [Fact]
    public void Leaving_is_announced_and_the_empty_room_stops_its_mixer_after_the_grace_period()
    {
        var channel = StartChannel();
        var alice = Subscribe(channel, Alice, "Alice");
        var mixer = Mixer();
        Join(channel, alice, Alice, mixer, expectPlacement: true);
        alice.ExpectMsg<VoiceMemberJoined>();

        channel.Tell(new LeaveVoice(Lounge, Alice, alice.Ref));

        ExpectMsg<VoiceLeft>();
        Assert.Equal(Alice, mixer.ExpectMsg<DisconnectMember>().User);
        Assert.Equal(Alice, alice.ExpectMsg<VoiceMemberLeft>().User);
        mixer.ExpectMsg<StopMixer>(TimeSpan.FromSeconds(5));
    }

    [Fact]
    public void Joining_from_another_connection_moves_the_membership_and_ends_the_first()
    {
        var channel = StartChannel();
        var first = Subscribe(channel, Alice, "Alice");
        var mixer = Mixer();
        Join(channel, first, Alice, mixer, expectPlacement: true);
        first.ExpectMsg<VoiceMemberJoined>();

        var second = CreateTestProbe();
        var joined = Join(channel, second, Alice, mixer);

        Assert.Single(joined.Members);
        first.ExpectMsg<VoiceEnded>();
        // A leave from the stale connection does not end the new one's membership.
        channel.Tell(new LeaveVoice(Lounge, Alice, first.Ref));
        ExpectMsg<VoiceLeft>();
        channel.Tell(new SetVoiceState(Lounge, Alice, true, false));
        ExpectMsg<VoiceAck>();
    }

    [Fact]
    public void A_lost_mixer_is_replaced_on_another_node_and_every_member_is_asked_to_reconnect()
    {
        var channel = StartChannel();
        var alice = Subscribe(channel, Alice, "Alice");
        var bob = Subscribe(channel, Bob, "Bob");
        var mixer = Mixer();
        Join(channel, alice, Alice, mixer, expectPlacement: true);
        Join(channel, bob, Bob, mixer);
        alice.ExpectMsg<VoiceMemberJoined>();
        alice.ExpectMsg<VoiceMemberJoined>();
        bob.ExpectMsg<VoiceMemberJoined>();
        bob.ExpectMsg<VoiceMemberJoined>();

        Sys.Stop(mixer.Ref);

        var place = _placement.ExpectMsg<PlaceMixer>();
        Assert.Equal(NodeA, place.AvoidNode);
        var replacement = Mixer();
        _placement.Reply(new MixerReady(Lounge, replacement.Ref, NodeB));
        alice.ExpectMsg<VoiceReconnectRequired>();
        bob.ExpectMsg<VoiceReconnectRequired>();

        // Renegotiation: the same members join the new mixer, without being announced again.
        var rejoined = Join(channel, alice, Alice, replacement);
        Assert.Equal(2, rejoined.Members.Count);
        alice.ExpectNoMsg(TimeSpan.FromMilliseconds(200));
    }

    [Fact]
    public void A_media_node_reported_lost_moves_its_rooms_before_any_death_watch_fires()
    {
        var channel = StartChannel();
        var alice = Subscribe(channel, Alice, "Alice");
        var mixer = Mixer();
        Join(channel, alice, Alice, mixer, expectPlacement: true);
        alice.ExpectMsg<VoiceMemberJoined>();

        Sys.EventStream.Publish(new MediaNodeLost(NodeB, "connection closed")); // another node: no effect
        _placement.ExpectNoMsg(TimeSpan.FromMilliseconds(200));
        Sys.EventStream.Publish(new MediaNodeLost(NodeA, "connection closed"));

        Assert.Equal(NodeA, _placement.ExpectMsg<PlaceMixer>().AvoidNode);
        _placement.Reply(new MixerReady(Lounge, Mixer().Ref, NodeB));
        Assert.Contains("connection closed", alice.ExpectMsg<VoiceReconnectRequired>().Reason);
    }

    [Fact]
    public void A_draining_mixer_is_kept_until_every_member_has_moved_to_the_new_one()
    {
        var channel = StartChannel();
        var alice = Subscribe(channel, Alice, "Alice");
        var bob = Subscribe(channel, Bob, "Bob");
        var old = Mixer();
        Join(channel, alice, Alice, old, expectPlacement: true);
        Join(channel, bob, Bob, old);

        old.Send(channel, new MixerDraining(Lounge, old.Ref, NodeA));

        Assert.Equal(NodeA, _placement.ExpectMsg<PlaceMixer>().AvoidNode);
        var replacement = Mixer();
        _placement.Reply(new MixerReady(Lounge, replacement.Ref, NodeB));
        alice.FishForMessage<VoiceReconnectRequired>(_ => true);
        bob.FishForMessage<VoiceReconnectRequired>(_ => true);

        Join(channel, alice, Alice, replacement);
        old.ExpectNoMsg(TimeSpan.FromMilliseconds(200)); // Bob still hears Alice... through the old mixer
        Join(channel, bob, Bob, replacement);
        old.FishForMessage<StopMixer>(_ => true);
    }

    [Fact]
    public void A_lost_connection_keeps_the_membership_for_a_new_connection_to_resume()
    {
        var channel = StartChannel();
        var first = CreateTestProbe();
        var mixer = Mixer();
        Join(channel, first, Alice, mixer, expectPlacement: true);

        Sys.Stop(first.Ref);
        var second = CreateTestProbe();
        // Whether or not the channel has seen the stop yet, the new connection takes the membership over.
        channel.Tell(new ResumeVoice(Lounge, Alice, second.Ref));

        var resumed = ExpectMsg<VoiceJoined>();
        Assert.Null(resumed.SdpAnswer);
        Assert.Equal([Alice], resumed.Members.Select(m => m.User));
        mixer.ExpectNoMsg(TimeSpan.FromMilliseconds(200)); // the media session was not touched
    }

    [Fact]
    public void A_membership_whose_connection_is_gone_ends_when_no_connection_resumes_it_in_time()
    {
        var channel = StartChannel(options: new ChannelOptions { ResumeGrace = TimeSpan.FromMilliseconds(300) });
        var viewer = Subscribe(channel, Bob, "Bob");
        var alice = CreateTestProbe();
        var mixer = Mixer();
        Join(channel, alice, Alice, mixer, expectPlacement: true);
        viewer.ExpectMsg<VoiceMemberJoined>();

        Sys.Stop(alice.Ref);

        Assert.Equal(Alice, viewer.ExpectMsg<VoiceMemberLeft>(TimeSpan.FromSeconds(5)).User);
        Assert.Equal(Alice, mixer.ExpectMsg<DisconnectMember>().User);
    }

    [Fact]
    public void A_media_session_that_ends_on_its_own_ends_the_membership()
    {
        var channel = StartChannel();
        var alice = Subscribe(channel, Alice, "Alice");
        var mixer = Mixer();
        Join(channel, alice, Alice, mixer, expectPlacement: true);
        alice.ExpectMsg<VoiceMemberJoined>();

        mixer.Send(channel, new MemberDisconnected(Lounge, Alice, "no ICE consent for 30 s", Requested: false));

        Assert.Equal(Alice, alice.ExpectMsg<VoiceMemberLeft>().User);
        Assert.Contains("consent", alice.ExpectMsg<VoiceEnded>().Reason);
    }

    [Fact]
    public void A_seat_whose_media_never_connects_is_never_announced_and_is_gone_within_its_expiry()
    {
        var channel = StartChannel(options: new ChannelOptions { UnconnectedSeatExpiry = TimeSpan.FromSeconds(1) });
        var alice = Subscribe(channel, Alice, "Alice");
        var bob = Subscribe(channel, Bob, "Bob");
        var mixer = Mixer();
        channel.Tell(new JoinVoice(Lounge, Bob, "Bob", bob.Ref, "offer-bob", false, false, "127.0.11.7"), TestActor);
        _placement.ExpectMsg<PlaceMixer>();
        _placement.Reply(new MixerReady(Lounge, mixer.Ref, NodeA));
        mixer.ExpectMsg<ConnectMember>();
        mixer.Reply(new MemberConnected(Lounge, Bob, "answer-bob"));
        Assert.Empty(ExpectMsg<VoiceJoined>().Members);

        // Bob's media never connects: his seat is closed on the mixer and his session told, and nobody heard of him.
        Assert.Equal(new DisconnectMember(Lounge, Bob), mixer.ExpectMsg<DisconnectMember>(TimeSpan.FromSeconds(15)));
        Assert.Equal(Lounge, bob.ExpectMsg<VoiceEnded>().Channel);
        channel.Tell(new GetVoiceStatus(Lounge), TestActor);
        Assert.Empty(ExpectMsg<VoiceStatus>().Members);
        alice.ExpectNoMsg(TimeSpan.FromMilliseconds(300));
    }

    [Fact]
    public void Seats_from_one_client_address_are_capped_per_channel()
    {
        var channel = StartChannel(options: new ChannelOptions { MaxVoiceSeatsPerAddress = 2 });
        var mixer = Mixer();
        for (var i = 0; i < 2; i++)
        {
            var user = new UserId($"u-{i}");
            var session = Subscribe(channel, user, $"User {i}");
            Join(channel, session, user, mixer, expectPlacement: i == 0);
        }
        var third = Subscribe(channel, new UserId("u-2"), "User 2");
        channel.Tell(new JoinVoice(Lounge, new UserId("u-2"), "User 2", third.Ref, "offer", false, false, "127.0.11.1"), TestActor);
        var refused = ExpectMsg<CommandRejected>();
        Assert.Equal(ErrorCode.VoiceFull, refused.Code);
        // From another address the same user gets in.
        channel.Tell(new JoinVoice(Lounge, new UserId("u-2"), "User 2", third.Ref, "offer", false, false, "127.0.11.2"), TestActor);
        mixer.ExpectMsg<ConnectMember>();
    }
}

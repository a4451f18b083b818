using OpenChat.Channels.Voice;
using OpenChat.Protocol;
using OpenChat.Protocol.Commands;
using OpenChat.Protocol.Ids;
using OpenChat.Protocol.Media;
using OpenChat.Protocol.Voice;
using Xunit;

namespace OpenChat.Channels.Tests.Voice;

/// <summary>A voice room's members: what they may do, what others and the mixer learn, and when a membership ends.</summary>
public sealed class VoiceRoomMemberTests : VoiceRoomSpec
{
    private static readonly ChannelInfo GeneralInfo = new(new ChannelId("general"), "General", ChannelKind.Text, 0, "");

    public static TheoryData<JoinVoice, ChannelInfo, CommandRejected> BadJoins => new()
    {
        { JoinOf(Alice, new FakeActorRef("s")), GeneralInfo, new CommandRejected(ErrorCode.WrongChannelKind, "'General' is a text channel.") },
        { JoinOf(Alice, new FakeActorRef("s")) with { SdpOffer = " " }, LoungeInfo, new CommandRejected(ErrorCode.InvalidArgument, JoinVoice.OfferRule) },
        { JoinOf(Alice, new FakeActorRef("s")) with { SdpOffer = new string('x', JoinVoice.MaxOfferLength + 1) }, LoungeInfo, new CommandRejected(ErrorCode.InvalidArgument, JoinVoice.OfferRule) },
    };

    [Theory]
    [MemberData(nameof(BadJoins))]
    public void A_bad_join_is_refused_and_changes_nothing(JoinVoice join, ChannelInfo info, CommandRejected refused)
    {
        Expect(Room.Join(join, AliceCaller, info), Tell(AliceCaller, refused));
        Assert.False(Room.IsBusy);
    }

    [Fact]
    public void A_join_with_an_unusable_name_is_refused()
    {
        var effects = Room.Join(JoinOf(Alice, AliceSession) with { DisplayName = "\u0001" }, AliceCaller, LoungeInfo);

        var refused = Assert.IsType<CommandRejected>(Assert.IsType<VoiceEffect.Tell>(Assert.Single(effects)).Message);
        Assert.Equal(ErrorCode.InvalidArgument, refused.Code);
        Assert.False(Room.IsBusy);
    }

    [Fact]
    public void A_full_room_refuses_a_new_member_but_not_a_member_joining_again()
    {
        Room = new VoiceRoom(Lounge, new ChannelOptions { MaxVoiceMembers = 1 });
        Seat(Alice, AliceSession, AliceCaller, MixerA);

        Expect(Room.Join(JoinOf(Bob, BobSession), BobCaller, LoungeInfo),
            Tell(BobCaller, new CommandRejected(ErrorCode.VoiceFull, "'Lounge' has its maximum of 1 members.")));
        var again = new PendingJoin(JoinOf(Alice, AliceSession), AliceCaller, 2);
        Expect(Room.Join(again.Join, AliceCaller, LoungeInfo), Cancel(Idle), Connect(again, MixerA.Ref));

        // Personal volumes are bounded by the same limit; changing one already set is always possible.
        Expect(Room.SetVolume(new SetMemberVolume(Lounge, Alice, Bob, 0.5f), AliceCaller),
            Tell(MixerA.Ref, new SetMixVolume(Lounge, Alice, Bob, 0.5f)), Tell(AliceCaller, new VoiceAck(Lounge)));
        Expect(Room.SetVolume(new SetMemberVolume(Lounge, Alice, new UserId("u-carol"), 0.5f), AliceCaller),
            Tell(AliceCaller, new CommandRejected(ErrorCode.InvalidArgument, "At most 1 members can have their own volume.")));
        Expect(Room.SetVolume(new SetMemberVolume(Lounge, Alice, Bob, 1.5f), AliceCaller),
            Tell(MixerA.Ref, new SetMixVolume(Lounge, Alice, Bob, 1.5f)), Tell(AliceCaller, new VoiceAck(Lounge)));
    }

    [Fact]
    public void Mute_and_deafen_reach_the_mixer_and_are_announced_once_per_change()
    {
        SeatAliceAndBob();

        Expect(Room.SetState(new SetVoiceState(Lounge, Alice, true, false), AliceCaller),
            Tell(MixerA.Ref, new UpdateMember(Lounge, Alice, true, false)),
            Broadcast(new VoiceMemberUpdated(Lounge, Member(Alice, muted: true))),
            Tell(AliceCaller, new VoiceAck(Lounge)));
        Expect(Room.SetState(new SetVoiceState(Lounge, Alice, true, false), AliceCaller), Tell(AliceCaller, new VoiceAck(Lounge)));
        Expect(Room.SetState(new SetVoiceState(Lounge, Alice, false, true), AliceCaller),
            Tell(MixerA.Ref, new UpdateMember(Lounge, Alice, false, true)),
            Broadcast(new VoiceMemberUpdated(Lounge, Member(Alice, deafened: true))),
            Tell(AliceCaller, new VoiceAck(Lounge)));
        Assert.Equal([Member(Alice, deafened: true), Member(Bob)], Room.Members);

        Expect(Room.SetState(new SetVoiceState(Lounge, new UserId("u-carol"), true, false), BobCaller),
            Tell(BobCaller, new CommandRejected(ErrorCode.NotInVoice, "You are not in this voice channel.")));
    }

    [Fact]
    public void A_member_not_yet_connected_cannot_change_its_state_but_a_join_carries_it()
    {
        var join = JoinOf(Alice, AliceSession, muted: true);
        Room.Join(join, AliceCaller, LoungeInfo);

        Expect(Room.SetState(new SetVoiceState(Lounge, Alice, false, false), AliceCaller),
            Tell(AliceCaller, new CommandRejected(ErrorCode.NotInVoice, "You are not in this voice channel.")));
        var pending = new PendingJoin(join, AliceCaller, 1);
        Expect(Room.PlacementAnswered(Ready(1, MixerA)), Watch(MixerA.Ref), Connect(pending, MixerA.Ref), Follow(true));
        Expect(Room.ConnectAnswered(Answer(pending, MixerA.Ref)),
            Tell(MixerA.Ref, new UpdateMember(Lounge, Alice, true, false)),
            Unconnected(Alice, 1),
            Tell(AliceCaller, new VoiceJoined(Lounge, "answer-u-alice", [])));
        Expect(Room.MemberMediaConnected(new MemberMediaConnected(Lounge, Alice), MixerA.Ref),
            Broadcast(new VoiceMemberJoined(Lounge, Member(Alice, muted: true))));
    }

    [Fact]
    public void Speaking_is_heard_only_from_the_member_s_mixer_and_announced_once_per_change()
    {
        Seat(Alice, AliceSession, AliceCaller, MixerA);

        Expect(Room.MemberSpeaking(new MemberSpeaking(Lounge, Alice, true), MixerA.Ref), Broadcast(new VoiceSpeaking(Lounge, Alice, true)));
        Expect(Room.MemberSpeaking(new MemberSpeaking(Lounge, Alice, true), MixerA.Ref));
        Expect(Room.MemberSpeaking(new MemberSpeaking(Lounge, Alice, false), MixerB.Ref));
        Assert.Equal([Member(Alice, speaking: true)], Room.Members);
    }

    [Fact]
    public void When_the_last_member_leaves_the_mixer_is_stopped_after_the_idle_grace()
    {
        Seat(Alice, AliceSession, AliceCaller, MixerA);

        Expect(Room.Leave(new LeaveVoice(Lounge, Alice, AliceSession), AliceCaller),
            Cancel(new VoiceTimer.Resume(Alice)), Tell(MixerA.Ref, new DisconnectMember(Lounge, Alice)),
            Broadcast(new VoiceMemberLeft(Lounge, Alice)), Unwatch(AliceSession),
            Cancel(new VoiceTimer.PlacementRetry()), Start(Idle, Options.MixerIdleGrace),
            Tell(AliceCaller, new VoiceLeft(Lounge)));
        Assert.True(Room.IsBusy);

        Expect(Room.TimerFired(Idle), Unwatch(MixerA.Ref), Stop(MixerA), Follow(false));
        Assert.Equal(new MixerLease.None(MixerMove.First, null), Room.Lease);
        Assert.False(Room.IsBusy);
    }

    [Fact]
    public void A_member_back_within_the_idle_grace_uses_the_same_mixer()
    {
        Seat(Alice, AliceSession, AliceCaller, MixerA);
        Room.Leave(new LeaveVoice(Lounge, Alice, null), AliceCaller);

        var back = new PendingJoin(JoinOf(Alice, AliceSession), AliceCaller, 1);
        Expect(Room.Join(back.Join, AliceCaller, LoungeInfo),
            Watch(AliceSession), Cancel(new VoiceTimer.Resume(Alice)), Cancel(Idle), Connect(back, MixerA.Ref));
        Expect(Room.TimerFired(Idle));
    }

    [Fact]
    public void A_leave_from_a_stale_connection_ends_nothing()
    {
        Seat(Alice, AliceSession, AliceCaller, MixerA);

        Expect(Room.Leave(new LeaveVoice(Lounge, Alice, new FakeActorRef("old-session")), AliceCaller), Tell(AliceCaller, new VoiceLeft(Lounge)));
        Assert.Equal([Member(Alice)], Room.Members);
    }

    [Fact]
    public void An_offer_answered_after_the_member_left_is_refused_and_its_media_session_closed()
    {
        var pending = new PendingJoin(JoinOf(Alice, AliceSession), AliceCaller, 1);
        Room.Join(pending.Join, AliceCaller, LoungeInfo);
        Room.PlacementAnswered(Ready(1, MixerA));

        Expect(Room.Leave(new LeaveVoice(Lounge, Alice, AliceSession), AliceCaller),
            Cancel(new VoiceTimer.Resume(Alice)), Unwatch(AliceSession),
            Cancel(new VoiceTimer.PlacementRetry()), Start(Idle, Options.MixerIdleGrace),
            Tell(AliceCaller, new VoiceLeft(Lounge)));
        Expect(Room.ConnectAnswered(Answer(pending, MixerA.Ref)),
            Tell(AliceCaller, new CommandRejected(ErrorCode.Unavailable, "A newer voice join or a leave replaced this one.")),
            Tell(MixerA.Ref, new DisconnectMember(Lounge, Alice)));
    }

    [Fact]
    public void An_offer_the_mixer_refuses_is_refused_and_leaves_no_member()
    {
        var pending = new PendingJoin(JoinOf(Alice, AliceSession), AliceCaller, 1);
        Room.Join(pending.Join, AliceCaller, LoungeInfo);
        Room.PlacementAnswered(Ready(1, MixerA));
        var refused = new CommandRejected(ErrorCode.InvalidArgument, "The offer cannot be served: no audio");

        Expect(Room.ConnectAnswered(new ConnectAnswered(pending, MixerA.Ref, refused)),
            Tell(AliceCaller, refused), Cancel(new VoiceTimer.Resume(Alice)), Unwatch(AliceSession),
            Cancel(new VoiceTimer.PlacementRetry()), Start(Idle, Options.MixerIdleGrace));
        Assert.Empty(Room.Members);
    }

    [Fact]
    public void A_lost_connection_keeps_the_membership_for_a_new_connection_to_resume()
    {
        Seat(Alice, AliceSession, AliceCaller, MixerA);

        Expect(Room.ActorTerminated(AliceSession), Start(new VoiceTimer.Resume(Alice), Options.ResumeGrace));
        var second = new FakeActorRef("alice-second-session");
        Expect(Room.Resume(new ResumeVoice(Lounge, Alice, second), AliceCaller),
            Watch(second), Cancel(new VoiceTimer.Resume(Alice)), Joined(AliceCaller, null, Alice));
        Assert.True(Room.HoldsSession(second));
        Assert.False(Room.HoldsSession(AliceSession));

        Expect(Room.Resume(new ResumeVoice(Lounge, Bob, BobSession), BobCaller),
            Tell(BobCaller, new CommandRejected(ErrorCode.NotInVoice, "You are not in this voice channel; join it again.")));
    }

    [Fact]
    public void A_membership_no_connection_resumes_in_time_ends()
    {
        Seat(Alice, AliceSession, AliceCaller, MixerA);
        Room.ActorTerminated(AliceSession);

        Expect(Room.TimerFired(new VoiceTimer.Resume(Alice)),
            Cancel(new VoiceTimer.Resume(Alice)), Tell(MixerA.Ref, new DisconnectMember(Lounge, Alice)),
            Broadcast(new VoiceMemberLeft(Lounge, Alice)),
            Cancel(new VoiceTimer.PlacementRetry()), Start(Idle, Options.MixerIdleGrace));
    }

    [Fact]
    public void A_media_session_that_ends_on_its_own_ends_the_membership()
    {
        Seat(Alice, AliceSession, AliceCaller, MixerA);

        Expect(Room.MemberDisconnected(new MemberDisconnected(Lounge, Alice, "closed on request", true), MixerA.Ref));
        Expect(Room.MemberDisconnected(new MemberDisconnected(Lounge, Alice, "no ICE consent for 30 s", false), MixerA.Ref),
            Cancel(new VoiceTimer.Resume(Alice)), Broadcast(new VoiceMemberLeft(Lounge, Alice)),
            Tell(AliceSession, new VoiceEnded(Lounge, "Your voice connection was lost: no ICE consent for 30 s")), Unwatch(AliceSession),
            Cancel(new VoiceTimer.PlacementRetry()), Start(Idle, Options.MixerIdleGrace));
    }

    [Fact]
    public void A_deleted_channel_ends_every_membership_refuses_waiting_joins_and_stops_its_mixer()
    {
        Seat(Alice, AliceSession, AliceCaller, MixerA);
        const string reason = "The channel was deleted.";

        Expect(Room.End(reason),
            Cancel(new VoiceTimer.Resume(Alice)), Tell(MixerA.Ref, new DisconnectMember(Lounge, Alice)),
            Broadcast(new VoiceMemberLeft(Lounge, Alice)), Tell(AliceSession, new VoiceEnded(Lounge, reason)), Unwatch(AliceSession),
            Cancel(new VoiceTimer.PlacementRetry()), Start(Idle, Options.MixerIdleGrace),
            Unwatch(MixerA.Ref), Stop(MixerA), Cancel(new VoiceTimer.Handover()), Follow(false));

        Room = new VoiceRoom(Lounge, Options);
        Room.Join(JoinOf(Bob, BobSession), BobCaller, LoungeInfo);
        Expect(Room.End(reason),
            Cancel(new VoiceTimer.Resume(Bob)), Tell(BobSession, new VoiceEnded(Lounge, reason)), Unwatch(BobSession),
            Cancel(new VoiceTimer.PlacementRetry()),
            Tell(BobCaller, new CommandRejected(ErrorCode.UnknownChannel, reason)), Cancel(new VoiceTimer.Handover()));
    }

    [Fact]
    public void A_member_whose_media_never_connects_is_never_announced_and_loses_the_seat_at_its_expiry()
    {
        Seat(Alice, AliceSession, AliceCaller, MixerA);
        var join = new PendingJoin(JoinOf(Bob, BobSession), BobCaller, 1);
        Room.Join(join.Join, BobCaller, LoungeInfo);

        // The mixer took the offer: Bob hears the answer, but nobody hears of Bob and he does not count yet.
        Expect(Room.ConnectAnswered(Answer(join, MixerA.Ref)),
            Tell(MixerA.Ref, new UpdateMember(Lounge, Bob, false, false)),
            Unconnected(Bob, 1),
            Joined(BobCaller, "answer-u-bob", Alice));
        Assert.Equal([Member(Alice)], Room.Members);
        // A report from any mixer but his own is not believed.
        Expect(Room.MemberMediaConnected(new MemberMediaConnected(Lounge, Bob), MixerB.Ref));

        Expect(Room.TimerFired(new VoiceTimer.Unconnected(Bob, 1)),
            Cancel(new VoiceTimer.Resume(Bob)),
            Tell(MixerA.Ref, new DisconnectMember(Lounge, Bob)),
            Tell(BobSession, new VoiceEnded(Lounge, "Your voice connection did not come up in time; join again.")),
            Unwatch(BobSession));
        Assert.Equal([Member(Alice)], Room.Members);
        Expect(Room.SetState(new SetVoiceState(Lounge, Bob, true, false), BobCaller),
            Tell(BobCaller, new CommandRejected(ErrorCode.NotInVoice, "You are not in this voice channel.")));
    }

    [Fact]
    public void A_member_is_announced_once_its_media_connects_and_a_later_expiry_of_that_join_changes_nothing()
    {
        var join = new PendingJoin(JoinOf(Alice, AliceSession), AliceCaller, 1);
        var place = Room.Join(join.Join, AliceCaller, LoungeInfo).OfType<VoiceEffect.RequestPlacement>().Single();
        Room.PlacementAnswered(Ready(place.Request, MixerA));
        Room.ConnectAnswered(Answer(join, MixerA.Ref));
        Assert.Empty(Room.Members);

        Expect(Room.MemberMediaConnected(new MemberMediaConnected(Lounge, Alice), MixerA.Ref),
            Broadcast(new VoiceMemberJoined(Lounge, Member(Alice))));
        Expect(Room.MemberMediaConnected(new MemberMediaConnected(Lounge, Alice), MixerA.Ref));
        Expect(Room.TimerFired(new VoiceTimer.Unconnected(Alice, 1)));
        Assert.Equal([Member(Alice)], Room.Members);
    }

    [Fact]
    public void Operators_see_how_each_members_media_reaches_the_mixer_until_it_joins_again()
    {
        SeatAliceAndBob();
        Assert.Empty(Room.Status().Paths!);

        Room.MemberMediaConnected(new MemberMediaConnected(Lounge, Alice, MediaPath.Relay), MixerA.Ref);
        Room.MemberMediaConnected(new MemberMediaConnected(Lounge, Bob, MediaPath.Tcp), MixerA.Ref);
        // A report from a mixer that does not hold the member's session changes nothing.
        Room.MemberMediaConnected(new MemberMediaConnected(Lounge, Bob, MediaPath.Udp), MixerB.Ref);
        Assert.Equal([new MemberMediaPath(Alice, MediaPath.Relay), new MemberMediaPath(Bob, MediaPath.Tcp)], Room.Status().Paths!);

        // A new join's session has no path until its media connects.
        var again = new PendingJoin(JoinOf(Bob, BobSession), BobCaller, 2);
        Room.Join(again.Join, BobCaller, LoungeInfo);
        Room.ConnectAnswered(Answer(again, MixerA.Ref));
        Assert.Equal([new MemberMediaPath(Alice, MediaPath.Relay)], Room.Status().Paths!);
        Room.MemberMediaConnected(new MemberMediaConnected(Lounge, Bob, MediaPath.Udp), MixerA.Ref);
        Assert.Equal([new MemberMediaPath(Alice, MediaPath.Relay), new MemberMediaPath(Bob, MediaPath.Udp)], Room.Status().Paths!);
    }

    [Fact]
    public void Members_whose_media_has_not_connected_do_not_count_toward_the_limit_and_are_bounded_by_it_apart()
    {
        Room = new VoiceRoom(Lounge, new ChannelOptions { MaxVoiceMembers = 2 });
        var carol = new UserId("u-carol");
        // An offer the mixer accepted but whose media never connects holds a seat...
        var place = Room.Join(JoinOf(carol, new FakeActorRef("carol")), new FakeActorRef("carol-caller"), LoungeInfo)
            .OfType<VoiceEffect.RequestPlacement>().Single();
        var connect = Room.PlacementAnswered(Ready(place.Request, MixerA)).OfType<VoiceEffect.RequestConnect>().Single();
        Room.ConnectAnswered(Answer(connect.Pending, MixerA.Ref));
        // ...but two members still get in and count.
        Seat(Alice, AliceSession, AliceCaller, MixerA);
        Seat(Bob, BobSession, BobCaller, MixerA);
        Assert.Equal([Member(Alice), Member(Bob)], Room.Members);
        var erin = new FakeActorRef("erin-caller");
        Expect(Room.Join(JoinOf(new UserId("u-erin"), new FakeActorRef("erin")), erin, LoungeInfo),
            Tell(erin, new CommandRejected(ErrorCode.VoiceFull, "'Lounge' has its maximum of 2 members.")));

        // Seats still connecting are bounded by the same number.
        var dave = new UserId("u-dave");
        Room = new VoiceRoom(Lounge, new ChannelOptions { MaxVoiceMembers = 2 });
        Room.Join(JoinOf(carol, new FakeActorRef("carol")), new FakeActorRef("carol-caller"), LoungeInfo);
        Room.Join(JoinOf(dave, new FakeActorRef("dave")), new FakeActorRef("dave-caller"), LoungeInfo);
        Expect(Room.Join(JoinOf(new UserId("u-erin"), new FakeActorRef("erin")), erin, LoungeInfo),
            Tell(erin, new CommandRejected(ErrorCode.VoiceFull, "'Lounge' has its maximum of 2 members.")));
    }

    [Fact]
    public void Seats_from_one_client_address_are_capped_and_another_address_still_joins()
    {
        Room = new VoiceRoom(Lounge, new ChannelOptions { MaxVoiceMembers = 100, MaxVoiceSeatsPerAddress = 3 });
        for (var i = 0; i < 3; i++)
        {
            var effects = Room.Join(JoinOf(new UserId($"u-{i}"), new FakeActorRef($"s-{i}")) with { ClientAddress = "127.0.11.1" },
                new FakeActorRef($"c-{i}"), LoungeInfo);
            Assert.DoesNotContain(effects, e => e is VoiceEffect.Tell { Message: CommandRejected });
        }
        Expect(Room.Join(JoinOf(Bob, BobSession) with { ClientAddress = "127.0.11.1" }, BobCaller, LoungeInfo),
            Tell(BobCaller, new CommandRejected(ErrorCode.VoiceFull, "At most 3 members of 'Lounge' can connect from one address.")));
        var other = Room.Join(JoinOf(Alice, AliceSession) with { ClientAddress = "127.0.11.2" }, AliceCaller, LoungeInfo);
        Assert.DoesNotContain(other, e => e is VoiceEffect.Tell { Message: CommandRejected });
    }
}

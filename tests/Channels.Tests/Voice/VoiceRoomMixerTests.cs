using OpenChat.Channels.Voice;
using OpenChat.Protocol;
using OpenChat.Protocol.Commands;
using OpenChat.Protocol.Media;
using OpenChat.Protocol.Voice;
using Xunit;

namespace OpenChat.Channels.Tests.Voice;

/// <summary>The mixer's lifecycle in a voice room: placement, joins that wait for it, failover and drain handover.</summary>
public sealed class VoiceRoomMixerTests : VoiceRoomSpec
{
    private const string Stopped = "The voice server stopped.";
    private const string Draining = "The voice server is restarting; moving to another one.";

    [Fact]
    public void The_first_join_asks_for_a_mixer_and_its_offer_goes_to_the_placed_mixer()
    {
        var join = JoinOf(Alice, AliceSession);
        var pending = new PendingJoin(join, AliceCaller, 1);

        Expect(Room.Join(join, AliceCaller, LoungeInfo),
            Watch(AliceSession), Cancel(new VoiceTimer.Resume(Alice)), Cancel(Idle), Place(1, null));
        var placing = Assert.IsType<MixerLease.Placing>(Room.Lease);
        Assert.Equal(new[] { pending }, placing.Joins);
        Assert.True(Room.IsBusy);
        Assert.Empty(Room.Members);

        Expect(Room.PlacementAnswered(Ready(1, MixerA)),
            Watch(MixerA.Ref), Connect(pending, MixerA.Ref), Follow(true));
        Assert.Equal(new MixerLease.Active(MixerA), Room.Lease);

        Expect(Room.ConnectAnswered(Answer(pending, MixerA.Ref)),
            Tell(MixerA.Ref, new UpdateMember(Lounge, Alice, false, false)),
            Unconnected(Alice, 1),
            Joined(AliceCaller, "answer-u-alice"));
        Assert.Empty(Room.Status().Members);
        // Alice counts, and is announced, once her media connects.
        Expect(Room.MemberMediaConnected(new MemberMediaConnected(Lounge, Alice), MixerA.Ref),
            Broadcast(new VoiceMemberJoined(Lounge, Member(Alice))));
        Assert.Equal(NodeA, Room.Status().Node);
        Assert.Equal([Member(Alice)], Room.Status().Members);

        // The next member's offer goes straight to the mixer.
        var bob = JoinOf(Bob, BobSession);
        Expect(Room.Join(bob, BobCaller, LoungeInfo),
            Watch(BobSession), Cancel(new VoiceTimer.Resume(Bob)), Cancel(Idle), Connect(new PendingJoin(bob, BobCaller, 1), MixerA.Ref));
    }

    [Fact]
    public void Joins_during_placement_wait_for_the_mixer_and_are_answered_once_it_is_placed()
    {
        var alice = new PendingJoin(JoinOf(Alice, AliceSession), AliceCaller, 1);
        var bob = new PendingJoin(JoinOf(Bob, BobSession), BobCaller, 1);
        Room.Join(alice.Join, AliceCaller, LoungeInfo);

        Expect(Room.Join(bob.Join, BobCaller, LoungeInfo), Watch(BobSession), Cancel(new VoiceTimer.Resume(Bob)), Cancel(Idle));
        Assert.Equal(new[] { alice, bob }, Assert.IsType<MixerLease.Placing>(Room.Lease).Joins);

        Expect(Room.PlacementAnswered(Ready(1, MixerA)),
            Watch(MixerA.Ref), Connect(alice, MixerA.Ref), Connect(bob, MixerA.Ref), Follow(true));
        Expect(Room.ConnectAnswered(Answer(bob, MixerA.Ref)),
            Tell(MixerA.Ref, new UpdateMember(Lounge, Bob, false, false)),
            Unconnected(Bob, 1),
            Joined(BobCaller, "answer-u-bob"));
        Room.MemberMediaConnected(new MemberMediaConnected(Lounge, Bob), MixerA.Ref);
        Expect(Room.ConnectAnswered(Answer(alice, MixerA.Ref)),
            Tell(MixerA.Ref, new UpdateMember(Lounge, Alice, false, false)),
            Unconnected(Alice, 1),
            Joined(AliceCaller, "answer-u-alice", Bob));
    }

    [Fact]
    public void A_second_join_during_placement_replaces_the_first_whose_answer_is_refused()
    {
        var first = new PendingJoin(JoinOf(Alice, AliceSession), AliceCaller, 1);
        var secondSession = new FakeActorRef("alice-second-session");
        var secondCaller = new FakeActorRef("alice-second-caller");
        var second = new PendingJoin(JoinOf(Alice, secondSession), secondCaller, 2);
        Room.Join(first.Join, AliceCaller, LoungeInfo);

        Expect(Room.Join(second.Join, secondCaller, LoungeInfo),
            Watch(secondSession), Cancel(new VoiceTimer.Resume(Alice)),
            Tell(AliceSession, new VoiceEnded(Lounge, "You joined this voice channel from another connection.")),
            Unwatch(AliceSession), Cancel(Idle));
        Expect(Room.PlacementAnswered(Ready(1, MixerA)),
            Watch(MixerA.Ref), Connect(first, MixerA.Ref), Connect(second, MixerA.Ref), Follow(true));
        Expect(Room.ConnectAnswered(Answer(first, MixerA.Ref)),
            Tell(AliceCaller, new CommandRejected(ErrorCode.Unavailable, "A newer voice join or a leave replaced this one.")));
        Expect(Room.ConnectAnswered(Answer(second, MixerA.Ref)),
            Tell(MixerA.Ref, new UpdateMember(Lounge, Alice, false, false)),
            Unconnected(Alice, 2),
            Joined(secondCaller, "answer-u-alice"));
    }

    [Fact]
    public void A_failed_placement_refuses_the_waiting_joins_and_leaves_no_member()
    {
        Room.Join(JoinOf(Alice, AliceSession), AliceCaller, LoungeInfo);
        Room.Join(JoinOf(Bob, BobSession), BobCaller, LoungeInfo);
        var refused = new CommandRejected(ErrorCode.Unavailable, "No media node is available for voice right now.");

        Expect(Room.PlacementAnswered(new PlacementAnswered(1, refused)),
            Tell(AliceCaller, refused), Cancel(new VoiceTimer.Resume(Alice)), Unwatch(AliceSession),
            Tell(BobCaller, refused), Cancel(new VoiceTimer.Resume(Bob)), Unwatch(BobSession),
            Cancel(new VoiceTimer.PlacementRetry()));
        Assert.Equal(new MixerLease.None(MixerMove.First, null), Room.Lease);
        Assert.False(Room.IsBusy);

        // A placement that did not answer in time is a refusal too; the next join asks again.
        Room.Join(JoinOf(Alice, AliceSession), AliceCaller, LoungeInfo);
        Expect(Room.PlacementAnswered(new PlacementAnswered(2, VoiceRoom.PlacementTimedOut)),
            Tell(AliceCaller, VoiceRoom.PlacementTimedOut), Cancel(new VoiceTimer.Resume(Alice)), Unwatch(AliceSession),
            Cancel(new VoiceTimer.PlacementRetry()));
    }

    [Fact]
    public void A_placement_answer_nothing_waits_for_stops_the_mixer_it_brought()
    {
        Room.Join(JoinOf(Alice, AliceSession), AliceCaller, LoungeInfo);
        Room.Leave(new LeaveVoice(Lounge, Alice, null), AliceCaller);

        // The room emptied while placement was under way.
        Expect(Room.PlacementAnswered(Ready(1, MixerA)), Stop(MixerA));
        Assert.False(Room.IsBusy);
        // An answer to a request the room no longer waits for.
        Expect(Room.PlacementAnswered(Ready(7, MixerB)), Stop(MixerB));
    }

    [Fact]
    public void A_lost_mixer_is_replaced_away_from_its_node_and_every_member_is_asked_to_reconnect()
    {
        SeatAliceAndBob();
        Room.SetVolume(new SetMemberVolume(Lounge, Alice, Bob, 0.5f), AliceCaller);
        Room.MemberSpeaking(new MemberSpeaking(Lounge, Bob, true), MixerA.Ref);

        Expect(Room.ActorTerminated(MixerA.Ref),
            Broadcast(new VoiceSpeaking(Lounge, Bob, false)), Place(2, NodeA), Follow(false));
        var placing = Assert.IsType<MixerLease.Placing>(Room.Lease);
        Assert.Equal(new MixerMove(NodeA, Stopped), placing.Move);
        Assert.Null(placing.Draining);
        Assert.Null(Room.Status().Node);

        Expect(Room.PlacementAnswered(Ready(2, MixerB)),
            Watch(MixerB.Ref), Reconnect(AliceSession, Stopped), Reconnect(BobSession, Stopped), Follow(true));

        // Renegotiation: the member is not announced again, and the new mixer learns its state and the volumes set for it.
        var bob = new PendingJoin(JoinOf(Bob, BobSession), BobCaller, 2);
        Expect(Room.Join(bob.Join, BobCaller, LoungeInfo), Cancel(Idle), Connect(bob, MixerB.Ref));
        Expect(Room.ConnectAnswered(Answer(bob, MixerB.Ref)),
            Tell(MixerB.Ref, new UpdateMember(Lounge, Bob, false, false)),
            Tell(MixerB.Ref, new SetMixVolume(Lounge, Alice, Bob, 0.5f)),
            Unconnected(Bob, 2),
            Joined(BobCaller, "answer-u-bob", Alice, Bob));
    }

    [Fact]
    public void A_media_node_reported_lost_moves_the_room_before_the_mixer_is_seen_to_end()
    {
        Seat(Alice, AliceSession, AliceCaller, MixerA);

        Expect(Room.MediaNodeLost(new MediaNodeLost(NodeB, "connection closed")));
        Expect(Room.MediaNodeLost(new MediaNodeLost(NodeA, "connection closed")),
            Unwatch(MixerA.Ref), Place(2, NodeA), Follow(false));
        Expect(Room.PlacementAnswered(Ready(2, MixerB)),
            Watch(MixerB.Ref), Reconnect(AliceSession, "The voice server was lost (connection closed)."), Follow(true));
        Expect(Room.ActorTerminated(MixerA.Ref));
    }

    [Fact]
    public void Members_left_without_a_mixer_are_placed_again_until_a_mixer_is_found()
    {
        Seat(Alice, AliceSession, AliceCaller, MixerA);
        Room.ActorTerminated(MixerA.Ref);

        Expect(Room.PlacementAnswered(new PlacementAnswered(2, VoiceRoom.PlacementTimedOut)),
            Start(new VoiceTimer.PlacementRetry(), VoiceRoom.PlacementRetryDelay));
        Assert.Equal(new MixerLease.None(new MixerMove(NodeA, Stopped), null), Room.Lease);
        Assert.True(Room.IsBusy);

        Expect(Room.TimerFired(new VoiceTimer.PlacementRetry()), Place(3, NodeA));
        Expect(Room.PlacementAnswered(Ready(3, MixerB)), Watch(MixerB.Ref), Reconnect(AliceSession, Stopped), Follow(true));
    }

    [Fact]
    public void An_offer_answered_by_a_mixer_that_was_lost_meanwhile_waits_for_the_new_one()
    {
        Seat(Alice, AliceSession, AliceCaller, MixerA);
        var again = new PendingJoin(JoinOf(Alice, AliceSession), AliceCaller, 2);
        Room.Join(again.Join, AliceCaller, LoungeInfo);
        Room.ActorTerminated(MixerA.Ref);

        Expect(Room.ConnectAnswered(Answer(again, MixerA.Ref)), Tell(MixerA.Ref, new DisconnectMember(Lounge, Alice)));
        Assert.Equal(new[] { again }, Assert.IsType<MixerLease.Placing>(Room.Lease).Joins);
        Expect(Room.PlacementAnswered(Ready(2, MixerB)), Watch(MixerB.Ref), Connect(again, MixerB.Ref), Follow(true));
    }

    [Fact]
    public void A_draining_mixer_carries_the_members_until_every_one_s_media_has_connected_to_the_new_mixer()
    {
        SeatAliceAndBob();

        Expect(Room.MixerDraining(new MixerDraining(Lounge, MixerA.Ref, NodeA)),
            Start(new VoiceTimer.Handover(), Options.DrainHandover), Place(2, NodeA));
        var placing = Assert.IsType<MixerLease.Placing>(Room.Lease);
        Assert.Equal((new MixerMove(NodeA, Draining), MixerA), (placing.Move, placing.Draining));

        Expect(Room.PlacementAnswered(Ready(2, MixerB)),
            Watch(MixerB.Ref), Reconnect(AliceSession, Draining), Reconnect(BobSession, Draining));
        Assert.Equal(new MixerLease.HandingOver(MixerB, MixerA), Room.Lease);
        Assert.Equal(NodeB, Room.Status().Node);

        var alice = new PendingJoin(JoinOf(Alice, AliceSession), AliceCaller, 2);
        Room.Join(alice.Join, AliceCaller, LoungeInfo);
        Expect(Room.ConnectAnswered(Answer(alice, MixerB.Ref)),
            Tell(MixerB.Ref, new UpdateMember(Lounge, Alice, false, false)), Unconnected(Alice, 2), Joined(AliceCaller, "answer-u-alice", Alice, Bob));
        // Bob's media session on the draining mixer ends while he moves: he stays a member.
        Expect(Room.MemberDisconnected(new MemberDisconnected(Lounge, Bob, "no ICE consent", false), MixerA.Ref));

        var bob = new PendingJoin(JoinOf(Bob, BobSession), BobCaller, 2);
        Room.Join(bob.Join, BobCaller, LoungeInfo);
        Expect(Room.ConnectAnswered(Answer(bob, MixerB.Ref)),
            Tell(MixerB.Ref, new UpdateMember(Lounge, Bob, false, false)), Unconnected(Bob, 2), Joined(BobCaller, "answer-u-bob", Alice, Bob));
        // Both have joined, but until their media is up on the new mixer the old one is what they hear.
        Assert.Equal(new MixerLease.HandingOver(MixerB, MixerA), Room.Lease);
        // A report from the draining mixer does not count.
        Expect(Room.MemberMediaConnected(new MemberMediaConnected(Lounge, Bob), MixerA.Ref));
        Expect(Room.MemberMediaConnected(new MemberMediaConnected(Lounge, Bob), MixerB.Ref));
        Assert.Equal(new MixerLease.HandingOver(MixerB, MixerA), Room.Lease);
        Expect(Room.MemberMediaConnected(new MemberMediaConnected(Lounge, Alice), MixerB.Ref),
            Cancel(new VoiceTimer.Handover()), Unwatch(MixerA.Ref), Stop(MixerA));
        Assert.Equal(new MixerLease.Active(MixerB), Room.Lease);
    }

    [Fact]
    public void A_handover_ends_when_the_last_member_whose_media_had_not_connected_leaves()
    {
        SeatAliceAndBob();
        Room.MixerDraining(new MixerDraining(Lounge, MixerA.Ref, NodeA));
        Room.PlacementAnswered(Ready(2, MixerB));
        var alice = new PendingJoin(JoinOf(Alice, AliceSession), AliceCaller, 2);
        Room.Join(alice.Join, AliceCaller, LoungeInfo);
        Room.ConnectAnswered(Answer(alice, MixerB.Ref));
        Room.MemberMediaConnected(new MemberMediaConnected(Lounge, Alice), MixerB.Ref);
        Assert.Equal(new MixerLease.HandingOver(MixerB, MixerA), Room.Lease);

        var effects = Room.Leave(new LeaveVoice(Lounge, Bob, BobSession), BobCaller);

        Assert.Contains(new VoiceEffect.Tell(MixerA.Ref, new StopMixer(Lounge)), effects);
        Assert.Equal(new MixerLease.Active(MixerB), Room.Lease);
    }

    [Fact]
    public void A_draining_mixer_is_stopped_when_the_handover_time_is_up_and_a_late_member_is_asked_to_move()
    {
        SeatAliceAndBob();
        Room.MixerDraining(new MixerDraining(Lounge, MixerA.Ref, NodeA));
        Room.PlacementAnswered(Ready(2, MixerB));

        Expect(Room.TimerFired(new VoiceTimer.Handover()), Cancel(new VoiceTimer.Handover()), Unwatch(MixerA.Ref), Stop(MixerA));
        Assert.Equal(new MixerLease.Active(MixerB), Room.Lease);

        var bobAgain = new FakeActorRef("bob-new-session");
        Expect(Room.Resume(new ResumeVoice(Lounge, Bob, bobAgain), BobCaller),
            Watch(bobAgain), Cancel(new VoiceTimer.Resume(Bob)),
            Tell(BobSession, new VoiceEnded(Lounge, "You joined this voice channel from another connection.")), Unwatch(BobSession),
            Joined(BobCaller, null, Alice, Bob),
            Reconnect(bobAgain, "The voice server changed while you were reconnecting."));
    }

    [Fact]
    public void A_drain_of_an_empty_room_s_mixer_stops_it_at_once()
    {
        Seat(Alice, AliceSession, AliceCaller, MixerA);
        Room.Leave(new LeaveVoice(Lounge, Alice, AliceSession), AliceCaller);

        Expect(Room.MixerDraining(new MixerDraining(Lounge, MixerA.Ref, NodeA)),
            Start(new VoiceTimer.Handover(), Options.DrainHandover),
            Cancel(new VoiceTimer.Handover()), Unwatch(MixerA.Ref), Stop(MixerA), Follow(false));
        Assert.False(Room.IsBusy);
        // Only the room's current mixer can drain it.
        Expect(Room.MixerDraining(new MixerDraining(Lounge, MixerB.Ref, NodeB)));
    }

    [Fact]
    public void During_a_handover_the_draining_mixer_goes_with_its_node_and_a_lost_new_mixer_is_replaced()
    {
        SeatAliceAndBob();
        Room.MixerDraining(new MixerDraining(Lounge, MixerA.Ref, NodeA));
        Room.PlacementAnswered(Ready(2, MixerB));

        Expect(Room.ActorTerminated(MixerB.Ref), Place(3, NodeB));
        Assert.Equal(MixerA, Room.Lease.Retiring);
        Expect(Room.MediaNodeLost(new MediaNodeLost(NodeA, "left the cluster")),
            Cancel(new VoiceTimer.Handover()), Unwatch(MixerA.Ref), Stop(MixerA), Follow(false));
        Expect(Room.PlacementAnswered(Ready(3, MixerC)),
            Watch(MixerC.Ref), Reconnect(AliceSession, Stopped), Reconnect(BobSession, Stopped), Follow(true));
    }

    [Fact]
    public void When_the_new_mixer_drains_during_a_handover_the_older_one_is_stopped()
    {
        SeatAliceAndBob();
        Room.MixerDraining(new MixerDraining(Lounge, MixerA.Ref, NodeA));
        Room.PlacementAnswered(Ready(2, MixerB));

        Expect(Room.MixerDraining(new MixerDraining(Lounge, MixerB.Ref, NodeB)),
            Cancel(new VoiceTimer.Handover()), Unwatch(MixerA.Ref), Stop(MixerA),
            Start(new VoiceTimer.Handover(), Options.DrainHandover), Place(3, NodeB));
        Assert.Equal(MixerB, Room.Lease.Retiring);
    }
}

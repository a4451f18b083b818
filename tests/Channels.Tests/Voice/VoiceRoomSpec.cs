using Akka.Actor;
using OpenChat.Channels.Voice;
using OpenChat.Protocol;
using OpenChat.Protocol.Ids;
using OpenChat.Protocol.Media;
using OpenChat.Protocol.Voice;
using Xunit;

namespace OpenChat.Channels.Tests.Voice;

/// <summary>
/// What the <see cref="VoiceRoom"/> tests share: a room, named stand-ins for sessions, callers and mixers, and the
/// comparison of effects. Everything runs on the test's thread; time passes only as timers that a test fires.
/// </summary>
public abstract class VoiceRoomSpec
{
    protected static readonly ChannelId Lounge = new("lounge");
    protected static readonly ChannelInfo LoungeInfo = new(Lounge, "Lounge", ChannelKind.Voice, 1, "");
    protected static readonly UserId Alice = new("u-alice");
    protected static readonly UserId Bob = new("u-bob");
    protected const string NodeA = "akka.tcp://openchat@127.0.0.1:4101";
    protected const string NodeB = "akka.tcp://openchat@127.0.0.1:4102";
    protected const string NodeC = "akka.tcp://openchat@127.0.0.1:4103";

    protected static readonly ChannelOptions Options = new()
    {
        MaxVoiceMembers = 3,
        MixerIdleGrace = TimeSpan.FromSeconds(30),
        DrainHandover = TimeSpan.FromSeconds(10),
        ResumeGrace = TimeSpan.FromSeconds(20),
    };

    protected readonly IActorRef AliceSession = new FakeActorRef("alice-session");
    protected readonly IActorRef BobSession = new FakeActorRef("bob-session");
    protected readonly IActorRef AliceCaller = new FakeActorRef("alice-caller");
    protected readonly IActorRef BobCaller = new FakeActorRef("bob-caller");
    protected readonly RoomMixer MixerA = new(new FakeActorRef("mixer-a"), NodeA);
    protected readonly RoomMixer MixerB = new(new FakeActorRef("mixer-b"), NodeB);
    protected readonly RoomMixer MixerC = new(new FakeActorRef("mixer-c"), NodeC);

    protected VoiceRoom Room { get; set; } = new(Lounge, Options);

    protected static JoinVoice JoinOf(UserId user, IActorRef session, bool muted = false, bool deafened = false) =>
        new(Lounge, user, Name(user), session, "offer-" + user.Value, muted, deafened);

    protected static string Name(UserId user) => user == Alice ? "Alice" : user == Bob ? "Bob" : user.Value;

    protected static VoiceMember Member(UserId user, bool muted = false, bool deafened = false, bool speaking = false) =>
        new(user, Name(user), muted, deafened, speaking);

    /// <summary>Joins <paramref name="user"/> and connects it to <paramref name="mixer"/>, placing it first if the room has no mixer.</summary>
    protected void Seat(UserId user, IActorRef session, IActorRef caller, RoomMixer mixer)
    {
        var effects = Room.Join(JoinOf(user, session), caller, LoungeInfo);
        if (effects.OfType<VoiceEffect.RequestPlacement>().SingleOrDefault() is { } place)
            effects = Room.PlacementAnswered(Ready(place.Request, mixer));
        var connect = effects.OfType<VoiceEffect.RequestConnect>().Single(c => c.Pending.Join.User == user);
        Room.ConnectAnswered(Answer(connect.Pending, mixer.Ref));
        Room.MemberMediaConnected(new MemberMediaConnected(Lounge, user), mixer.Ref);
    }

    /// <summary>Alice and Bob, both connected to mixer A.</summary>
    protected void SeatAliceAndBob()
    {
        Seat(Alice, AliceSession, AliceCaller, MixerA);
        Seat(Bob, BobSession, BobCaller, MixerA);
    }

    protected static PlacementAnswered Ready(long request, RoomMixer mixer) =>
        new(request, new MixerReady(Lounge, mixer.Ref, mixer.Node));

    protected static ConnectAnswered Answer(PendingJoin pending, IActorRef mixer) =>
        new(pending, mixer, new MemberConnected(Lounge, pending.Join.User, "answer-" + pending.Join.User.Value));

    /// <summary>The effects, in order, without log lines.</summary>
    protected static void Expect(IReadOnlyList<VoiceEffect> actual, params VoiceEffect[] expected) =>
        Assert.Equal(expected.Select(Show), actual.Where(e => e is not VoiceEffect.Log).Select(Show));

    protected static VoiceEffect Tell(IActorRef to, object message) => new VoiceEffect.Tell(to, message);

    protected static VoiceEffect Broadcast(object message) => new VoiceEffect.Broadcast(message);

    protected static VoiceEffect Watch(IActorRef actor) => new VoiceEffect.Watch(actor);

    protected static VoiceEffect Unwatch(IActorRef actor) => new VoiceEffect.Unwatch(actor);

    protected static VoiceEffect Start(VoiceTimer timer, TimeSpan delay) => new VoiceEffect.StartTimer(timer, delay);

    protected static VoiceEffect Cancel(VoiceTimer timer) => new VoiceEffect.CancelTimer(timer);

    protected static VoiceEffect Place(long request, string? avoid) => new VoiceEffect.RequestPlacement(request, avoid);

    protected static VoiceEffect Follow(bool on) => new VoiceEffect.FollowMediaNodes(on);

    protected static VoiceEffect Connect(PendingJoin pending, IActorRef mixer)
    {
        var join = pending.Join;
        return new VoiceEffect.RequestConnect(pending, mixer, new ConnectMember(Lounge, join.User, join.SdpOffer, join.Muted, join.Deafened));
    }

    protected static VoiceEffect Reconnect(IActorRef session, string reason) => Tell(session, new VoiceReconnectRequired(Lounge, reason));

    protected static VoiceEffect Joined(IActorRef caller, string? answer, params UserId[] members) =>
        Tell(caller, new VoiceJoined(Lounge, answer, members.Select(m => Member(m)).ToList()));

    protected static VoiceEffect Stop(RoomMixer mixer) => Tell(mixer.Ref, new StopMixer(Lounge));

    protected static VoiceTimer.MixerIdle Idle => new();

    protected static VoiceEffect Unconnected(UserId user, long generation) =>
        Start(new VoiceTimer.Unconnected(user, generation), Options.UnconnectedSeatExpiry);

    // Records print their members; lists inside protocol records are printed item by item.
    private static string Show(VoiceEffect effect) => effect switch
    {
        VoiceEffect.Tell { Message: VoiceJoined joined } tell =>
            $"Tell {tell.To}: VoiceJoined {joined.SdpAnswer ?? "(resume)"} [{string.Join(", ", joined.Members)}]",
        _ => effect.ToString(),
    };
}

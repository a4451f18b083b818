using System.Threading.Channels;
using Akka.Actor;
using Akka.Configuration;
using OpenChat.Gateway.Auth;
using OpenChat.Gateway.Sessions;
using OpenChat.Protocol;
using OpenChat.Protocol.Commands;
using OpenChat.Protocol.Events;
using OpenChat.Protocol.Ids;
using OpenChat.Protocol.Voice;
using Xunit;

namespace OpenChat.Gateway.Tests;

/// <summary>
/// One session actor against a stand-in channel region that answers only when a test says so: the order in which
/// the session handles requests whose answers are outstanding, and what it does with answers that come too late.
/// </summary>
public sealed class SessionActorTests : IAsyncLifetime
{
    private static readonly ChannelId General = new("general");
    private static readonly ChannelId Lounge = new("lounge");
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    private readonly Channel<(object Message, IActorRef Sender)> _toRegion = Channel.CreateUnbounded<(object, IActorRef)>();
    private readonly Channel<(object Message, IActorRef Sender)> _toEntity = Channel.CreateUnbounded<(object, IActorRef)>();
    private readonly RecordingPush _push = new();
    private ActorSystem _system = null!;
    private IActorRef _entity = null!;
    private IActorRef _session = null!;

    public Task InitializeAsync()
    {
        // The session finds the user's other sessions through distributed pub-sub, which needs the cluster provider.
        _system = ActorSystem.Create("session-tests", ConfigurationFactory.ParseString("""
            akka.actor.provider = cluster
            akka.remote.dot-netty.tcp.hostname = 127.0.0.1
            akka.remote.dot-netty.tcp.port = 0
            akka.loglevel = WARNING
            """));
        var region = _system.ActorOf(Props.Create(() => new Recorder(_toRegion.Writer)), "region");
        _entity = _system.ActorOf(Props.Create(() => new Recorder(_toEntity.Writer)), "entity");
        var identity = new SessionIdentity(new UserId("alice-1"), "Alice", DateTimeOffset.MaxValue);
        _session = _system.ActorOf(SessionActor.Props(identity, region, _push, new GatewayOptions(),
            new CallBudgets(Wait, Wait), TimeProvider.System), "session");
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _system.Terminate();

    [Fact]
    public async Task Voice_requests_wait_their_turn_behind_a_join_while_posts_and_chat_events_pass_it()
    {
        await OpenAsync(General, ChannelKind.Text);
        var firstJoin = Ask(new JoinVoiceRequest(Lounge, "offer-1", false, false));
        // The voice channel is not open yet: the join opens it first.
        await Answer<SubscribeChannel>(_ => Subscribed(Lounge, ChannelKind.Voice));
        var (first, firstReplyTo) = await Next<JoinVoice>(_toRegion);
        Assert.Equal("offer-1", first.SdpOffer);

        var secondJoin = Ask(new JoinVoiceRequest(Lounge, "offer-2", false, false));
        var mute = Ask(new SetVoiceStateRequest(true, false));
        var leave = Ask(new LeaveVoiceRequest());
        var post = Ask(new PostRequest(General, "posted while joining", "n-1"));
        // The post is the next thing the region hears of: the voice requests wait for the first join's answer.
        var posted = Message(2, "posted while joining");
        await Answer<PostMessage>(_ => new PostAccepted(posted));
        Assert.Equal(new PostAccepted(posted), await post);
        // Chat events pass too; the voice events of the channel being joined wait for the join's answer.
        var bobJoined = new VoiceMemberJoined(Lounge, new VoiceMember(new UserId("bob-1"), "Bob", false, false, false));
        _session.Tell(bobJoined);
        var fromBob = Message(3, "hello while you join");
        _session.Tell(new MessagePosted(fromBob));
        Assert.Equal(new MessagePosted(fromBob), await _push.Next());
        Assert.False(firstJoin.IsCompleted || secondJoin.IsCompleted || mute.IsCompleted || leave.IsCompleted);

        firstReplyTo.Tell(new CommandRejected(ErrorCode.Unavailable, "No media node is available for voice right now."));
        Assert.IsType<CommandRejected>(await firstJoin);
        var (second, secondReplyTo) = await Next<JoinVoice>(_toRegion);
        Assert.Equal("offer-2", second.SdpOffer);
        secondReplyTo.Tell(new VoiceJoined(Lounge, "answer-2", []));
        Assert.IsType<VoiceJoined>(await secondJoin);

        // Then the mute and the leave, in the order they were made, for the channel the second join entered.
        var state = await Answer<SetVoiceState>(s => new VoiceAck(s.Channel));
        Assert.Equal((Lounge, true), (state.Channel, state.Muted));
        Assert.IsType<VoiceAck>(await mute);
        var (left, _) = await Next<LeaveVoice>(_toRegion);
        Assert.Equal(Lounge, left.Channel);
        Assert.IsType<Akka.Done>(await leave);
        // The voice event came after the second join was asked for, so it waited for that join's answer too.
        Assert.Equal(bobJoined, await _push.Next());
    }

    [Fact]
    public async Task Voice_events_that_follow_a_join_s_answer_wait_until_the_hub_has_taken_it()
    {
        await OpenAsync(General, ChannelKind.Text);
        await OpenAsync(Lounge, ChannelKind.Voice);
        var taken = new TaskCompletionSource();
        var join = Ask(new JoinVoiceRequest(Lounge, "offer", false, false, taken.Task));
        await Answer<JoinVoice>(j => new VoiceJoined(Lounge, "answer", []));
        Assert.IsType<VoiceJoined>(await join);

        var bobJoined = new VoiceMemberJoined(Lounge, new VoiceMember(new UserId("bob-1"), "Bob", false, false, false));
        _session.Tell(bobJoined);
        var chat = Message(1, "chat goes on");
        _session.Tell(new MessagePosted(chat));
        Assert.Equal(new MessagePosted(chat), await _push.Next());
        taken.SetResult();
        Assert.Equal(bobJoined, await _push.Next());
    }

    [Fact]
    public async Task An_open_overtaken_by_a_close_is_undone_when_its_answer_comes()
    {
        var open = Ask(new OpenChannelRequest(General));
        var (_, replyTo) = await Next<SubscribeChannel>(_toRegion);
        // The close does not wait for the open.
        Assert.Equal(new Unsubscribed(General), await Ask(new CloseChannelRequest(General)));

        replyTo.Tell(Subscribed(General, ChannelKind.Text));
        Assert.IsType<Hub.ChannelViewDto>(await open);
        var (undo, _) = await Next<UnsubscribeChannel>(_toEntity);
        Assert.Equal(General, undo.Channel);

        // Nothing of the channel reaches the client until it is opened again.
        _session.Tell(new MessagePosted(Message(1, "while closed")));
        await OpenAsync(General, ChannelKind.Text);
        _session.Tell(new MessagePosted(Message(2, "after opening again")));
        Assert.Equal(new MessagePosted(Message(2, "after opening again")), await _push.Next());
    }

    [Fact]
    public async Task A_session_stopped_while_its_join_waits_stops_at_once_and_lets_go_of_its_channels()
    {
        await OpenAsync(General, ChannelKind.Text);
        await OpenAsync(Lounge, ChannelKind.Voice);
        var join = Ask(new JoinVoiceRequest(Lounge, "offer", false, false));
        var (_, joinReplyTo) = await Next<JoinVoice>(_toRegion);

        Assert.True(await _session.GracefulStop(Wait), "The session waited for its join's answer before stopping.");
        var unsubscribed = new[] { (await Next<UnsubscribeChannel>(_toEntity)).Message, (await Next<UnsubscribeChannel>(_toEntity)).Message };
        Assert.Equal([General, Lounge], unsubscribed.Select(u => u.Channel).OrderBy(c => c.Value));

        // The answer that comes after has no one to change.
        joinReplyTo.Tell(new VoiceJoined(Lounge, "answer", []));
        Assert.False(join.IsCompleted);
    }

    private Task<object> Ask(object request) => _session.Ask<object>(request, Wait);

    private async Task OpenAsync(ChannelId channel, ChannelKind kind)
    {
        var open = Ask(new OpenChannelRequest(channel));
        await Answer<SubscribeChannel>(_ => Subscribed(channel, kind));
        Assert.IsType<Hub.ChannelViewDto>(await open);
    }

    /// <summary>Takes the region's next request, which must be a <typeparamref name="T"/>, and answers it.</summary>
    private async Task<T> Answer<T>(Func<T, object> reply)
    {
        var (request, replyTo) = await Next<T>(_toRegion);
        replyTo.Tell(reply(request));
        return request;
    }

    private static async Task<(T Message, IActorRef Sender)> Next<T>(Channel<(object Message, IActorRef Sender)> inbox)
    {
        var (message, sender) = await inbox.Reader.ReadAsync().AsTask().WaitAsync(Wait);
        return (Assert.IsType<T>(message), sender);
    }

    private Subscribed Subscribed(ChannelId channel, ChannelKind kind) =>
        new(new ChannelInfo(channel, channel.Value, kind, 0, ""), [], [], false, _entity, []);

    private static ChatMessage Message(long id, string text) =>
        new(id, General, new UserId("bob-1"), "Bob", text, DateTimeOffset.UnixEpoch);

    /// <summary>Hands every message it gets, with its sender, to the test.</summary>
    private sealed class Recorder : ReceiveActor
    {
        public Recorder(ChannelWriter<(object, IActorRef)> inbox) => ReceiveAny(m => inbox.TryWrite((m, Sender)));
    }

    private sealed class RecordingPush : IClientPush
    {
        private readonly Channel<object> _pushed = Channel.CreateUnbounded<object>();

        public bool TryPush(object channelEvent) => _pushed.Writer.TryWrite(channelEvent);

        public void Abort() => _pushed.Writer.TryComplete();

        public async Task<object> Next() => await _pushed.Reader.ReadAsync().AsTask().WaitAsync(Wait);
    }
}

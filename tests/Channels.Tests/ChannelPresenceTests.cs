using OpenChat.Protocol;
using OpenChat.Protocol.Ids;
using Xunit;
using Subscription = OpenChat.Channels.ChannelPresence.Subscription;

namespace OpenChat.Channels.Tests;

/// <summary>Who is online in a channel, counted by user rather than by session; no actor system.</summary>
public sealed class ChannelPresenceTests
{
    private static readonly PresenceMember Alice = new(new UserId("u-alice"), "Alice");
    private static readonly PresenceMember Bob = new(new UserId("u-bob"), "bob");

    [Fact]
    public void A_user_comes_online_with_the_first_session_and_goes_offline_with_the_last()
    {
        var presence = new ChannelPresence(maxSubscribers: 10);
        var aliceTab1 = new FakeActorRef("alice-1");
        var aliceTab2 = new FakeActorRef("alice-2");
        var bob = new FakeActorRef("bob");

        Assert.Equal(Subscription.CameOnline, presence.Subscribe(aliceTab1, Alice));
        Assert.Equal(Subscription.CameOnline, presence.Subscribe(bob, Bob));
        Assert.Equal(Subscription.Added, presence.Subscribe(aliceTab2, Alice with { DisplayName = "Alice two" }));
        Assert.Equal(Subscription.Known, presence.Subscribe(aliceTab2, Alice));
        Assert.Equal([Alice, Bob], presence.Online());
        Assert.Equal(3, presence.Subscribers.Count);

        Assert.True(presence.Unsubscribe(aliceTab1, out var offline));
        Assert.Null(offline);
        Assert.True(presence.Unsubscribe(aliceTab2, out offline));
        Assert.Equal(Alice.User, offline);
        Assert.False(presence.Unsubscribe(aliceTab2, out offline));
        Assert.Null(offline);
        Assert.Equal([Bob], presence.Online());
        Assert.False(presence.Contains(aliceTab1));
        Assert.True(presence.Contains(bob));
    }

    [Fact]
    public void A_channel_at_its_subscriber_limit_refuses_new_sessions_but_not_known_ones()
    {
        var presence = new ChannelPresence(maxSubscribers: 1);
        var alice = new FakeActorRef("alice");

        Assert.Equal(Subscription.CameOnline, presence.Subscribe(alice, Alice));
        Assert.Equal(Subscription.Refused, presence.Subscribe(new FakeActorRef("bob"), Bob));
        Assert.Equal(Subscription.Known, presence.Subscribe(alice, Alice));
        Assert.Equal([Alice], presence.Online());
    }
}

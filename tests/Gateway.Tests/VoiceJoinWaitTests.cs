using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;
using OpenChat.TestSupport;
using Xunit;

namespace OpenChat.Gateway.Tests;

/// <summary>
/// A voice join that waits on placement, through the hub of a server with the gateway and channels roles and no
/// media node: placement waits for one until its budget (three fifths of <c>OpenChat:Channels:MediaTimeout</c>)
/// runs out, then the join is refused. Meanwhile the joining connection's chat goes on.
/// </summary>
public sealed class VoiceJoinWaitTests : IAsyncLifetime
{
    // Placement waits 9 s for a media node; long enough that the chat below is done well before.
    private const string MediaTimeout = "00:00:15";
    private const string Offer = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n";
    private InProcessServer _server = null!;

    public async Task InitializeAsync() => _server = await InProcessServer.StartAsync(new Dictionary<string, string?>
    {
        ["OpenChat:Roles:0"] = "gateway",
        ["OpenChat:Roles:1"] = "channels",
        ["OpenChat:Channels:MediaTimeout"] = MediaTimeout,
    });

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private static Task<VoiceJoinedDto> JoinVoice(ChatClient client) =>
        client.Connection.InvokeAsync<VoiceJoinedDto>("JoinVoice", "lounge", Offer, false, false);

    private static async Task AssertNoMediaNode(Task<VoiceJoinedDto> join)
    {
        var error = await Assert.ThrowsAsync<HubException>(() => join);
        Assert.Contains("unavailable", error.Message);
        Assert.Contains("No media node is available", error.Message);
    }

    private static async Task<MessageDto> NextMessageWithId(ChatClient client, long id)
    {
        while (true)
        {
            var message = await client.NextMessageAsync();
            if (message.Id == id) return message;
        }
    }

    [Fact]
    public async Task Chat_reaches_and_leaves_a_connection_at_once_while_its_voice_join_waits_on_placement()
    {
        await using var alice = await Clients.ConnectAsync(_server.BaseUrl, "Alice");
        await using var bob = await Clients.ConnectAsync(_server.BaseUrl, "Bob");
        await alice.OpenChannelAsync("general");
        await bob.OpenChannelAsync("general");
        // The first post creates the journal; what follows is timed against the join alone.
        await NextMessageWithId(alice, (await bob.PostAsync("general", "warming up")).Id);

        var join = JoinVoice(alice);
        // A connection's calls start in the order it made them: the session has the join before this post.
        var own = await alice.PostAsync("general", "posted while joining");
        Assert.False(join.IsCompleted, "Alice's own post was acknowledged only once her join had ended.");

        var fromBob = await bob.PostAsync("general", "hello while you join");
        Assert.Equal("hello while you join", (await NextMessageWithId(alice, fromBob.Id)).Text);
        Assert.False(join.IsCompleted, "Bob's message reached Alice only once her join had ended.");
        Assert.Equal(own, await NextMessageWithId(bob, own.Id));

        // Then the join is refused cleanly, once placement has waited its budget for a media node.
        await AssertNoMediaNode(join);
        var after = await alice.PostAsync("general", "after the join");
        Assert.Equal(after, await NextMessageWithId(bob, after.Id));
    }

    [Fact]
    public async Task A_connection_closed_while_its_voice_join_waits_ends_at_once_and_leaves_no_membership_behind()
    {
        await using var bob = await Clients.ConnectAsync(_server.BaseUrl, "Bob");
        await bob.OpenChannelAsync("general");
        await using var carol = await Clients.ConnectAsync(_server.BaseUrl, "Carol");
        var alice = await Clients.ConnectAsync(_server.BaseUrl, "Alice");
        await alice.OpenChannelAsync("general");

        // Carol's join waits on the same placement as Alice's: both end when it gives up.
        var carolJoin = JoinVoice(carol);
        var aliceJoin = JoinVoice(alice);
        await alice.PostAsync("general", "about to go");
        Assert.False(carolJoin.IsCompleted);
        await alice.DisposeAsync();
        await Assert.ThrowsAnyAsync<Exception>(() => aliceJoin);

        // Alice's session ends with her connection, not once her join is answered: she goes offline meanwhile.
        while (true)
        {
            var (channel, user) = await bob.Offline.Reader.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10));
            if (channel == "general" && user == alice.Session.UserId) break;
        }
        Assert.False(carolJoin.IsCompleted, "Alice's session stayed subscribed until the placement gave up.");
        await AssertNoMediaNode(carolJoin);

        // Nothing of the join is left: a new connection of Alice's finds no membership to resume.
        await using var again = await Clients.ConnectAsync(_server.BaseUrl, "Alice", alice.Session);
        var resume = await Assert.ThrowsAsync<HubException>(() => again.Connection.InvokeAsync<VoiceJoinedDto>("ResumeVoice", "lounge"));
        Assert.Contains("not_in_voice", resume.Message);
        var view = await again.OpenChannelAsync("lounge");
        Assert.Empty(view.Voice);
    }
}

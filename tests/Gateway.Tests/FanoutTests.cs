using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;
using OpenChat.Gateway.Sessions;
using OpenChat.TestSupport;
using Xunit;

namespace OpenChat.Gateway.Tests;

/// <summary>
/// Channel events reach every connection of a gateway from one wire form per event: in order, each once, and only to
/// connections whose user may still view the channel.
/// </summary>
public sealed class FanoutTests : IAsyncLifetime
{
    private const string AdminKey = "test-admin-key-0123456789abcdefghijklm";
    private InProcessServer _server = null!;

    public async Task InitializeAsync() => _server = await InProcessServer.StartAsync(new Dictionary<string, string?>
    {
        ["OpenChat:Auth:AdminKey"] = AdminKey,
        // One sender posts a burst: lift its post limits.
        ["OpenChat:Gateway:PostsPerWindow"] = "100000",
        ["OpenChat:Gateway:UserPostsPerWindow"] = "100000",
        ["OpenChat:Channels:PostsPerUserWindow"] = "100000",
        ["OpenChat:Gateway:CallsPerSecond"] = "100000",
    });

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task A_burst_reaches_every_connection_in_order_and_each_message_is_serialised_once_for_all_of_them()
    {
        const int Receivers = 6;
        const int Burst = 120;
        var wire = _server.Services.GetRequiredService<EventWire>();
        var receivers = new List<ChatClient>();
        try
        {
            for (var i = 0; i < Receivers; i++)
            {
                var receiver = await Clients.ConnectAsync(_server.BaseUrl, $"Receiver {i}");
                receivers.Add(receiver);
                await receiver.OpenChannelAsync("general");
            }
            await using var sender = await Clients.ConnectAsync(_server.BaseUrl, "Sender");
            var before = wire.Built<Protocol.Events.MessagePosted>();

            // Pipelined: the channel stores them in the order they arrive, so connections see a burst, not one at a time.
            var stored = await Task.WhenAll(Enumerable.Range(0, Burst).Select(i => sender.PostAsync("general", $"burst {i}")));
            var ids = stored.Select(m => m.Id).Order().ToArray();

            foreach (var receiver in receivers)
            {
                var got = new List<long>();
                for (var i = 0; i < Burst; i++) got.Add((await receiver.NextMessageAsync()).Id);
                Assert.Equal(ids, got);
            }
            Assert.Equal(Burst, wire.Built<Protocol.Events.MessagePosted>() - before);
            // Nothing more comes: no event is delivered twice.
            foreach (var receiver in receivers) Assert.False(receiver.Messages.Reader.TryRead(out _));
        }
        finally
        {
            foreach (var receiver in receivers) await receiver.DisposeAsync();
        }
    }

    [Fact]
    public async Task Revoking_view_stops_delivery_to_that_user_while_others_on_the_gateway_keep_receiving()
    {
        await using var alice = await Clients.ConnectAsync(_server.BaseUrl, "Alice");
        await using var bob = await Clients.ConnectAsync(_server.BaseUrl, "Bob");
        await using var owner = await Clients.ConnectAsync(_server.BaseUrl, "Owner");
        var removed = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        alice.Connection.On<string>("ChannelRemoved", id => removed.TrySetResult(id));
        await alice.OpenChannelAsync("general");
        await bob.OpenChannelAsync("general");
        var shared = await owner.PostAsync("general", "for everyone");
        Assert.Equal(shared.Id, (await alice.NextMessageAsync()).Id);
        Assert.Equal(shared.Id, (await bob.NextMessageAsync()).Id);

        await AdminApi.SetOverrideAsync(_server.BaseUrl, AdminKey, "general", "member", alice.Session.UserId, [], ["viewChannel"]);
        Assert.Equal("general", await removed.Task.WaitAsync(TimeSpan.FromSeconds(10)));
        var open = await AdminApi.CreateChannelAsync(_server.BaseUrl, AdminKey, "Open Room", "text");
        await alice.OpenChannelAsync(open.Id);

        var hidden = await owner.PostAsync("general", "not for alice");
        var marker = await owner.PostAsync(open.Id, "after it");
        Assert.Equal(hidden.Id, (await bob.NextMessageAsync()).Id);
        // Delivery is in order per connection: had the hidden message reached Alice, it would come before the marker.
        Assert.Equal(marker.Text, (await alice.NextMessageAsync()).Text);
    }
}

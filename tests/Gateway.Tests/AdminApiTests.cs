using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using Microsoft.AspNetCore.SignalR.Client;
using OpenChat.TestSupport;
using Xunit;

namespace OpenChat.Gateway.Tests;

public sealed class AdminApiTests : IAsyncLifetime
{
    private const string AdminKey = "test-admin-key-0123456789abcdefghijklm";
    private InProcessServer _server = null!;
    private readonly HttpClient _http = new();

    public async Task InitializeAsync() =>
        _server = await InProcessServer.StartAsync(new Dictionary<string, string?> { ["OpenChat:Auth:AdminKey"] = AdminKey });

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _server.DisposeAsync();
    }

    private HttpRequestMessage Request(HttpMethod method, string path, object? body = null, string? key = AdminKey)
    {
        var request = new HttpRequestMessage(method, _server.BaseUrl + path);
        if (key is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        if (body is not null) request.Content = JsonContent.Create(body);
        return request;
    }

    [Fact]
    public async Task Creating_a_channel_tells_connected_clients_and_it_can_be_used_then_deleted()
    {
        await using var alice = await Clients.ConnectAsync(_server.BaseUrl, "Alice");
        var changed = new TaskCompletionSource<ChannelDto[]>(TaskCreationOptions.RunContinuationsAsynchronously);
        alice.Connection.On<ChannelDto[]>("ChannelsChanged", list => changed.TrySetResult(list));

        var created = await _http.SendAsync(Request(HttpMethod.Post, "/api/admin/channels", new { name = "Dev Talk", kind = "text", topic = "code" }));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var channel = (await created.Content.ReadFromJsonAsync<ChannelDto>())!;
        Assert.Equal(("dev-talk", "Dev Talk", "text"), (channel.Id, channel.Name, channel.Kind));

        var list = await changed.Task.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Contains(list, c => c.Id == "dev-talk");
        await Probe.UntilAsync(async () => (await alice.Connection.InvokeAsync<ChannelDto[]>("GetChannels")).Any(c => c.Id == "dev-talk"),
            TimeSpan.FromSeconds(10), "the gateway's catalog to list the channel");
        Assert.Equal("in the new channel", (await alice.PostAsync("dev-talk", "in the new channel")).Text);

        var deleted = await _http.SendAsync(Request(HttpMethod.Delete, "/api/admin/channels/dev-talk"));
        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        await Probe.UntilAsync(async () => (await alice.Connection.InvokeAsync<ChannelDto[]>("GetChannels")).All(c => c.Id != "dev-talk"),
            TimeSpan.FromSeconds(10), "the channel to disappear");
    }

    [Fact]
    public async Task Admin_calls_without_the_key_or_with_bad_input_are_refused_and_change_nothing()
    {
        Assert.Equal(HttpStatusCode.Unauthorized,
            (await _http.SendAsync(Request(HttpMethod.Post, "/api/admin/channels", new { name = "x" }, key: null))).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized,
            (await _http.SendAsync(Request(HttpMethod.Post, "/api/admin/channels", new { name = "x" }, key: "wrong-key-wrong-key"))).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest,
            (await _http.SendAsync(Request(HttpMethod.Post, "/api/admin/channels", new { name = "", kind = "text" }))).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest,
            (await _http.SendAsync(Request(HttpMethod.Post, "/api/admin/channels", new { name = "x", kind = "video" }))).StatusCode);
        Assert.Equal(HttpStatusCode.Conflict,
            (await _http.SendAsync(Request(HttpMethod.Post, "/api/admin/channels", new { name = "general", kind = "text" }))).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound,
            (await _http.SendAsync(Request(HttpMethod.Patch, "/api/admin/channels/nope", new { topic = "t" }))).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound,
            (await _http.SendAsync(Request(HttpMethod.Delete, "/api/admin/channels/NOT%20VALID"))).StatusCode);

        var info = await _http.GetFromJsonAsync<InfoDto>(_server.BaseUrl + "/api/info");
        Assert.Equal(["general", "lounge"], info!.Channels.Select(c => c.Id));
    }

    [Fact]
    public async Task Categories_and_a_new_order_reach_connected_clients_and_bad_orders_are_refused()
    {
        await using var alice = await Clients.ConnectAsync(_server.BaseUrl, "Alice");
        var lists = new List<ChannelDto[]>();
        alice.Connection.On<ChannelDto[]>("ChannelsChanged", list => { lock (lists) lists.Add(list); });
        ChannelDto[]? Last() { lock (lists) return lists.Count == 0 ? null : lists[^1]; }
        Assert.Equal(HttpStatusCode.Created,
            (await _http.SendAsync(Request(HttpMethod.Post, "/api/admin/channels", new { name = "music", kind = "voice" }))).StatusCode);

        var patched = await _http.SendAsync(Request(HttpMethod.Patch, "/api/admin/channels/lounge", new { category = " Voice rooms " }));
        Assert.Equal(HttpStatusCode.OK, patched.StatusCode);
        Assert.Equal("Voice rooms", (await patched.Content.ReadFromJsonAsync<ChannelDto>())!.Category);
        Assert.Equal(HttpStatusCode.BadRequest,
            (await _http.SendAsync(Request(HttpMethod.Patch, "/api/admin/channels/lounge", new { category = new string('c', 33) }))).StatusCode);

        var reordered = await _http.SendAsync(Request(HttpMethod.Put, "/api/admin/channels/order", new { channels = new[] { "music", "lounge", "general" } }));
        Assert.Equal(HttpStatusCode.NoContent, reordered.StatusCode);
        await Probe.UntilAsync(() => Task.FromResult(Last() is { } l && l.Select(c => c.Id).SequenceEqual(["music", "lounge", "general"])),
            TimeSpan.FromSeconds(10), "the new order to reach the client");
        Assert.Equal([0, 1, 2], Last()!.Select(c => c.Position));
        Assert.Equal("Voice rooms", Last()!.Single(c => c.Id == "lounge").Category);

        foreach (var bad in new object[]
                 {
                     new { channels = new[] { "music", "lounge" } },
                     new { channels = new[] { "music", "lounge", "general", "general" } },
                     new { channels = new[] { "music", "lounge", "nope" } },
                     new { channels = new[] { "music", "lounge", "NOT VALID" } },
                     new { },
                 })
            Assert.Equal(HttpStatusCode.BadRequest, (await _http.SendAsync(Request(HttpMethod.Put, "/api/admin/channels/order", bad))).StatusCode);

        // Clearing the category; the order stays.
        Assert.Equal(HttpStatusCode.OK, (await _http.SendAsync(Request(HttpMethod.Patch, "/api/admin/channels/lounge", new { category = "" }))).StatusCode);
        var info = await _http.GetFromJsonAsync<InfoDto>(_server.BaseUrl + "/api/info");
        Assert.Equal(["music", "lounge", "general"], info!.Channels.Select(c => c.Id));
        Assert.Null(info.Channels[1].Category);
        await Probe.UntilAsync(() => Task.FromResult(Last()?.Single(c => c.Id == "lounge").Category is null), TimeSpan.FromSeconds(10), "the cleared category to reach the client");
    }

    private sealed record InfoDto(string Name, ChannelDto[] Channels);

    [Fact]
    public async Task A_channel_hidden_from_a_member_leaves_their_list_and_closes_and_comes_back_when_allowed()
    {
        await using var alice = await Clients.ConnectAsync(_server.BaseUrl, "Alice");
        await using var owner = await Clients.ConnectAsync(_server.BaseUrl, "Owner");
        var lists = System.Threading.Channels.Channel.CreateUnbounded<ChannelDto[]>();
        var removed = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        alice.Connection.On<ChannelDto[]>("ChannelsChanged", list => lists.Writer.TryWrite(list));
        alice.Connection.On<string>("ChannelRemoved", id => removed.TrySetResult(id));
        await alice.OpenChannelAsync("general");
        Assert.Contains("sendMessages", (await alice.Connection.InvokeAsync<ChannelDto[]>("GetChannels")).Single(c => c.Id == "general").Permissions!);

        // Hidden from everyone but Owner's user.
        await AdminApi.SetOverrideAsync(_server.BaseUrl, AdminKey, "general", "role", "everyone", [], ["viewChannel"]);
        await AdminApi.SetOverrideAsync(_server.BaseUrl, AdminKey, "general", "member", owner.Session.UserId, ["viewChannel"], []);
        var list = await lists.Reader.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10));
        Assert.DoesNotContain(list, c => c.Id == "general");
        Assert.Equal("general", await removed.Task.WaitAsync(TimeSpan.FromSeconds(10)));
        // Nothing posted there reaches Alice, she cannot open it, and the server does not admit it exists.
        var open = await AdminApi.CreateChannelAsync(_server.BaseUrl, AdminKey, "Open Room", "text");
        await alice.OpenChannelAsync(open.Id);
        await owner.PostAsync("general", "private words");
        await owner.PostAsync(open.Id, "still here");
        var next = await alice.NextMessageAsync();
        Assert.Equal("still here", next.Text);
        var refusal = await Assert.ThrowsAsync<Microsoft.AspNetCore.SignalR.HubException>(() => alice.OpenChannelAsync("general"));
        Assert.Contains("unknown_channel:", refusal.Message);
        Assert.DoesNotContain((await _http.GetFromJsonAsync<InfoDto>(_server.BaseUrl + "/api/info"))!.Channels, c => c.Id == "general");

        // Allowed to Alice herself: the channel comes back at once.
        await AdminApi.SetOverrideAsync(_server.BaseUrl, AdminKey, "general", "member", alice.Session.UserId, ["viewChannel"], []);
        while (!(await lists.Reader.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10))).Any(c => c.Id == "general"))
        {
        }
        Assert.Contains("private words", (await alice.OpenChannelAsync("general")).Messages.Select(m => m.Text));
    }
}

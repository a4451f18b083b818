using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.SignalR.Client;
using OpenChat.SimulatedClients.Network;
using OpenChat.TestSupport;
using Xunit;

namespace OpenChat.Gateway.Tests;

/// <summary>The server's settings and invites through the real HTTP endpoints and hub of the all-in-one server.</summary>
public sealed class ServerAdminTests : IAsyncLifetime
{
    private const string AdminKey = "server-admin-tests-key-0123456789abcdef";
    private const string SetupCode = "server-admin-setup-code";
    private const string Password = "server admin password 1";
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private InProcessServer _server = null!;

    private sealed record SettingsDto(string Name, string Description, string JoinPolicy, bool GuestsAllowed);

    private sealed record InviteDto(string Code, string Url, int? MaxUses, int Uses, DateTimeOffset? ExpiresAt);

    public async Task InitializeAsync() =>
        _server = await InProcessServer.StartAsync(new Dictionary<string, string?>
        {
            ["OpenChat:Auth:AdminKey"] = AdminKey,
            ["OpenChat:Auth:SetupCode"] = SetupCode,
            ["OpenChat:Gateway:ServerName"] = "Configured name",
            ["OpenChat:Auth:SessionsPerMinute"] = "1000",
        });

    public Task DisposeAsync() => _server.DisposeAsync().AsTask();

    private async Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, object? body = null, string? token = AdminKey)
    {
        using var http = SourceAddress.HttpClient(SourceAddress.Next());
        using var request = new HttpRequestMessage(method, _server.BaseUrl + path) { Content = body is null ? null : JsonContent.Create(body) };
        if (token is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        var response = await http.SendAsync(request);
        await response.Content.LoadIntoBufferAsync();
        return response;
    }

    private async Task<T> OkAsync<T>(HttpMethod method, string path, object? body = null, string? token = AdminKey)
    {
        using var response = await SendAsync(method, path, body, token);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{method} {path}: {(int)response.StatusCode} {text}");
        return JsonSerializer.Deserialize<T>(text, Json)!;
    }

    private async Task<string?> RefusedAsync(HttpStatusCode status, HttpMethod method, string path, object? body = null, string? token = AdminKey)
    {
        using var response = await SendAsync(method, path, body, token);
        Assert.Equal(status, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error").GetString();
    }

    private Task<HttpResponseMessage> RegisterAsync(string username, string? invite = null) =>
        SendAsync(HttpMethod.Post, "/api/accounts", invite is null ? new { username, password = Password } : new { username, password = Password, invite }, null);

    [Fact]
    public async Task Settings_start_from_the_configuration_and_a_change_reaches_every_client_and_the_join_rules()
    {
        Assert.Equal("Configured name", (await OkAsync<JsonElement>(HttpMethod.Get, "/api/info", token: null)).GetProperty("name").GetString());
        await using var guest = await Clients.ConnectAsync(_server.BaseUrl, "Watcher");
        var pushed = new TaskCompletionSource<SettingsDto>(TaskCreationOptions.RunContinuationsAsynchronously);
        guest.Connection.On<SettingsDto>("ServerUpdated", s => pushed.TrySetResult(s));
        Assert.Equal(new SettingsDto("Configured name", "", "open", true), await OkAsync<SettingsDto>(HttpMethod.Get, "/api/server/settings", token: guest.Session.Token));

        var changed = await OkAsync<SettingsDto>(HttpMethod.Patch, "/api/server/settings",
            new { name = " Lan party ", description = "Bring cables", joinPolicy = "invite", guestsAllowed = false });
        var expected = new SettingsDto("Lan party", "Bring cables", "invite", false);
        Assert.Equal(expected, changed);
        Assert.Equal(expected, await pushed.Task.WaitAsync(TimeSpan.FromSeconds(10)));
        var info = await OkAsync<JsonElement>(HttpMethod.Get, "/api/info", token: null);
        Assert.Equal(("Lan party", "invite", false), (info.GetProperty("name").GetString(), info.GetProperty("auth").GetProperty("joinPolicy").GetString(),
            info.GetProperty("auth").GetProperty("guestsAllowed").GetBoolean()));

        Assert.Equal("guests_not_allowed", await RefusedAsync(HttpStatusCode.Forbidden, HttpMethod.Post, "/api/session", new { displayName = "Visitor" }, null));
        Assert.Equal("invalid_argument", await RefusedAsync(HttpStatusCode.BadRequest, HttpMethod.Patch, "/api/server/settings", new { joinPolicy = "closed" }));
        Assert.Equal("invalid_argument", await RefusedAsync(HttpStatusCode.BadRequest, HttpMethod.Patch, "/api/server/settings", new { name = " " }));
        Assert.Equal("invalid_argument", await RefusedAsync(HttpStatusCode.BadRequest, HttpMethod.Patch, "/api/server/settings", new { description = new string('d', 501) }));
        // A member without manage server may read the settings but not change them.
        Assert.Equal("forbidden", await RefusedAsync(HttpStatusCode.Forbidden, HttpMethod.Patch, "/api/server/settings", new { name = "Mine" }, guest.Session.Token));
        Assert.Equal(expected, await OkAsync<SettingsDto>(HttpMethod.Get, "/api/server/settings"));
    }

    [Fact]
    public async Task An_invite_only_server_admits_accounts_with_a_valid_invite_up_to_its_limit()
    {
        // The owner's account comes first, without an invite.
        var owner = await OkAsync<SessionDto>(HttpMethod.Post, "/api/accounts", new { username = "Owner", password = Password }, null);
        await OkAsync<JsonElement>(HttpMethod.Post, "/api/setup", new { code = SetupCode }, owner.Token);
        await OkAsync<SettingsDto>(HttpMethod.Patch, "/api/server/settings", new { joinPolicy = "invite" }, owner.Token);

        using (var response = await RegisterAsync("Nobody"))
            Assert.Equal((HttpStatusCode.Forbidden, "invite_required"), (response.StatusCode, await ErrorOf(response)));
        using (var response = await RegisterAsync("Nobody", "made-up-code"))
            Assert.Equal((HttpStatusCode.Forbidden, "invite_invalid"), (response.StatusCode, await ErrorOf(response)));

        var invite = await OkAsync<InviteDto>(HttpMethod.Post, "/api/server/invites", new { maxUses = 2, expiresInSeconds = 3600 }, owner.Token);
        Assert.EndsWith("/invite/" + invite.Code, invite.Url);
        var check = await OkAsync<JsonElement>(HttpMethod.Get, "/api/invites/" + invite.Code, token: null);
        Assert.Equal(("Configured name", 2), (check.GetProperty("server").GetString(), check.GetProperty("usesLeft").GetInt32()));

        // Three registrations race for two uses: exactly two accounts are made.
        var results = await Task.WhenAll(new[] { "Ann", "Bob", "Cat" }.Select(name => RegisterAsync(name, invite.Code)));
        Assert.Equal(2, results.Count(r => r.IsSuccessStatusCode));
        var refused = results.Single(r => !r.IsSuccessStatusCode);
        Assert.Equal((HttpStatusCode.Forbidden, "invite_invalid"), (refused.StatusCode, await ErrorOf(refused)));
        foreach (var r in results) r.Dispose();
        Assert.Equal("invite_invalid", await RefusedAsync(HttpStatusCode.NotFound, HttpMethod.Get, "/api/invites/" + invite.Code, token: null));

        var listed = (await OkAsync<JsonElement>(HttpMethod.Get, "/api/server/invites", token: owner.Token)).GetProperty("invites").Deserialize<InviteDto[]>(Json)!;
        Assert.Equal(2, listed.Single(i => i.Code == invite.Code).Uses);

        var revoked = await OkAsync<InviteDto>(HttpMethod.Post, "/api/server/invites", new { }, owner.Token);
        Assert.Null(revoked.MaxUses);
        Assert.Null(revoked.ExpiresAt);
        using (var response = await SendAsync(HttpMethod.Delete, "/api/server/invites/" + revoked.Code, token: owner.Token))
            Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        using (var response = await RegisterAsync("Dan", revoked.Code))
            Assert.Equal("invite_invalid", await ErrorOf(response));
        Assert.Equal("invite_invalid", await RefusedAsync(HttpStatusCode.NotFound, HttpMethod.Delete, "/api/server/invites/" + revoked.Code, token: owner.Token));
        Assert.Equal("invalid_argument", await RefusedAsync(HttpStatusCode.BadRequest, HttpMethod.Post, "/api/server/invites", new { maxUses = 0 }, owner.Token));
        Assert.Equal("invalid_argument", await RefusedAsync(HttpStatusCode.BadRequest, HttpMethod.Post, "/api/server/invites", new { expiresInSeconds = 5 }, owner.Token));
    }

    private static async Task<string?> ErrorOf(HttpResponseMessage response) =>
        (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error").GetString();
}

using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.SignalR.Client;
using OpenChat.SimulatedClients.Network;
using OpenChat.TestSupport;
using Xunit;

namespace OpenChat.Gateway.Tests;

/// <summary>
/// Moderation and administration actions land in the audit log with who, to whom and why, once each, readable (and
/// filterable, newest first, page by page) by members with view audit log and by the admin key only.
/// </summary>
public sealed class AuditLogTests : IAsyncLifetime
{
    private const string AdminKey = "audit-tests-admin-key-0123456789abcdef";
    private const string SetupCode = "audit-tests-setup-code";
    private const string Password = "audit password 1";

    private InProcessServer _server = null!;
    private HttpClient _http = null!;

    public async Task InitializeAsync()
    {
        _server = await InProcessServer.StartAsync(new Dictionary<string, string?>
        {
            ["OpenChat:Auth:AdminKey"] = AdminKey,
            ["OpenChat:Auth:SetupCode"] = SetupCode,
        });
        _http = SourceAddress.HttpClient(SourceAddress.Next());
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _server.DisposeAsync();
    }

    [Fact]
    public async Task Kick_ban_voice_moderation_and_role_changes_are_recorded_with_actor_target_and_reason()
    {
        var moderator = await RegisterAsync("Moderator");
        var mods = await SendAsync(HttpMethod.Post, "/api/server/roles", AdminKey,
            new { name = "Mods", permissions = new[] { "kickMembers", "banMembers", "muteMembers", "manageRoles", "viewAuditLog" } });
        var modsId = mods.GetProperty("id").GetString()!;
        await SendAsync(HttpMethod.Put, $"/api/server/members/{moderator.UserId}/roles/{modsId}", AdminKey);
        var kicked = await RegisterAsync("Kickee");
        var banned = await RegisterAsync("Bannee");
        var muted = await RegisterAsync("Mutee");
        // Roles are read from the gateway's copy; the moderator's next call sees the role given above.
        var token = moderator.Token;

        await SendAsync(HttpMethod.Post, $"/api/server/members/{kicked.UserId}/kick", token, new { reason = "spamming links" });
        await SendAsync(HttpMethod.Post, $"/api/server/members/{banned.UserId}/ban", token, new { reason = "harassment" });
        var helpers = (await SendAsync(HttpMethod.Post, "/api/server/roles", token, new { name = "Helpers" })).GetProperty("id").GetString()!;
        await SendAsync(HttpMethod.Patch, $"/api/server/roles/{helpers}", token, new { name = "Helpers team", permissions = new[] { "viewChannel" } });
        await using (var hub = await Clients.ConnectAsync(_server.BaseUrl, "Moderator", moderator))
            await hub.Connection.InvokeAsync("ModerateVoice", "lounge", muted.UserId, true, true, "shouting");

        var entries = await EntriesAsync(token, "", e => e.Length >= 5);
        Assert.Equal(["voice.moderate", "role.update", "role.create", "member.ban", "member.kick"], entries.Take(5).Select(e => e.GetProperty("action").GetString()));
        Assert.All(entries.Take(5), e =>
        {
            Assert.Equal(moderator.UserId, e.GetProperty("actor").GetProperty("id").GetString());
            Assert.Equal("Moderator", e.GetProperty("actor").GetProperty("name").GetString());
        });
        AssertTarget(entries[4], "member", kicked.UserId, "Kickee", "spamming links");
        AssertTarget(entries[3], "member", banned.UserId, "Bannee", "harassment");
        AssertTarget(entries[0], "member", muted.UserId, "Mutee", "shouting");
        Assert.Equal("muted, deafened", entries[0].GetProperty("detail").GetString());
        AssertTarget(entries[2], "role", helpers, "Helpers", null);
        AssertTarget(entries[1], "role", helpers, "Helpers team", null);
        Assert.Equal("renamed to Helpers team; permissions: viewChannel", entries[1].GetProperty("detail").GetString());
        // Ids grow with time: newest first means descending ids.
        var ids = entries.Select(e => e.GetProperty("id").GetInt64()).ToArray();
        Assert.Equal(ids.OrderDescending(), ids);
        Assert.Equal(ids.Length, ids.Distinct().Count());
    }

    [Fact]
    public async Task The_log_filters_by_action_kind_and_member_pages_by_cursor_and_names_the_admin_key()
    {
        var owner = await RegisterAsync("Owner");
        await SendAsync(HttpMethod.Post, "/api/setup", owner.Token, new { code = SetupCode });
        owner = await SignInAsync("Owner");
        var alice = await RegisterAsync("Alice");
        var bob = await RegisterAsync("Bob");
        await SendAsync(HttpMethod.Post, $"/api/server/members/{alice.UserId}/kick", owner.Token, new { reason = "first" });
        await SendAsync(HttpMethod.Post, $"/api/server/members/{bob.UserId}/ban", owner.Token, new { reason = "second" });
        await SendAsync(HttpMethod.Delete, $"/api/server/members/{bob.UserId}/ban", owner.Token);
        var crew = (await SendAsync(HttpMethod.Post, "/api/server/roles", owner.Token, new { name = "Crew" })).GetProperty("id").GetString()!;
        await SendAsync(HttpMethod.Put, $"/api/server/members/{alice.UserId}/roles/{crew}", owner.Token);
        await SendAsync(HttpMethod.Put, $"/api/channels/general/overrides/role/{crew}", owner.Token, new { allow = new[] { "manageMessages" }, deny = new[] { "sendMessages" } });
        await SendAsync(HttpMethod.Post, $"/api/accounts/{alice.UserId}/reset-link", owner.Token);
        var others = await EntriesAsync(owner.Token, "", e => e.Length >= 7);
        Assert.Equal([("password.reset-link", "member", "Alice", null), ("override.set", "channel", "general", "role Crew: allow manageMessages; deny sendMessages"),
                ("member.roles", "member", "Alice", "added Crew"), ("role.create", "role", "Crew", "permissions: none")],
            others.Take(4).Select(e => (e.GetProperty("action").GetString(), e.GetProperty("target").GetProperty("kind").GetString(),
                e.GetProperty("target").GetProperty("name").GetString(), e.GetProperty("detail").GetString())));

        await SendAsync(HttpMethod.Post, "/api/admin/channels", AdminKey, new { name = "Audited", kind = "voice" });
        await SendAsync(HttpMethod.Patch, "/api/admin/channels/audited", AdminKey, new { topic = "voice things" });
        await SendAsync(HttpMethod.Delete, "/api/admin/channels/audited", AdminKey);

        var all = await EntriesAsync(AdminKey, "", e => e.Length >= 10);
        Assert.Equal(["channel.delete", "channel.update", "channel.create", "password.reset-link", "override.set", "member.roles", "role.create",
                "member.unban", "member.ban", "member.kick"], all.Select(e => e.GetProperty("action").GetString()));
        Assert.All(all.Take(3), e =>
        {
            Assert.Equal(("admin-key", "admin key"), (e.GetProperty("actor").GetProperty("id").GetString(), e.GetProperty("actor").GetProperty("name").GetString()));
            Assert.Equal(("channel", "audited", "Audited"), (e.GetProperty("target").GetProperty("kind").GetString(),
                e.GetProperty("target").GetProperty("id").GetString(), e.GetProperty("target").GetProperty("name").GetString()));
        });
        Assert.Equal("topic: voice things", all[1].GetProperty("detail").GetString());
        Assert.Equal("voice channel", all[2].GetProperty("detail").GetString());
        Assert.All(all.Skip(3), e => Assert.Equal(("Owner", owner.UserId), (e.GetProperty("actor").GetProperty("name").GetString(), e.GetProperty("actor").GetProperty("id").GetString())));

        string Actions(JsonElement[] entries) => string.Join(",", entries.Select(e => e.GetProperty("action").GetString()));
        Assert.Equal("member.roles,member.unban,member.ban,member.kick", Actions((await PageAsync(owner.Token, "?action=member")).Entries));
        Assert.Equal("member.ban", Actions((await PageAsync(owner.Token, "?action=member.ban")).Entries));
        Assert.Equal("", Actions((await PageAsync(owner.Token, "?action=memb")).Entries));
        Assert.Equal("password.reset-link,member.roles,member.kick", Actions((await PageAsync(owner.Token, "?member=alic")).Entries));
        Assert.Equal("member.unban,member.ban", Actions((await PageAsync(owner.Token, $"?target={bob.UserId}")).Entries));
        Assert.Equal("channel.delete,channel.update,channel.create", Actions((await PageAsync(owner.Token, "?actor=admin-key")).Entries));
        Assert.Equal("channel.delete,channel.update,channel.create", Actions((await PageAsync(owner.Token, "?member=admin+key")).Entries));

        // Paging: two at a time, each page older than the last entry of the one before, until no more.
        var seen = new List<string>();
        string? before = null;
        while (true)
        {
            var page = await PageAsync(owner.Token, "?limit=2" + (before is null ? "" : "&before=" + before));
            seen.AddRange(page.Entries.Select(e => e.GetProperty("action").GetString()!));
            if (!page.HasMore) break;
            before = page.Entries[^1].GetProperty("id").GetInt64().ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
        Assert.Equal(all.Select(e => e.GetProperty("action").GetString()), seen);

        foreach (var bad in new[] { "?limit=0", "?limit=101", "?before=0", "?before=x", "?action=Member!", "?member=" + new string('m', 101) })
            Assert.Equal(HttpStatusCode.BadRequest, (await GetAsync("/api/server/audit" + bad, owner.Token)).StatusCode);
    }

    [Fact]
    public async Task Members_without_view_audit_log_are_refused()
    {
        var member = await RegisterAsync("Plain");
        var response = await GetAsync("/api/server/audit", member.Token);
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Contains("viewAuditLog", await response.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.Unauthorized, (await GetAsync("/api/server/audit", null)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await GetAsync("/api/server/audit", "not-the-admin-key-but-long-enough-0123456789")).StatusCode);
    }

    private static void AssertTarget(JsonElement entry, string kind, string id, string name, string? reason)
    {
        var target = entry.GetProperty("target");
        Assert.Equal((kind, id, name), (target.GetProperty("kind").GetString(), target.GetProperty("id").GetString(), target.GetProperty("name").GetString()));
        Assert.Equal(reason, entry.GetProperty("reason").GetString());
    }

    private Task<JsonElement[]> EntriesAsync(string token, string query, Func<JsonElement[], bool> done) =>
        AuditLog.ReadUntilAsync(_server.BaseUrl, token, query, done);

    private Task<(JsonElement[] Entries, bool HasMore)> PageAsync(string token, string query) => AuditLog.PageAsync(_http, _server.BaseUrl, token, query);

    private async Task<HttpResponseMessage> GetAsync(string path, string? token)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, _server.BaseUrl + path);
        if (token is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return await _http.SendAsync(request);
    }

    private Task<JsonElement> SendAsync(HttpMethod method, string path, string token, object? body = null) =>
        ApiCalls.OkJsonAsync(_http, _server.BaseUrl, method, path, token, body);

    private Task<SessionDto> RegisterAsync(string username) => ApiCalls.RegisterAsync(_http, _server.BaseUrl, username, Password);

    private Task<SessionDto> SignInAsync(string username) => ApiCalls.SignInAsync(_http, _server.BaseUrl, username, Password);
}

using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Reflection;
using System.Text.Json;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;
using ChatHub = OpenChat.Gateway.Hub.ChatHub;
using IceServersDto = OpenChat.Gateway.Hub.IceServersDto;
using OpenChat.Rtc.Transport;
using OpenChat.SimulatedClients.Network;
using OpenChat.TestSupport;
using Xunit;
using Xunit.Abstractions;

namespace OpenChat.Gateway.Tests;

/// <summary>
/// Every hub method and every HTTP endpoint, found by reflection and from the server's routing (so one added without a
/// row here fails the test), called by a caller who holds what it needs and by one who does not — server-wide, and in
/// a channel whose override allows or denies it. A refused call gets its refusal and changes nothing the owner can see.
/// </summary>
public sealed class PermissionMatrixTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const string AdminKey = "matrix-tests-admin-key-0123456789abcdef";
    private const string SetupCode = "matrix-tests-setup-code";
    private const string Password = "matrix password 1";
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private InProcessServer _server = null!;
    private readonly List<IAsyncDisposable> _disposables = [];
    private SessionDto _owner = null!;
    private SessionDto _member = null!;
    private SessionDto _manager = null!;
    private string _managersRole = null!;
    private string _targetRole = null!;
    private HubConnection _ownerHub = null!;
    private HubConnection _memberHub = null!;
    private int _counter;

    /// <summary>What a call needs.</summary>
    private enum Need
    {
        /// <summary>Nothing: open to anyone (sign-in, registration, the web client, health).</summary>
        Anonymous,
        /// <summary>A session token, nothing more.</summary>
        Session,
        /// <summary>The admin key.</summary>
        AdminKey,
        /// <summary>A server-wide permission.</summary>
        Server,
        /// <summary>A permission in the channel the call names.</summary>
        Channel,
        /// <summary>The SignalR hub itself: its methods have their own matrix.</summary>
        Hub,
    }

    private sealed record Call(string Method, string Path, object? Body = null);

    /// <summary>
    /// One endpoint: what it needs, the permission (for <see cref="Need.Server"/> and <see cref="Need.Channel"/>), and a
    /// call that succeeds for an allowed caller (given a channel for channel-scoped ones).
    /// </summary>
    private sealed record Row(Need Need, string? Permission, Func<string, Task<Call>> Make, int[] Success, bool AdminKeyToo = true);

    public async Task InitializeAsync()
    {
        _server = await InProcessServer.StartAsync(new Dictionary<string, string?>
        {
            ["OpenChat:Auth:AdminKey"] = AdminKey,
            ["OpenChat:Auth:SetupCode"] = SetupCode,
            // The matrix makes many accounts and calls from one address.
            ["OpenChat:Auth:SessionsPerMinute"] = "1000",
            ["OpenChat:Gateway:CallsPerSecond"] = "1000",
            ["OpenChat:Auth:AdminFailuresPerMinute"] = "1000",
            ["OpenChat:Gateway:UserChannelOpensPerMinute"] = "100000",
            ["OpenChat:Gateway:UserPostsPerWindow"] = "100000",
            ["OpenChat:Gateway:PostsPerWindow"] = "100000",
            ["OpenChat:Gateway:UserHistoryPagesPerMinute"] = "100000",
            ["OpenChat:Gateway:UserVoiceChangesPerMinute"] = "100000",
        });
        _owner = await RegisterAsync("Owner");
        await OkAsync(new Call("POST", "/api/setup", new { code = SetupCode }), _owner.Token);
        _owner = await SignInAsync("Owner");
        _member = await RegisterAsync("Member");
        _manager = await RegisterAsync("Manager");
        _managersRole = (await OkJsonAsync(new Call("POST", "/api/server/roles",
            new { name = "Managers", permissions = new[] { "manageRoles", "manageChannels", "resetPasswords", "kickMembers", "banMembers", "viewAuditLog", "manageServer", "viewChannel", "connect", "speak" } }), AdminKey)).GetProperty("id").GetString()!;
        _targetRole = (await OkJsonAsync(new Call("POST", "/api/server/roles", new { name = "Target", permissions = Array.Empty<string>() }), AdminKey))
            .GetProperty("id").GetString()!;
        // Managers above Target.
        await OkAsync(new Call("PATCH", $"/api/server/roles/{_managersRole}", new { position = 2 }), AdminKey);
        await OkAsync(new Call("PUT", $"/api/server/members/{_manager.UserId}/roles/{_managersRole}"), AdminKey);
        await OkAsync(new Call("POST", "/api/channels", new { name = "vault", kind = "text" }), AdminKey);
        await OkAsync(new Call("POST", "/api/channels", new { name = "stage", kind = "voice" }), AdminKey);
        _ownerHub = await ConnectAsync(_owner);
        _memberHub = await ConnectAsync(_member);
    }

    public async Task DisposeAsync()
    {
        foreach (var d in _disposables) await d.DisposeAsync();
        await _server.DisposeAsync();
    }

    private Dictionary<string, Row> HttpMatrix() => new()
    {
        ["GET /api/info"] = new(Need.Anonymous, null, _ => Task.FromResult(new Call("GET", "/api/info")), [200]),
        ["GET /healthz/live"] = new(Need.Anonymous, null, _ => Task.FromResult(new Call("GET", "/healthz/live")), [200]),
        ["GET /healthz/ready"] = new(Need.Anonymous, null, _ => Task.FromResult(new Call("GET", "/healthz/ready")), [200]),
        ["GET /"] = new(Need.Anonymous, null, _ => Task.FromResult(new Call("GET", "/")), [200]),
        ["GET {*path}"] = new(Need.Anonymous, null, _ => Task.FromResult(new Call("GET", "/some/page")), [200]),
        ["POST /api/session"] = new(Need.Anonymous, null, _ => Task.FromResult(new Call("POST", "/api/session", new { displayName = "Visitor" + Next() })), [200]),
        ["POST /api/session/sign-in"] = new(Need.Anonymous, null, _ => Task.FromResult(new Call("POST", "/api/session/sign-in", new { username = "Member", password = Password })), [200]),
        ["POST /api/accounts"] = new(Need.Anonymous, null, _ => Task.FromResult(new Call("POST", "/api/accounts", new { username = "New" + Next(), password = Password })), [200]),
        ["GET /api/invites/{code}"] = new(Need.Anonymous, null, async _ => new Call("GET", $"/api/invites/{await NewInviteAsync()}"), [200]),
        ["POST /api/account/reset"] = new(Need.Anonymous, null, async _ =>
        {
            var user = await RegisterAsync("Reset" + Next());
            var link = await OkJsonAsync(new Call("POST", $"/api/admin/accounts/{user.UserId}/reset-link"), AdminKey);
            return new Call("POST", "/api/account/reset", new { code = link.GetProperty("code").GetString(), newPassword = "another password 2" });
        }, [200]),

        ["GET /api/session"] = new(Need.Session, null, _ => Task.FromResult(new Call("GET", "/api/session")), [200]),
        ["POST /api/session/renew"] = new(Need.Session, null, _ => Task.FromResult(new Call("POST", "/api/session/renew")), [200]),
        ["POST /api/session/sign-out"] = new(Need.Session, null, _ => Task.FromResult(new Call("POST", "/api/session/sign-out")), [200, 204]),
        ["POST /api/session/sign-out-everywhere"] = new(Need.Session, null, _ => Task.FromResult(new Call("POST", "/api/session/sign-out-everywhere")), [200, 204]),
        ["GET /api/account"] = new(Need.Session, null, _ => Task.FromResult(new Call("GET", "/api/account")), [200]),
        ["PUT /api/account/password"] = new(Need.Session, null, _ => Task.FromResult(new Call("PUT", "/api/account/password",
            new { currentPassword = Password, newPassword = "changed password 3" })), [200, 204]),
        ["DELETE /api/account"] = new(Need.Session, null, _ => Task.FromResult(new Call("DELETE", "/api/account", new { password = Password })), [200, 204]),
        // The server has its owner: claiming again is refused for anyone, so the row checks the token gate and the refusal.
        ["POST /api/setup"] = new(Need.Session, null, _ => Task.FromResult(new Call("POST", "/api/setup", new { code = SetupCode })), [403, 409]),
        ["GET /api/me/permissions"] = new(Need.Session, null, _ => Task.FromResult(new Call("GET", "/api/me/permissions")), [200]),
        ["GET /api/server/roles"] = new(Need.Session, null, _ => Task.FromResult(new Call("GET", "/api/server/roles")), [200]),
        ["GET /api/server/settings"] = new(Need.Session, null, _ => Task.FromResult(new Call("GET", "/api/server/settings")), [200]),

        ["POST /api/admin/channels"] = new(Need.AdminKey, null, _ => Task.FromResult(new Call("POST", "/api/admin/channels", new { name = "admin" + Next() })), [201]),
        ["PATCH /api/admin/channels/{id}"] = new(Need.AdminKey, null, _ => Task.FromResult(new Call("PATCH", "/api/admin/channels/general", new { topic = "t" + Next() })), [200]),
        ["DELETE /api/admin/channels/{id}"] = new(Need.AdminKey, null, async _ => new Call("DELETE", $"/api/admin/channels/{await NewChannelAsync()}"), [204]),
        ["PUT /api/admin/channels/order"] = new(Need.AdminKey, null, _ => Task.FromResult(new Call("PUT", "/api/admin/channels/order", new { channels = ReversedChannels() })), [204]),
        ["GET /api/admin/voice"] = new(Need.AdminKey, null, _ => Task.FromResult(new Call("GET", "/api/admin/voice")), [200]),
        ["GET /api/admin/media"] = new(Need.AdminKey, null, _ => Task.FromResult(new Call("GET", "/api/admin/media")), [200]),
        ["GET /api/admin/cluster"] = new(Need.AdminKey, null, _ => Task.FromResult(new Call("GET", "/api/admin/cluster")), [200]),
        ["POST /api/admin/accounts/{userId}/reset-link"] = new(Need.AdminKey, null, async _ =>
            new Call("POST", $"/api/admin/accounts/{(await RegisterAsync("Adm" + Next())).UserId}/reset-link"), [200]),

        ["POST /api/server/roles"] = new(Need.Server, "manageRoles", _ => Task.FromResult(new Call("POST", "/api/server/roles", new { name = "Made" + Next() })), [201]),
        ["PATCH /api/server/roles/{roleId}"] = new(Need.Server, "manageRoles", _ =>
            Task.FromResult(new Call("PATCH", $"/api/server/roles/{_targetRole}", new { name = "Target" + Next() })), [200]),
        ["DELETE /api/server/roles/{roleId}"] = new(Need.Server, "manageRoles", async _ => new Call("DELETE", $"/api/server/roles/{await NewRoleAsync()}"), [204]),
        ["GET /api/server/members"] = new(Need.Server, "manageRoles", _ => Task.FromResult(new Call("GET", "/api/server/members?query=mem")), [200]),
        ["PUT /api/server/members/{userId}/roles/{roleId}"] = new(Need.Server, "manageRoles", async _ =>
            new Call("PUT", $"/api/server/members/{(await RegisterAsync("Held" + Next())).UserId}/roles/{_targetRole}"), [204]),
        ["DELETE /api/server/members/{userId}/roles/{roleId}"] = new(Need.Server, "manageRoles", async _ =>
        {
            var user = await RegisterAsync("Held" + Next());
            await OkAsync(new Call("PUT", $"/api/server/members/{user.UserId}/roles/{_targetRole}"), AdminKey);
            return new Call("DELETE", $"/api/server/members/{user.UserId}/roles/{_targetRole}");
        }, [204]),
        ["POST /api/server/members/{userId}/kick"] = new(Need.Server, "kickMembers", async _ =>
            new Call("POST", $"/api/server/members/{(await RegisterAsync("Kicked" + Next())).UserId}/kick", new { reason = "matrix" }), [204]),
        ["POST /api/server/members/{userId}/ban"] = new(Need.Server, "banMembers", async _ =>
            new Call("POST", $"/api/server/members/{(await RegisterAsync("Banned" + Next())).UserId}/ban", new { reason = "matrix" }), [204]),
        ["DELETE /api/server/members/{userId}/ban"] = new(Need.Server, "banMembers", async _ =>
        {
            var user = await RegisterAsync("Unbanned" + Next());
            await OkAsync(new Call("POST", $"/api/server/members/{user.UserId}/ban", new { reason = "matrix" }), AdminKey);
            return new Call("DELETE", $"/api/server/members/{user.UserId}/ban");
        }, [204]),
        ["POST /api/server/members/{userId}/timeout"] = new(Need.Server, "kickMembers", async _ =>
            new Call("POST", $"/api/server/members/{(await RegisterAsync("TimedOut" + Next())).UserId}/timeout", new { minutes = 5, reason = "matrix" }), [204]),
        ["DELETE /api/server/members/{userId}/timeout"] = new(Need.Server, "kickMembers", async _ =>
        {
            var user = await RegisterAsync("Lifted" + Next());
            await OkAsync(new Call("POST", $"/api/server/members/{user.UserId}/timeout", new { minutes = 5 }), AdminKey);
            return new Call("DELETE", $"/api/server/members/{user.UserId}/timeout");
        }, [204]),
        ["GET /api/server/cluster"] = new(Need.Server, "manageServer", _ => Task.FromResult(new Call("GET", "/api/server/cluster")), [200]),
        ["GET /api/server/bans"] = new(Need.Server, "banMembers", _ => Task.FromResult(new Call("GET", "/api/server/bans")), [200]),
        ["GET /api/server/audit"] = new(Need.Server, "viewAuditLog", _ => Task.FromResult(new Call("GET", "/api/server/audit?action=member&limit=5")), [200]),
        ["POST /api/channels"] = new(Need.Server, "manageChannels", _ => Task.FromResult(new Call("POST", "/api/channels", new { name = "made" + Next(), kind = "voice" })), [201]),
        ["PATCH /api/server/settings"] = new(Need.Server, "manageServer", _ => Task.FromResult(new Call("PATCH", "/api/server/settings", new { description = "d" + Next() })), [200]),
        ["GET /api/server/invites"] = new(Need.Server, "manageServer", _ => Task.FromResult(new Call("GET", "/api/server/invites")), [200]),
        ["POST /api/server/invites"] = new(Need.Server, "manageServer", _ => Task.FromResult(new Call("POST", "/api/server/invites", new { maxUses = 1 })), [201]),
        ["DELETE /api/server/invites/{code}"] = new(Need.Server, "manageServer", async _ => new Call("DELETE", $"/api/server/invites/{await NewInviteAsync()}"), [204]),
        ["PUT /api/channels/order"] = new(Need.Server, "manageChannels", _ => Task.FromResult(new Call("PUT", "/api/channels/order", new { channels = ReversedChannels() })), [204]),
        ["POST /api/accounts/{userId}/reset-link"] = new(Need.Server, "resetPasswords", async _ =>
            new Call("POST", $"/api/accounts/{(await RegisterAsync("Forgot" + Next())).UserId}/reset-link"), [200], AdminKeyToo: false),
        ["POST /api/accounts/reset-link"] = new(Need.Server, "resetPasswords", async _ =>
            new Call("POST", "/api/accounts/reset-link", new { username = (await RegisterAsync("Lost" + Next())).Username }), [200], AdminKeyToo: false),

        ["PATCH /api/channels/{channelId}"] = new(Need.Channel, "manageChannels", c => Task.FromResult(new Call("PATCH", $"/api/channels/{c}", new { topic = "t" + Next() })), [200]),
        ["DELETE /api/channels/{channelId}"] = new(Need.Channel, "manageChannels", c => Task.FromResult(new Call("DELETE", $"/api/channels/{c}")), [204]),
        ["GET /api/channels/{channelId}/overrides"] = new(Need.Channel, "manageRoles", c => Task.FromResult(new Call("GET", $"/api/channels/{c}/overrides")), [200]),
        ["PUT /api/channels/{channelId}/overrides/{target}/{id}"] = new(Need.Channel, "manageRoles", c =>
            Task.FromResult(new Call("PUT", $"/api/channels/{c}/overrides/member/{_owner.UserId}", new { allow = new[] { "speak" }, deny = Array.Empty<string>() })), [200]),
        ["DELETE /api/channels/{channelId}/overrides/{target}/{id}"] = new(Need.Channel, "manageRoles", c =>
            Task.FromResult(new Call("DELETE", $"/api/channels/{c}/overrides/member/{_owner.UserId}")), [204]),

        ["GET /hub"] = new(Need.Hub, null, _ => Task.FromResult(new Call("GET", "/hub")), []),
        ["GET /hub/negotiate"] = new(Need.Hub, null, _ => Task.FromResult(new Call("GET", "/hub/negotiate")), []),
    };

    private async Task<string> NewInviteAsync() =>
        (await OkJsonAsync(new Call("POST", "/api/server/invites", new { maxUses = 1 }), AdminKey)).GetProperty("code").GetString()!;

    /// <summary>Every channel's id, in the reverse of the current order: a valid new order.</summary>
    private string[] ReversedChannels() =>
        _server.Services.GetRequiredService<Sessions.ChannelCatalog>().Channels.Select(c => c.Id.Value).Reverse().ToArray();

    [Fact]
    public async Task Every_http_endpoint_is_in_the_matrix_and_answers_callers_with_and_without_what_it_needs()
    {
        var matrix = HttpMatrix();
        var routed = _server.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .SelectMany(e => (e.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods ?? ["GET"])
                .Where(m => m != "OPTIONS" && !(m == "HEAD" && e.RoutePattern.RawText!.StartsWith("{*", StringComparison.Ordinal)))
                .Select(m => $"{m} {Normalize(e.RoutePattern.RawText!)}"))
            .Where(k => !k.StartsWith("HEAD ", StringComparison.Ordinal))
            .ToHashSet();
        var missing = routed.Except(matrix.Keys).Order().ToArray();
        var stale = matrix.Keys.Except(routed).Order().ToArray();
        Assert.True(missing.Length == 0 && stale.Length == 0,
            $"endpoints without a row: {string.Join(", ", missing)}; rows without an endpoint: {string.Join(", ", stale)}");

        foreach (var (key, row) in matrix.OrderBy(r => r.Key, StringComparer.Ordinal))
        {
            output.WriteLine(key);
            switch (row.Need)
            {
                case Need.Anonymous:
                    await ExpectAsync(key, await row.Make("general"), null, row.Success);
                    break;
                case Need.Session:
                    await RefusedAsync(key, await row.Make("general"), null, [401]);
                    await ExpectAsync(key, await row.Make("general"), (await RegisterAsync("S" + Next())).Token, row.Success);
                    break;
                case Need.AdminKey:
                    await RefusedAsync(key, await row.Make("general"), null, [401]);
                    await RefusedAsync(key, await row.Make("general"), _manager.Token, [401]);
                    await ExpectAsync(key, await row.Make("general"), AdminKey, row.Success);
                    break;
                case Need.Server:
                    await RefusedAsync(key, await row.Make("general"), null, [401]);
                    await RefusedAsync(key, await row.Make("general"), _member.Token, [403]);
                    await ExpectAsync(key, await row.Make("general"), _manager.Token, row.Success);
                    // The admin key acts as the owner, except on the user's own path to what has an admin path.
                    if (row.AdminKeyToo) await ExpectAsync(key, await row.Make("general"), AdminKey, row.Success);
                    else await RefusedAsync(key, await row.Make("general"), AdminKey, [401]);
                    break;
                case Need.Channel:
                    await ChannelRowAsync(key, row);
                    break;
                case Need.Hub:
                    // The hub refuses a connection without a token; its methods are checked one by one below.
                    await RefusedAsync(key, await row.Make("general"), null, [401]);
                    Assert.NotNull(typeof(ChatHub).GetCustomAttribute<AuthorizeAttribute>());
                    break;
            }
        }
    }

    /// <summary>
    /// A channel-scoped endpoint: the manager (who holds the permission server-wide) is refused in a channel whose
    /// override denies it to their role; the member (who lacks it) is allowed in a channel whose override allows it to them.
    /// </summary>
    private async Task ChannelRowAsync(string key, Row row)
    {
        var denied = await NewChannelAsync();
        await OkAsync(new Call("PUT", $"/api/channels/{denied}/overrides/role/{_managersRole}", new { allow = Array.Empty<string>(), deny = new[] { row.Permission } }), AdminKey);
        await RefusedAsync(key, await row.Make(denied), _manager.Token, [403]);
        await RefusedAsync(key, await row.Make(denied), _member.Token, [403]);
        await RefusedAsync(key, await row.Make(denied), null, [401]);

        var allowed = await NewChannelAsync();
        await OkAsync(new Call("PUT", $"/api/channels/{allowed}/overrides/member/{_member.UserId}", new { allow = new[] { row.Permission }, deny = Array.Empty<string>() }), AdminKey);
        await ExpectAsync(key, await row.Make(allowed), _member.Token, row.Success);

        // A channel the caller cannot see is answered as one that does not exist.
        var hidden = await NewChannelAsync();
        await OkAsync(new Call("PUT", $"/api/channels/{hidden}/overrides/role/everyone", new { allow = Array.Empty<string>(), deny = new[] { "viewChannel" } }), AdminKey);
        await RefusedAsync(key, await row.Make(hidden), _manager.Token, [404]);
    }

    /// <summary>The hub methods and what each needs in the channel it names (null: only a session).</summary>
    private static readonly Dictionary<string, string?> HubMatrix = new()
    {
        ["Me"] = null,
        ["GetChannels"] = null,
        ["GetPermissions"] = null,
        ["GetIceServers"] = null,
        ["CloseChannel"] = null,
        ["LeaveVoice"] = null,
        ["SetVoiceState"] = null,
        ["SetMemberVolume"] = null,
        ["OpenChannel"] = "viewChannel",
        ["PostMessage"] = "sendMessages",
        ["ReplyToMessage"] = "sendMessages",
        ["EditMessage"] = "sendMessages",
        ["SendTyping"] = "sendMessages",
        ["DeleteMessage"] = "viewChannel",
        ["GetHistory"] = "readHistory",
        ["JoinVoice"] = "connect",
        ["ResumeVoice"] = "connect",
        ["ModerateVoice"] = "muteMembers",
        ["DisconnectVoiceMember"] = "moveMembers",
        ["MoveVoiceMember"] = "moveMembers",
    };

    [Fact]
    public async Task Every_hub_method_is_in_the_matrix_and_a_channel_override_allows_or_denies_it()
    {
        var methods = typeof(ChatHub).GetMethods(BindingFlags.Public | BindingFlags.Instance | BindingFlags.DeclaredOnly)
            .Where(m => m.Name is not ("OnConnectedAsync" or "OnDisconnectedAsync") && !m.IsSpecialName)
            .Select(m => m.Name)
            .ToHashSet();
        Assert.Equal(HubMatrix.Keys.Order(), methods.Order());

        // Methods that need only a session work for the member as for anyone.
        Assert.Equal(_member.UserId, (await _memberHub.InvokeAsync<UserDto>("Me")).Id);
        Assert.NotEmpty(await _memberHub.InvokeAsync<ChannelDto[]>("GetChannels"));
        Assert.False((await _memberHub.InvokeAsync<PermissionsDto>("GetPermissions")).Owner);
        await _memberHub.InvokeAsync<IceServersDto>("GetIceServers");
        await _memberHub.InvokeAsync("CloseChannel", "general");
        await _memberHub.InvokeAsync("LeaveVoice");
        await HubRefusalAsync(() => _memberHub.InvokeAsync("SetVoiceState", true, false), "not_in_voice");
        await HubRefusalAsync(() => _memberHub.InvokeAsync("SetMemberVolume", _owner.UserId, 0.5), "not_in_voice");

        // Moderation acts on members ranked below the caller: the member holds a role (without permissions) above the target's.
        var helpers = (await OkJsonAsync(new Call("POST", "/api/server/roles", new { name = "Helpers" }), AdminKey)).GetProperty("id").GetString()!;
        await OkAsync(new Call("PUT", $"/api/server/members/{_member.UserId}/roles/{helpers}"), AdminKey);
        var target = await RegisterAsync("Target" + Next());

        foreach (var (method, permission) in HubMatrix.Where(m => m.Value is not null))
        {
            output.WriteLine(method);
            var voice = method is "JoinVoice" or "ResumeVoice" or "ModerateVoice" or "DisconnectVoiceMember" or "MoveVoiceMember";
            // Denied for @everyone in this channel: refused, and nothing changes.
            var denied = await NewChannelAsync(voice ? "voice" : "text");
            await OkAsync(new Call("PUT", $"/api/channels/{denied}/overrides/role/everyone", new { allow = Array.Empty<string>(), deny = new[] { permission } }), AdminKey);
            var before = await FingerprintAsync();
            await HubRefusalAsync(() => InvokeAsync(method, denied, target.UserId, denied), permission == "viewChannel" ? "unknown_channel" : "forbidden");
            Assert.Equal(before, await FingerprintAsync());

            // Not held server-wide, but allowed to the member in this channel: the call goes through.
            var allowed = await NewChannelAsync(voice ? "voice" : "text");
            await OkAsync(new Call("PUT", $"/api/channels/{allowed}/overrides/member/{_member.UserId}", new { allow = new[] { permission }, deny = Array.Empty<string>() }), AdminKey);
            await SetEveryoneAsync(without: permission!);
            try
            {
                await Probe.UntilAsync(async () => !(await _memberHub.InvokeAsync<PermissionsDto>("GetPermissions")).Server.Contains(permission), TimeSpan.FromSeconds(10),
                    "the gateway to hold the new @everyone");
                await HubRefusalAsync(() => InvokeAsync(method, voice ? "lounge" : "general", target.UserId, allowed), permission == "viewChannel" ? "unknown_channel" : "forbidden");
                switch (method)
                {
                    case "OpenChannel":
                        Assert.Equal(allowed, (await _memberHub.InvokeAsync<ChannelViewDto>("OpenChannel", allowed)).Channel.Id);
                        break;
                    case "PostMessage":
                        await _memberHub.InvokeAsync<MessageDto>("PostMessage", allowed, "allowed here", ChatClient.NewNonce());
                        break;
                    case "GetHistory":
                        await _memberHub.InvokeAsync<HistoryDto>("GetHistory", allowed, null, null);
                        break;
                    case "ReplyToMessage":
                        var original = await _memberHub.InvokeAsync<MessageDto>("PostMessage", allowed, "original", ChatClient.NewNonce());
                        await _memberHub.InvokeAsync<MessageDto>("ReplyToMessage", allowed, original.Id, "a reply", ChatClient.NewNonce());
                        break;
                    case "EditMessage":
                        var draft = await _memberHub.InvokeAsync<MessageDto>("PostMessage", allowed, "draft", ChatClient.NewNonce());
                        await _memberHub.InvokeAsync<MessageDto>("EditMessage", allowed, draft.Id, "final");
                        break;
                    case "SendTyping":
                        await _memberHub.InvokeAsync("SendTyping", allowed);
                        break;
                    case "DeleteMessage":
                        var mistake = await _memberHub.InvokeAsync<MessageDto>("PostMessage", allowed, "mistake", ChatClient.NewNonce());
                        await _memberHub.InvokeAsync("DeleteMessage", allowed, mistake.Id, null);
                        break;
                    case "JoinVoice":
                        var joined = await _memberHub.InvokeAsync<VoiceJoinedDto>("JoinVoice", allowed, Offer(), false, false);
                        Assert.NotNull(joined.SdpAnswer);
                        await _memberHub.InvokeAsync("LeaveVoice");
                        break;
                    case "ResumeVoice":
                        // Allowed to connect but not in voice: the answer is about the membership, not the permission.
                        await HubRefusalAsync(() => _memberHub.InvokeAsync<VoiceJoinedDto>("ResumeVoice", allowed), "not_in_voice");
                        break;
                    case "ModerateVoice":
                        await _memberHub.InvokeAsync("ModerateVoice", allowed, target.UserId, true, false, "matrix");
                        await _memberHub.InvokeAsync("ModerateVoice", allowed, target.UserId, false, false, null);
                        break;
                    case "DisconnectVoiceMember":
                        await HubRefusalAsync(() => _memberHub.InvokeAsync("DisconnectVoiceMember", allowed, target.UserId, null), "not_in_voice");
                        break;
                    case "MoveVoiceMember":
                        var other = await NewChannelAsync("voice");
                        await OkAsync(new Call("PUT", $"/api/channels/{other}/overrides/member/{_member.UserId}", new { allow = new[] { permission }, deny = Array.Empty<string>() }), AdminKey);
                        await HubRefusalAsync(() => _memberHub.InvokeAsync("MoveVoiceMember", allowed, target.UserId, other, null), "not_in_voice");
                        break;
                }
            }
            finally
            {
                await SetEveryoneAsync(without: null);
            }
        }
    }

    /// <summary>The call as the member makes it in <paramref name="channel"/>; moderation acts on <paramref name="target"/>, a move goes to <paramref name="to"/>.</summary>
    private Task InvokeAsync(string method, string channel, string target, string to) => method switch
    {
        "ModerateVoice" => _memberHub.InvokeAsync("ModerateVoice", channel, target, true, false, null),
        "DisconnectVoiceMember" => _memberHub.InvokeAsync("DisconnectVoiceMember", channel, target, null),
        "MoveVoiceMember" => _memberHub.InvokeAsync("MoveVoiceMember", channel, target, to == channel ? "lounge" : to, null),
        "OpenChannel" => _memberHub.InvokeAsync<ChannelViewDto>("OpenChannel", channel),
        "PostMessage" => _memberHub.InvokeAsync<MessageDto>("PostMessage", channel, "should not be stored", ChatClient.NewNonce()),
        "GetHistory" => _memberHub.InvokeAsync<HistoryDto>("GetHistory", channel, null, null),
        "ReplyToMessage" => _memberHub.InvokeAsync<MessageDto>("ReplyToMessage", channel, 1L, "should not be stored", ChatClient.NewNonce()),
        "EditMessage" => _memberHub.InvokeAsync<MessageDto>("EditMessage", channel, 1L, "should not be stored"),
        "SendTyping" => _memberHub.InvokeAsync("SendTyping", channel),
        "DeleteMessage" => _memberHub.InvokeAsync("DeleteMessage", channel, 1L, null),
        "JoinVoice" => _memberHub.InvokeAsync<VoiceJoinedDto>("JoinVoice", channel, Offer(), false, false),
        "ResumeVoice" => _memberHub.InvokeAsync<VoiceJoinedDto>("ResumeVoice", channel),
        _ => throw new ArgumentOutOfRangeException(method),
    };

    private string Offer()
    {
        var session = SourceAddress.RtcClient(SourceAddress.Next()).CreateSession();
        _disposables.Add(new Disposer(session));
        return session.Offer;
    }

    private sealed class Disposer(IDisposable inner) : IAsyncDisposable
    {
        public ValueTask DisposeAsync()
        {
            inner.Dispose();
            return ValueTask.CompletedTask;
        }
    }

    private async Task SetEveryoneAsync(string? without)
    {
        string[] defaults = ["viewChannel", "readHistory", "sendMessages", "connect", "speak"];
        await OkAsync(new Call("PATCH", "/api/server/roles/everyone", new { permissions = defaults.Where(p => p != without).ToArray() }), AdminKey);
    }

    private static async Task HubRefusalAsync(Func<Task> call, string code)
    {
        var refusal = await Assert.ThrowsAsync<HubException>(call);
        // The client reports the server's HubException inside a sentence of its own.
        Assert.True(refusal.Message.Contains("HubException: " + code + ":", StringComparison.Ordinal), $"expected {code}, got: {refusal.Message}");
    }

    /// <summary>
    /// What the owner can see of the server's state: channels, roles, members' roles, overrides, every text channel's
    /// messages and who has it open, and who is in voice.
    /// </summary>
    private async Task<string> FingerprintAsync()
    {
        var parts = new List<string>();
        var channels = await _ownerHub.InvokeAsync<ChannelDto[]>("GetChannels");
        parts.Add(JsonSerializer.Serialize(channels));
        parts.Add((await OkJsonAsync(new Call("GET", "/api/server/roles"), AdminKey)).GetRawText());
        parts.Add((await OkJsonAsync(new Call("GET", "/api/server/members"), AdminKey)).GetRawText());
        parts.Add((await OkJsonAsync(new Call("GET", "/api/admin/voice"), AdminKey)).GetRawText());
        foreach (var channel in channels)
        {
            parts.Add((await OkJsonAsync(new Call("GET", $"/api/channels/{channel.Id}/overrides"), AdminKey)).GetRawText());
            if (channel.Kind != "text") continue;
            var view = await _ownerHub.InvokeAsync<ChannelViewDto>("OpenChannel", channel.Id);
            parts.Add(string.Join(",", view.Messages.Select(m => m.Id)) + "|" + string.Join(",", view.Online.Select(o => o.UserId).Order()));
        }
        return string.Join("\n", parts);
    }

    /// <summary>Calls an endpoint that must refuse: the expected status, and the owner sees nothing changed.</summary>
    private async Task RefusedAsync(string key, Call call, string? token, int[] statuses)
    {
        var before = await FingerprintAsync();
        // From an address of its own: wrong keys count against the address they come from.
        using var response = await SendAsync(call, token, _refusedHttp);
        Assert.True(statuses.Contains((int)response.StatusCode),
            $"{key} as {Who(token)}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}, expected {string.Join(" or ", statuses)}");
        Assert.Equal(before, await FingerprintAsync());
    }

    private async Task ExpectAsync(string key, Call call, string? token, int[] statuses)
    {
        using var response = await SendAsync(call, token);
        Assert.True(statuses.Contains((int)response.StatusCode),
            $"{key} as {Who(token)}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}, expected {string.Join(" or ", statuses)}");
    }

    private string Who(string? token) =>
        token is null ? "nobody" : token == AdminKey ? "the admin key" : token == _manager.Token ? "the manager" : token == _member.Token ? "the member" : "a user";

    private static string Normalize(string pattern)
    {
        var path = pattern.StartsWith('/') ? pattern : "/" + pattern;
        // The client's fallback route.
        return path.StartsWith("/{*", StringComparison.Ordinal) ? "{*path}" : path;
    }

    private string Next() => Interlocked.Increment(ref _counter).ToString(System.Globalization.CultureInfo.InvariantCulture);

    private async Task<string> NewChannelAsync(string kind = "text") =>
        (await OkJsonAsync(new Call("POST", "/api/channels", new { name = "m" + Next(), kind }), AdminKey)).GetProperty("id").GetString()!;

    /// <summary>A role at the bottom, below the managers'.</summary>
    private async Task<string> NewRoleAsync()
    {
        var id = (await OkJsonAsync(new Call("POST", "/api/server/roles", new { name = "Temp" + Next() }), AdminKey)).GetProperty("id").GetString()!;
        await OkAsync(new Call("PATCH", $"/api/server/roles/{id}", new { position = 1 }), AdminKey);
        return id;
    }

    private async Task<HubConnection> ConnectAsync(SessionDto session)
    {
        var client = await ChatClient.ConnectAsync(_server.BaseUrl, session.DisplayName, session, source: SourceAddress.Next());
        _disposables.Add(client);
        return client.Connection;
    }

    private async Task<SessionDto> RegisterAsync(string name) =>
        (await OkJsonAsync(new Call("POST", "/api/accounts", new { username = name, password = Password }), null)).Deserialize<SessionDto>(Json)!;

    private async Task<SessionDto> SignInAsync(string name) =>
        (await OkJsonAsync(new Call("POST", "/api/session/sign-in", new { username = name, password = Password }), null)).Deserialize<SessionDto>(Json)!;

    private async Task OkAsync(Call call, string? token)
    {
        using var response = await SendAsync(call, token);
        Assert.True(response.IsSuccessStatusCode, $"{call.Method} {call.Path}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
    }

    private async Task<JsonElement> OkJsonAsync(Call call, string? token)
    {
        using var response = await SendAsync(call, token);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{call.Method} {call.Path}: {(int)response.StatusCode} {text}");
        return JsonSerializer.Deserialize<JsonElement>(text);
    }

    private readonly HttpClient _http = SourceAddress.HttpClient(SourceAddress.Next());
    private readonly HttpClient _refusedHttp = SourceAddress.HttpClient(SourceAddress.Next());

    private async Task<HttpResponseMessage> SendAsync(Call call, string? token, HttpClient? http = null)
    {
        using var request = new HttpRequestMessage(new HttpMethod(call.Method), _server.BaseUrl + call.Path)
        {
            Content = call.Body is null ? null : JsonContent.Create(call.Body),
        };
        if (token is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return await (http ?? _http).SendAsync(request);
    }
}

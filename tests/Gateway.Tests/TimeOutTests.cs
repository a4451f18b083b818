using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Threading.Channels;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;
using OpenChat.SimulatedClients.Network;
using OpenChat.TestSupport;
using Xunit;

namespace OpenChat.Gateway.Tests;

/// <summary>
/// Time-outs on the all-in-one server: a moderator with kick members times a member out; until it is lifted or over the
/// member cannot post, join voice or stay in it, and is told so (PermissionsChanged) when it starts and when it ends.
/// Real SignalR connections, and our own WebRTC client for the voice member.
/// </summary>
public sealed class TimeOutTests : IAsyncLifetime
{
    private const string AdminKey = "timeout-tests-admin-key-0123456789abcdef";
    private const string SetupCode = "timeout-tests-setup-code";
    private const string Password = "time out password 1";
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(15);

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

    /// <summary>A member's hub connection with what it was told of its permissions and its voice.</summary>
    private sealed class Member(ChatClient chat) : IAsyncDisposable
    {
        public ChatClient Chat { get; } = chat;
        public Channel<PermissionsDto> Permissions { get; } = Channel.CreateUnbounded<PermissionsDto>();
        public Channel<(string Channel, string Reason)> Ended { get; } = Channel.CreateUnbounded<(string, string)>();
        public OpenChat.Rtc.Transport.RtcClientSession? Media { get; set; }

        public async ValueTask DisposeAsync()
        {
            Media?.Dispose();
            await Chat.DisposeAsync();
        }

        /// <summary>The next permissions pushed that satisfy <paramref name="wanted"/>.</summary>
        public async Task<PermissionsDto> PermissionsWhereAsync(Func<PermissionsDto, bool> wanted, TimeSpan timeout)
        {
            using var cts = new CancellationTokenSource(timeout);
            while (true)
            {
                var next = await Permissions.Reader.ReadAsync(cts.Token);
                if (wanted(next)) return next;
            }
        }
    }

    private async Task<Member> ConnectAsync(SessionDto session, string name)
    {
        var source = SourceAddress.Next();
        var member = new Member(await ChatClient.ConnectAsync(_server.BaseUrl, name, session, source: source));
        member.Chat.Connection.On<PermissionsDto>("PermissionsChanged", p => member.Permissions.Writer.TryWrite(p));
        member.Chat.Connection.On<string, string>("VoiceEnded", (c, r) => member.Ended.Writer.TryWrite((c, r)));
        member.Media = SourceAddress.RtcClient(source).CreateSession();
        return member;
    }

    private static Task<VoiceJoinedDto> JoinVoiceAsync(Member member) =>
        member.Chat.Connection.InvokeAsync<VoiceJoinedDto>("JoinVoice", "lounge", member.Media!.Offer, false, false);

    [Fact]
    public async Task A_timed_out_member_cannot_post_or_join_voice_is_taken_out_of_voice_and_may_again_once_lifted()
    {
        var moderator = await ModeratorAsync("Moderator");
        var aliceSession = await RegisterAsync("Alice");
        await using var alice = await ConnectAsync(aliceSession, "Alice");
        await alice.Chat.OpenChannelAsync("general");
        await alice.Chat.PostAsync("general", "before");
        var joined = await JoinVoiceAsync(alice);
        await alice.Media!.ConnectAsync(joined.SdpAnswer!).WaitAsync(Wait);

        await OkAsync(HttpMethod.Post, $"/api/server/members/{aliceSession.UserId}/timeout", moderator.Token, new { minutes = 10, reason = "cool off" });

        // Told at once: the permissions without sendMessages, speak and connect, until when and why; and out of voice.
        var told = await alice.PermissionsWhereAsync(p => p.TimedOutUntil is not null, Wait);
        Assert.Equal("cool off", told.TimeOutReason);
        Assert.InRange(told.TimedOutUntil!.Value, DateTimeOffset.UtcNow.AddMinutes(9), DateTimeOffset.UtcNow.AddMinutes(11));
        Assert.DoesNotContain("sendMessages", told.Server);
        Assert.DoesNotContain("speak", told.Server);
        Assert.DoesNotContain("connect", told.Server);
        Assert.Contains("viewChannel", told.Server);
        var ended = await alice.Ended.Reader.ReadAsync().AsTask().WaitAsync(Wait);
        Assert.Equal("lounge", ended.Channel);
        Assert.StartsWith("You are timed out until ", ended.Reason);
        Assert.EndsWith(": cool off", ended.Reason);
        await Probe.UntilAsync(async () => (await alice.Chat.OpenChannelAsync("lounge")).Voice.Length == 0, Wait, "Alice out of the voice room");
        Assert.Equal(told.TimedOutUntil, (await alice.Chat.Connection.InvokeAsync<PermissionsDto>("GetPermissions")).TimedOutUntil);

        var post = await Assert.ThrowsAsync<HubException>(() => alice.Chat.PostAsync("general", "during"));
        Assert.Contains("forbidden: You are timed out until", post.Message);
        alice.Media.Dispose();
        alice.Media = SourceAddress.RtcClient(SourceAddress.Next()).CreateSession();
        var join = await Assert.ThrowsAsync<HubException>(() => JoinVoiceAsync(alice));
        Assert.Contains("forbidden: You are timed out until", join.Message);
        // Reading goes on.
        Assert.Equal("before", (await alice.Chat.HistoryAsync("general")).Messages[^1].Text);
        var listed = await MembersAsync("Alice");
        Assert.Equal(told.TimedOutUntil, listed.GetProperty("timedOutUntil").GetDateTimeOffset());

        await OkAsync(HttpMethod.Delete, $"/api/server/members/{aliceSession.UserId}/timeout", moderator.Token);
        var restored = await alice.PermissionsWhereAsync(p => p.TimedOutUntil is null, Wait);
        Assert.Contains("sendMessages", restored.Server);
        Assert.Null(restored.TimeOutReason);
        Assert.Equal("after", (await alice.Chat.PostAsync("general", "after")).Text);
        var rejoined = await JoinVoiceAsync(alice);
        Assert.Equal("lounge", rejoined.ChannelId);
        Assert.Equal(JsonValueKind.Null, (await MembersAsync("Alice")).GetProperty("timedOutUntil").ValueKind);

        var audit = await AuditLog.ReadUntilAsync(_server.BaseUrl, AdminKey, "?action=member", e => e.Length >= 2);
        Assert.Equal([("member.timeout-lifted", aliceSession.UserId, null, null), ("member.timeout", aliceSession.UserId, "cool off", "for 10 minutes")],
            audit.Take(2).Select(e => (e.GetProperty("action").GetString(), e.GetProperty("target").GetProperty("id").GetString(),
                e.GetProperty("reason").GetString(), e.GetProperty("detail").GetString())));
        Assert.All(audit.Take(2), e => Assert.Equal("Moderator", e.GetProperty("actor").GetProperty("name").GetString()));
    }

    [Fact]
    public async Task A_time_out_ends_by_itself_on_time_and_the_member_is_told()
    {
        var moderator = await ModeratorAsync("Moderator");
        var aliceSession = await RegisterAsync("Alice");
        await using var alice = await ConnectAsync(aliceSession, "Alice");
        await alice.Chat.OpenChannelAsync("general");

        // The shortest time-out the API takes: nobody acts after it, the gateway's own timer ends it.
        await OkAsync(HttpMethod.Post, $"/api/server/members/{aliceSession.UserId}/timeout", moderator.Token, new { minutes = 1 });
        var told = await alice.PermissionsWhereAsync(p => p.TimedOutUntil is not null, Wait);
        Assert.Null(told.TimeOutReason);
        await Assert.ThrowsAsync<HubException>(() => alice.Chat.PostAsync("general", "during"));

        var restored = await alice.PermissionsWhereAsync(p => p.TimedOutUntil is null, TimeSpan.FromSeconds(100));
        Assert.True(DateTimeOffset.UtcNow >= told.TimedOutUntil, "the time-out ended before its time");
        Assert.Contains("sendMessages", restored.Server);
        Assert.Equal("after", (await alice.Chat.PostAsync("general", "after")).Text);
        var audit = await AuditLog.ReadUntilAsync(_server.BaseUrl, AdminKey, "?action=member", e => e.Length >= 1);
        Assert.Equal(("member.timeout", "for 1 minute"), (audit[0].GetProperty("action").GetString(), audit[0].GetProperty("detail").GetString()));
    }

    [Fact]
    public async Task Time_outs_follow_the_rules_of_a_kick_and_bad_requests_change_nothing()
    {
        var owner = await RegisterAsync("Owner");
        await OkAsync(HttpMethod.Post, "/api/setup", owner.Token, new { code = SetupCode });
        owner = await SignInAsync("Owner");
        var moderator = await ModeratorAsync("Moderator");
        var peer = await ModeratorAsync("Peer");
        var alice = await RegisterAsync("Alice");
        var bob = await RegisterAsync("Bob");

        async Task Refused(HttpStatusCode status, string code, string path, string token, object? body, HttpMethod? method = null)
        {
            var (got, text) = await SendAsync(method ?? HttpMethod.Post, path, token, body);
            Assert.True(got == status && text.Contains($"\"{code}\""), $"{path}: {(int)got} {text}");
        }
        var aliceTimeOut = $"/api/server/members/{alice.UserId}/timeout";
        // Kick members is needed; the owner, oneself and members of one's own rank or above are out of reach.
        await Refused(HttpStatusCode.Forbidden, "forbidden", aliceTimeOut, bob.Token, new { minutes = 5 });
        await Refused(HttpStatusCode.Forbidden, "forbidden", $"/api/server/members/{owner.UserId}/timeout", moderator.Token, new { minutes = 5 });
        await Refused(HttpStatusCode.Forbidden, "forbidden", $"/api/server/members/{moderator.UserId}/timeout", moderator.Token, new { minutes = 5 });
        await Refused(HttpStatusCode.Forbidden, "forbidden", $"/api/server/members/{peer.UserId}/timeout", moderator.Token, new { minutes = 5 });
        await Refused(HttpStatusCode.Forbidden, "forbidden", $"/api/server/members/{owner.UserId}/timeout", AdminKey, new { minutes = 5 });
        // Minutes 1 to 40320, a reason of at most 512 characters.
        foreach (var bad in new object?[] { new { minutes = 0 }, new { minutes = 40_321 }, new { reason = "no minutes" }, null, new { minutes = 5, reason = new string('r', 513) } })
            await Refused(HttpStatusCode.BadRequest, "invalid_argument", aliceTimeOut, moderator.Token, bad);
        await Refused(HttpStatusCode.NotFound, "unknown_user", "/api/server/members/not%20an%20id/timeout", moderator.Token, new { minutes = 5 });
        await Refused(HttpStatusCode.NotFound, "not_timed_out", aliceTimeOut, moderator.Token, null, HttpMethod.Delete);
        Assert.Equal(JsonValueKind.Null, (await MembersAsync("Alice")).GetProperty("timedOutUntil").ValueKind);

        // The owner and the admin key time out anyone else; lifting follows the same rules.
        await OkAsync(HttpMethod.Post, aliceTimeOut, owner.Token, new { minutes = 40_320 });
        await OkAsync(HttpMethod.Post, $"/api/server/members/{peer.UserId}/timeout", AdminKey, new { minutes = 3, reason = "  calm  " });
        Assert.InRange((await MembersAsync("Alice")).GetProperty("timedOutUntil").GetDateTimeOffset(), DateTimeOffset.UtcNow.AddDays(27.9), DateTimeOffset.UtcNow.AddDays(28.1));
        await Refused(HttpStatusCode.Forbidden, "forbidden", $"/api/server/members/{peer.UserId}/timeout", moderator.Token, null, HttpMethod.Delete);
        await Refused(HttpStatusCode.Forbidden, "forbidden", aliceTimeOut, bob.Token, null, HttpMethod.Delete);
        // The moderator outranks Alice: they may lift a time-out the owner gave.
        await OkAsync(HttpMethod.Delete, aliceTimeOut, moderator.Token);

        var audit = await AuditLog.ReadUntilAsync(_server.BaseUrl, AdminKey, "?action=member", e => e.Length >= 3);
        Assert.Equal([("member.timeout-lifted", alice.UserId, "Moderator", null, null), ("member.timeout", peer.UserId, "admin key", "calm", "for 3 minutes"),
                ("member.timeout", alice.UserId, "Owner", null, "for 40320 minutes")],
            audit.Take(3).Select(e => (e.GetProperty("action").GetString(), e.GetProperty("target").GetProperty("id").GetString(),
                e.GetProperty("actor").GetProperty("name").GetString(), e.GetProperty("reason").GetString(), e.GetProperty("detail").GetString())));
        // Nothing refused was recorded.
        Assert.Equal(3, audit.Count(e => e.GetProperty("action").GetString()!.StartsWith("member.timeout", StringComparison.Ordinal)));
    }

    /// <summary>The member named <paramref name="name"/> as <c>GET /api/server/members</c> lists them (read with the admin key).</summary>
    private async Task<JsonElement> MembersAsync(string name)
    {
        var (status, text) = await SendAsync(HttpMethod.Get, "/api/server/members?query=" + name, AdminKey, null);
        Assert.True(status == HttpStatusCode.OK, text);
        return JsonDocument.Parse(text).RootElement.GetProperty("members").EnumerateArray().Single(m => m.GetProperty("name").GetString() == name).Clone();
    }

    /// <summary>A registered member holding a role (made with the admin key, once) with kick members.</summary>
    private async Task<SessionDto> ModeratorAsync(string name)
    {
        var session = await RegisterAsync(name);
        var (status, text) = await SendAsync(HttpMethod.Get, "/api/server/roles", AdminKey, null);
        Assert.Equal(HttpStatusCode.OK, status);
        var mods = JsonDocument.Parse(text).RootElement.GetProperty("roles").EnumerateArray().FirstOrDefault(r => r.GetProperty("name").GetString() == "Mods");
        var id = mods.ValueKind == JsonValueKind.Undefined
            ? JsonDocument.Parse((await OkAsync(HttpMethod.Post, "/api/server/roles", AdminKey, new { name = "Mods", permissions = new[] { "kickMembers" } }))).RootElement.GetProperty("id").GetString()
            : mods.GetProperty("id").GetString();
        await OkAsync(HttpMethod.Put, $"/api/server/members/{session.UserId}/roles/{id}", AdminKey);
        return session;
    }

    private async Task<string> OkAsync(HttpMethod method, string path, string token, object? body = null)
    {
        var (status, text) = await SendAsync(method, path, token, body);
        Assert.True((int)status is >= 200 and < 300, $"{method} {path}: {(int)status} {text}");
        return text;
    }

    private async Task<(HttpStatusCode Status, string Text)> SendAsync(HttpMethod method, string path, string token, object? body)
    {
        using var request = new HttpRequestMessage(method, _server.BaseUrl + path) { Content = body is null ? null : JsonContent.Create(body) };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var response = await _http.SendAsync(request);
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    private Task<SessionDto> RegisterAsync(string username) => ApiCalls.RegisterAsync(_http, _server.BaseUrl, username, Password);

    private Task<SessionDto> SignInAsync(string username) => ApiCalls.SignInAsync(_http, _server.BaseUrl, username, Password);
}

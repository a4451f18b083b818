using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.SignalR.Client;
using OpenChat.SimulatedClients.Network;
using OpenChat.TestSupport;
using Xunit;

namespace OpenChat.Gateway.Tests;

/// <summary>Accounts and sessions through the real HTTP endpoints and hub of the all-in-one server.</summary>
public sealed partial class AccountTests
{
    private const string Password = "correct horse battery";
    private const string AdminKey = "account-tests-admin-key-0123456789abcdef";

    /// <summary>A client from its own loopback address, speaking the accounts API.</summary>
    private sealed class Api(string baseUrl) : IDisposable
    {
        public IPAddress Source { get; } = SourceAddress.Next();
        private HttpClient? _http;
        private HttpClient Http => _http ??= SourceAddress.HttpClient(Source);

        public async Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, object? body = null, string? token = null)
        {
            using var request = new HttpRequestMessage(method, baseUrl + path) { Content = body is null ? null : JsonContent.Create(body) };
            if (token is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            return await Http.SendAsync(request);
        }

        public async Task<SessionDto> OkAsync(HttpMethod method, string path, object? body = null, string? token = null)
        {
            using var response = await SendAsync(method, path, body, token);
            var text = await response.Content.ReadAsStringAsync();
            Assert.True(response.IsSuccessStatusCode, $"{method} {path}: {(int)response.StatusCode} {text}");
            return JsonSerializer.Deserialize<SessionDto>(text, new JsonSerializerOptions(JsonSerializerDefaults.Web))!;
        }

        public Task<SessionDto> RegisterAsync(string username, string password = Password, string? guestToken = null) =>
            OkAsync(HttpMethod.Post, "/api/accounts", new { username, password }, guestToken);

        public Task<SessionDto> SignInAsync(string username, string password = Password) =>
            OkAsync(HttpMethod.Post, "/api/session/sign-in", new { username, password });

        public async Task<(HttpStatusCode Status, string? Error, TimeSpan? RetryAfter)> FailAsync(HttpMethod method, string path, object? body = null, string? token = null)
        {
            using var response = await SendAsync(method, path, body, token);
            Assert.False(response.IsSuccessStatusCode, $"{method} {path} succeeded");
            string? error = null;
            try
            {
                error = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error").GetString();
            }
            catch (JsonException)
            {
            }
            return (response.StatusCode, error, response.Headers.RetryAfter?.Delta);
        }

        /// <summary>Whether the server still accepts a token (<c>GET /api/session</c>).</summary>
        public async Task<bool> AcceptsAsync(string token)
        {
            using var response = await SendAsync(HttpMethod.Get, "/api/session", token: token);
            Assert.True(response.StatusCode is HttpStatusCode.OK or HttpStatusCode.Unauthorized, $"GET /api/session: {response.StatusCode}");
            return response.IsSuccessStatusCode;
        }

        public void Dispose() => _http?.Dispose();
    }

    private static Task<InProcessServer> StartAsync(Dictionary<string, string?>? settings = null, LogCapture? logs = null, string? data = null)
    {
        var all = new Dictionary<string, string?> { ["OpenChat:Auth:AdminKey"] = AdminKey };
        foreach (var (k, v) in settings ?? []) all[k] = v;
        return InProcessServer.StartAsync(all, logs is null ? null : logs.AddTo, data);
    }

    private static async Task<HubConnection> ConnectAsync(InProcessServer server, SessionDto session) =>
        (await ChatClient.ConnectAsync(server.BaseUrl, session.DisplayName, session, source: SourceAddress.Next())).Connection;

    private static Task ClosedAsync(HubConnection connection)
    {
        var closed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        connection.Closed += _ =>
        {
            closed.TrySetResult();
            return Task.CompletedTask;
        };
        if (connection.State == HubConnectionState.Disconnected) closed.TrySetResult();
        return closed.Task;
    }

    [Fact]
    public async Task Registering_signs_in_and_a_wrong_password_or_unknown_name_get_the_same_answer()
    {
        await using var server = await StartAsync();
        using var api = new Api(server.BaseUrl);
        var registered = await api.RegisterAsync("Alice_01");
        Assert.Equal("account", registered.Kind);
        Assert.Equal("Alice_01", registered.Username);
        Assert.Equal("Alice_01", registered.DisplayName);
        Assert.StartsWith("u-", registered.UserId);
        Assert.True(await api.AcceptsAsync(registered.Token));

        // Sign-in is case-insensitive on the name and gives the same user.
        var signedIn = await api.SignInAsync("alice_01");
        Assert.Equal(registered.UserId, signedIn.UserId);
        Assert.NotEqual(registered.Token, signedIn.Token);

        var wrong = await api.FailAsync(HttpMethod.Post, "/api/session/sign-in", new { username = "Alice_01", password = "not the password" });
        var unknown = await api.FailAsync(HttpMethod.Post, "/api/session/sign-in", new { username = "Nobody_here", password = Password });
        Assert.Equal((HttpStatusCode.Unauthorized, "invalid_credentials"), (wrong.Status, wrong.Error));
        Assert.Equal((wrong.Status, wrong.Error), (unknown.Status, unknown.Error));

        // Weak passwords and bad names are refused before anything is stored.
        Assert.Equal(HttpStatusCode.BadRequest, (await api.FailAsync(HttpMethod.Post, "/api/accounts", new { username = "Bob_x", password = "short" })).Status);
        Assert.Equal(HttpStatusCode.BadRequest, (await api.FailAsync(HttpMethod.Post, "/api/accounts", new { username = "Bob_x", password = "my name is Bob_x" })).Status);
        Assert.Equal(HttpStatusCode.BadRequest, (await api.FailAsync(HttpMethod.Post, "/api/accounts", new { username = "bad name", password = Password })).Status);
        Assert.Equal(HttpStatusCode.BadRequest, (await api.FailAsync(HttpMethod.Post, "/api/accounts", new { username = "mixedАscript", password = Password })).Status);
        Assert.Equal(HttpStatusCode.Unauthorized, (await api.FailAsync(HttpMethod.Post, "/api/session/sign-in", new { username = "Bob_x", password = "short" })).Status);
    }

    [Fact]
    public async Task Names_that_read_alike_are_one_name_and_guests_cannot_take_a_registered_one()
    {
        await using var server = await StartAsync();
        using var api = new Api(server.BaseUrl);
        await api.RegisterAsync("Alice");
        // Case, full-width forms, a Cyrillic А and look-alike digits: all the same name.
        foreach (var lookAlike in new[] { "ALICE", "Ａｌｉｃｅ", "аӏісе", "A1ice", "AIice" })
        {
            var taken = await api.FailAsync(HttpMethod.Post, "/api/accounts", new { username = lookAlike, password = Password });
            Assert.True(taken is (HttpStatusCode.Conflict, "name_taken", _), $"{lookAlike}: {taken}");
        }
        var guest = await api.FailAsync(HttpMethod.Post, "/api/session", new { displayName = "alice" });
        Assert.Equal((HttpStatusCode.Conflict, "name_taken"), (guest.Status, guest.Error));
        var other = await api.OkAsync(HttpMethod.Post, "/api/session", new { displayName = "Alicia" });
        Assert.Equal("guest", other.Kind);
        Assert.Null(other.Username);
    }

    [Fact]
    public async Task Stored_password_hashes_are_the_librarys_format_and_never_the_password()
    {
        const string secret = "a quite unique passphrase 4711";
        var data = Probe.NewTempDirectory("accounts-hash");
        await using (var server = await StartAsync(data: data))
        {
            using var api = new Api(server.BaseUrl);
            await api.RegisterAsync("Hasher", secret);
            await api.SignInAsync("Hasher", secret);
        }
        var bytes = Directory.EnumerateFiles(data, "openchat.db*").SelectMany(File.ReadAllBytes).ToArray();
        Assert.DoesNotContain(secret, Encoding.UTF8.GetString(bytes));
        var hashes = new List<string>();
        await using (var db = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={Path.Combine(data, "openchat.db")};Mode=ReadOnly;Pooling=False"))
        {
            await db.OpenAsync();
            await using var query = db.CreateCommand();
            query.CommandText = "SELECT message FROM journal WHERE persistence_id = 'accounts'";
            await using var rows = await query.ExecuteReaderAsync();
            while (await rows.ReadAsync())
            {
                var payload = Encoding.UTF8.GetString((byte[])rows[0]);
                Assert.DoesNotContain(secret, payload);
                if (JsonDocument.Parse(payload).RootElement.TryGetProperty("PasswordHash", out var hash)) hashes.Add(hash.GetString()!);
            }
        }
        Assert.NotEmpty(hashes);
        var hasher = new PasswordHasher<object>();
        foreach (var hash in hashes)
        {
            // ASP.NET Core Identity's version 3 format: a marker byte 0x01, then PBKDF2 parameters, salt and subkey.
            Assert.Equal(0x01, Convert.FromBase64String(hash)[0]);
            Assert.Equal(PasswordVerificationResult.Success, hasher.VerifyHashedPassword(new object(), hash, secret));
        }
    }

    [Fact]
    public async Task Password_guessing_against_one_account_is_slowed_as_configured_from_any_address()
    {
        await using var server = await StartAsync(new() { ["OpenChat:Auth:SignInFailuresPerAccount"] = "3", ["OpenChat:Auth:SignInFailureWindow"] = "00:01:00" });
        using var owner = new Api(server.BaseUrl);
        await owner.RegisterAsync("Target");
        for (var i = 0; i < 3; i++)
        {
            using var guesser = new Api(server.BaseUrl);
            Assert.Equal(HttpStatusCode.Unauthorized, (await guesser.FailAsync(HttpMethod.Post, "/api/session/sign-in", new { username = "Target", password = $"guess number {i}" })).Status);
        }
        using var another = new Api(server.BaseUrl);
        var throttled = await another.FailAsync(HttpMethod.Post, "/api/session/sign-in", new { username = "target", password = Password });
        Assert.Equal((HttpStatusCode.TooManyRequests, "throttled"), (throttled.Status, throttled.Error));
        // Three failures per minute: the next try is about 20 s away.
        Assert.True(throttled.RetryAfter is { TotalSeconds: >= 1 and <= 60 }, $"Retry-After {throttled.RetryAfter}");
        // Another account is not affected.
        await owner.RegisterAsync("Bystander");
        await another.SignInAsync("Bystander");
    }

    [Fact]
    public async Task Password_guessing_from_one_address_is_slowed_as_configured_while_other_addresses_are_served()
    {
        await using var server = await StartAsync(new() { ["OpenChat:Auth:SignInFailuresPerAddress"] = "4", ["OpenChat:Auth:SignInFailureWindow"] = "00:01:00" });
        using var setup = new Api(server.BaseUrl);
        for (var i = 0; i < 5; i++) await setup.RegisterAsync($"member{i}x");
        using var guesser = new Api(server.BaseUrl);
        for (var i = 0; i < 4; i++)
            Assert.Equal(HttpStatusCode.Unauthorized, (await guesser.FailAsync(HttpMethod.Post, "/api/session/sign-in", new { username = $"member{i}x", password = "wrong password" })).Status);
        var throttled = await guesser.FailAsync(HttpMethod.Post, "/api/session/sign-in", new { username = "member4x", password = Password });
        Assert.Equal((HttpStatusCode.TooManyRequests, "throttled"), (throttled.Status, throttled.Error));
        Assert.NotNull(throttled.RetryAfter);
        using var someoneElse = new Api(server.BaseUrl);
        await someoneElse.SignInAsync("member4x");
        await someoneElse.SignInAsync("member0x");
    }

    [Fact]
    public async Task Signing_out_ends_this_session_and_its_connection_only()
    {
        await using var server = await StartAsync();
        using var api = new Api(server.BaseUrl);
        var first = await api.RegisterAsync("Leaver");
        var second = await api.SignInAsync("Leaver");
        var firstHub = await ConnectAsync(server, first);
        var secondHub = await ConnectAsync(server, second);
        var closed = ClosedAsync(firstHub);

        using (var response = await api.SendAsync(HttpMethod.Post, "/api/session/sign-out", token: first.Token))
            Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        await closed.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.False(await api.AcceptsAsync(first.Token));
        // A renewal of the ended session is refused too.
        Assert.Equal(HttpStatusCode.Unauthorized, (await api.FailAsync(HttpMethod.Post, "/api/session/renew", token: first.Token)).Status);
        Assert.True(await api.AcceptsAsync(second.Token));
        Assert.Equal(HubConnectionState.Connected, secondHub.State);
        await secondHub.DisposeAsync();
    }

    [Fact]
    public async Task Signing_out_everywhere_closes_the_users_other_connections_within_2_s_and_this_client_goes_on()
    {
        await using var server = await StartAsync();
        using var api = new Api(server.BaseUrl);
        var here = await api.RegisterAsync("Everywhere");
        var elsewhere = await api.SignInAsync("Everywhere");
        var elsewhereHub = await ConnectAsync(server, elsewhere);
        var closed = ClosedAsync(elsewhereHub);

        var watch = Stopwatch.StartNew();
        var fresh = await api.OkAsync(HttpMethod.Post, "/api/session/sign-out-everywhere", token: here.Token);
        await closed.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(2), $"the other connection closed after {watch.Elapsed.TotalMilliseconds:0} ms");
        Assert.False(await api.AcceptsAsync(elsewhere.Token));
        Assert.False(await api.AcceptsAsync(here.Token));
        Assert.True(await api.AcceptsAsync(fresh.Token));
        Assert.Equal(here.UserId, fresh.UserId);
        // The ended token cannot open the hub again.
        await Assert.ThrowsAnyAsync<Exception>(() => ConnectAsync(server, elsewhere));
        var freshHub = await ConnectAsync(server, fresh);
        Assert.Equal(HubConnectionState.Connected, freshHub.State);
        await freshHub.DisposeAsync();
    }

    [Fact]
    public async Task A_token_that_expires_closes_its_hub_connection_and_is_refused_afterwards()
    {
        await using var server = await StartAsync(new() { ["OpenChat:Auth:TokenLifetime"] = "00:00:06" });
        using var api = new Api(server.BaseUrl);
        var session = await api.RegisterAsync("Shortlived");
        var hub = await ConnectAsync(server, session);
        var closed = ClosedAsync(hub);
        await closed.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.True(DateTimeOffset.UtcNow >= session.ExpiresAt.AddSeconds(-1), $"closed before the token expired at {session.ExpiresAt:O}");
        Assert.False(await api.AcceptsAsync(session.Token));
        await Assert.ThrowsAnyAsync<Exception>(() => ConnectAsync(server, session));
    }

    [Fact]
    public async Task Keys_rotate_without_signing_anyone_out()
    {
        var data = Probe.NewTempDirectory("accounts-keys");
        var keyA = Convert.ToBase64String(Enumerable.Range(0, 32).Select(i => (byte)i).ToArray());
        var keyB = Convert.ToBase64String(Enumerable.Range(100, 32).Select(i => (byte)i).ToArray());
        Dictionary<string, string?> Ring(params (string Id, string Key)[] keys) =>
            keys.Select((k, i) => new[] { ($"OpenChat:Auth:SigningKeys:{i}:Id", k.Id), ($"OpenChat:Auth:SigningKeys:{i}:Key", k.Key) })
                .SelectMany(x => x).ToDictionary(x => x.Item1, x => (string?)x.Item2);

        SessionDto before;
        await using (var server = await StartAsync(Ring(("2026-a", keyA)), data: data))
        {
            using var api = new Api(server.BaseUrl);
            before = await api.RegisterAsync("Rotator");
            Assert.Equal("2026-a", KeyIdOf(before.Token));
        }
        SessionDto renewed;
        await using (var server = await StartAsync(Ring(("2026-b", keyB), ("2026-a", keyA)), data: data))
        {
            using var api = new Api(server.BaseUrl);
            Assert.True(await api.AcceptsAsync(before.Token));
            renewed = await api.OkAsync(HttpMethod.Post, "/api/session/renew", token: before.Token);
            Assert.Equal("2026-b", KeyIdOf(renewed.Token));
            Assert.Equal(before.UserId, renewed.UserId);
        }
        await using (var server = await StartAsync(Ring(("2026-b", keyB)), data: data))
        {
            using var api = new Api(server.BaseUrl);
            Assert.True(await api.AcceptsAsync(renewed.Token));
            Assert.False(await api.AcceptsAsync(before.Token));
        }
    }

    private static string? KeyIdOf(string token) =>
        JsonDocument.Parse(System.Buffers.Text.Base64Url.DecodeFromChars(token.Split('.')[1])).RootElement.GetProperty("Kid").GetString();

    [Fact]
    public async Task The_setup_code_printed_at_first_start_makes_one_account_the_owner()
    {
        var logs = new LogCapture();
        await using var server = await StartAsync(logs: logs);
        using var api = new Api(server.BaseUrl);
        var info = await api.SendAsync(HttpMethod.Get, "/api/info");
        Assert.True((await info.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("auth").GetProperty("setupRequired").GetBoolean());

        string? code = null;
        await Probe.UntilAsync(() => Task.FromResult((code = logs.Entries.Select(e => SetupCodePattern().Match(e.Message)).FirstOrDefault(m => m.Success)?.Groups[1].Value) is not null),
            TimeSpan.FromSeconds(10), "the setup code in the log");
        var first = await api.RegisterAsync("Founder");
        var guest = await api.OkAsync(HttpMethod.Post, "/api/session", new { displayName = "Guest Claimer" });
        Assert.Equal(HttpStatusCode.Forbidden, (await api.FailAsync(HttpMethod.Post, "/api/setup", new { code }, guest.Token)).Status);
        Assert.Equal(HttpStatusCode.Forbidden, (await api.FailAsync(HttpMethod.Post, "/api/setup", new { code = "AAAA-BBBB-CCCC-DDDD" }, first.Token)).Status);
        // Typed in lower case and without dashes, it still counts.
        var owner = await api.OkAsync(HttpMethod.Post, "/api/setup", new { code = code!.Replace("-", "").ToLowerInvariant() }, first.Token);
        Assert.True(owner.Owner);

        var second = await api.RegisterAsync("Latecomer");
        Assert.Equal(HttpStatusCode.Forbidden, (await api.FailAsync(HttpMethod.Post, "/api/setup", new { code }, second.Token)).Status);
        info = await api.SendAsync(HttpMethod.Get, "/api/info");
        Assert.False((await info.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("auth").GetProperty("setupRequired").GetBoolean());
        Assert.True((await api.SignInAsync("Founder")).Owner);
        Assert.False((await api.SignInAsync("Latecomer")).Owner);
    }

    [Fact]
    public async Task Deleting_the_owner_s_account_prints_a_new_setup_code_at_once()
    {
        var logs = new LogCapture();
        await using var server = await StartAsync(logs: logs);
        using var api = new Api(server.BaseUrl);
        async Task<bool> SetupRequiredAsync()
        {
            using var info = await api.SendAsync(HttpMethod.Get, "/api/info");
            return (await info.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("auth").GetProperty("setupRequired").GetBoolean();
        }
        string[] Codes() => logs.Entries.Select(e => SetupCodePattern().Match(e.Message)).Where(m => m.Success).Select(m => m.Groups[1].Value).ToArray();

        await Probe.UntilAsync(() => Task.FromResult(Codes().Length == 1), TimeSpan.FromSeconds(10), "the setup code in the log");
        var first = Codes()[0];
        var founder = await api.RegisterAsync("Founder");
        var owner = await api.OkAsync(HttpMethod.Post, "/api/setup", new { code = first }, founder.Token);
        await Probe.UntilAsync(async () => !await SetupRequiredAsync(), TimeSpan.FromSeconds(10), "setupRequired false once there is an owner");

        using (var deleted = await api.SendAsync(HttpMethod.Delete, "/api/account", new { password = Password }, owner.Token))
            Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        // No restart: the singleton makes and logs a new code as it stores the deletion.
        await Probe.UntilAsync(() => Task.FromResult(Codes().Length == 2), TimeSpan.FromSeconds(10), "a second setup code in the log");
        var second = Codes()[1];
        Assert.NotEqual(first, second);
        await Probe.UntilAsync(SetupRequiredAsync, TimeSpan.FromSeconds(10), "setupRequired true without an owner");

        var heir = await api.RegisterAsync("Heir");
        Assert.Equal(HttpStatusCode.Forbidden, (await api.FailAsync(HttpMethod.Post, "/api/setup", new { code = first }, heir.Token)).Status);
        Assert.True((await api.OkAsync(HttpMethod.Post, "/api/setup", new { code = second }, heir.Token)).Owner);
        await Probe.UntilAsync(async () => !await SetupRequiredAsync(), TimeSpan.FromSeconds(10), "setupRequired false with the new owner");
        Assert.Equal(2, Codes().Length);
    }

    [GeneratedRegex("Setup code: ([A-Z0-9-]{19})")]
    private static partial Regex SetupCodePattern();

    [Fact]
    public async Task A_configured_setup_code_claims_the_server_and_the_owner_issues_reset_links()
    {
        await using var server = await StartAsync(new() { ["OpenChat:Auth:SetupCode"] = "automated-install-code-42" });
        using var api = new Api(server.BaseUrl);
        var owner = await api.RegisterAsync("Operator");
        await api.OkAsync(HttpMethod.Post, "/api/setup", new { code = "automated-install-code-42" }, owner.Token);
        var member = await api.RegisterAsync("Forgetful");
        var memberHub = await ConnectAsync(server, member);
        var closed = ClosedAsync(memberHub);

        // Only the owner (or the admin key) issues a reset link.
        Assert.Equal(HttpStatusCode.Forbidden, (await api.FailAsync(HttpMethod.Post, $"/api/accounts/{owner.UserId}/reset-link", token: member.Token)).Status);
        using var response = await api.SendAsync(HttpMethod.Post, $"/api/accounts/{member.UserId}/reset-link", token: (await api.SignInAsync("Operator")).Token);
        var link = await response.Content.ReadFromJsonAsync<JsonElement>();
        var code = link.GetProperty("code").GetString()!;
        Assert.Equal("/#reset=" + code, link.GetProperty("url").GetString());

        var reset = await api.OkAsync(HttpMethod.Post, "/api/account/reset", new { code, newPassword = "a brand new password" });
        Assert.Equal(member.UserId, reset.UserId);
        await closed.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.False(await api.AcceptsAsync(member.Token));
        Assert.Equal(HttpStatusCode.Forbidden, (await api.FailAsync(HttpMethod.Post, "/api/account/reset", new { code, newPassword = "yet another password" })).Status);
        Assert.Equal(HttpStatusCode.Unauthorized, (await api.FailAsync(HttpMethod.Post, "/api/session/sign-in", new { username = "Forgetful", password = Password })).Status);
        var memberAgain = await api.SignInAsync("Forgetful", "a brand new password");

        // The owner may name the account by its username instead (as people know it; case and look-alikes fold).
        var ownerToken = (await api.SignInAsync("Operator")).Token;
        Assert.Equal(HttpStatusCode.Forbidden, (await api.FailAsync(HttpMethod.Post, "/api/accounts/reset-link", new { username = "Forgetful" }, memberAgain.Token)).Status);
        Assert.Equal(HttpStatusCode.Forbidden, (await api.FailAsync(HttpMethod.Post, "/api/accounts/reset-link", new { username = "nobody-here" }, ownerToken)).Status);
        Assert.Equal(HttpStatusCode.BadRequest, (await api.FailAsync(HttpMethod.Post, "/api/accounts/reset-link", new { username = new string('x', 500) }, ownerToken)).Status);
        using (var byName = await api.SendAsync(HttpMethod.Post, "/api/accounts/reset-link", new { username = "FORGETFUL" }, ownerToken))
        {
            var byNameCode = (await byName.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("code").GetString()!;
            Assert.Equal(member.UserId, (await api.OkAsync(HttpMethod.Post, "/api/account/reset", new { code = byNameCode, newPassword = "named and reset" })).UserId);
        }

        // The admin key acts as the owner.
        using var admin = new HttpRequestMessage(HttpMethod.Post, server.BaseUrl + $"/api/admin/accounts/{member.UserId}/reset-link");
        admin.Headers.Authorization = new AuthenticationHeaderValue("Bearer", AdminKey);
        using var http = SourceAddress.HttpClient(SourceAddress.Next());
        using var adminResponse = await http.SendAsync(admin);
        Assert.Equal(HttpStatusCode.OK, adminResponse.StatusCode);
    }

    [Fact]
    public async Task Changing_the_password_ends_the_other_sessions_and_deleting_the_account_frees_the_name()
    {
        await using var server = await StartAsync();
        using var api = new Api(server.BaseUrl);
        var here = await api.RegisterAsync("Changer");
        var other = await api.SignInAsync("Changer");
        long posted;
        await using (var author = await ChatClient.ConnectAsync(server.BaseUrl, here.DisplayName, here, source: SourceAddress.Next()))
            posted = (await author.PostAsync("general", "written before the account was deleted")).Id;
        Assert.Equal(HttpStatusCode.Unauthorized,
            (await api.FailAsync(HttpMethod.Put, "/api/account/password", new { currentPassword = "wrong password", newPassword = "another good one" }, here.Token)).Status);
        var changed = await api.OkAsync(HttpMethod.Put, "/api/account/password", new { currentPassword = Password, newPassword = "another good one" }, here.Token);
        Assert.False(await api.AcceptsAsync(other.Token));
        Assert.True(await api.AcceptsAsync(changed.Token));
        await api.SignInAsync("Changer", "another good one");

        using (var wrong = await api.SendAsync(HttpMethod.Delete, "/api/account", new { password = Password }, changed.Token))
            Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        using (var deleted = await api.SendAsync(HttpMethod.Delete, "/api/account", new { password = "another good one" }, changed.Token))
            Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        Assert.False(await api.AcceptsAsync(changed.Token));
        Assert.Equal(HttpStatusCode.Unauthorized, (await api.FailAsync(HttpMethod.Post, "/api/session/sign-in", new { username = "Changer", password = "another good one" })).Status);
        var again = await api.RegisterAsync("changer");
        Assert.NotEqual(here.UserId, again.UserId);
        // The deleted account's message stays, shown as from a deleted user; the new account of that name is not its author.
        await using var reader = await ChatClient.ConnectAsync(server.BaseUrl, again.DisplayName, again, source: SourceAddress.Next());
        var message = Assert.Single((await reader.HistoryAsync("general")).Messages, m => m.Id == posted);
        Assert.Equal((here.UserId, "Deleted user"), (message.AuthorId, message.AuthorName));
    }

    [Fact]
    public async Task A_guest_claims_an_account_keeping_id_and_history_and_the_guest_token_ends()
    {
        await using var server = await StartAsync();
        using var api = new Api(server.BaseUrl);
        var guest = await api.OkAsync(HttpMethod.Post, "/api/session", new { displayName = "Wanderer" });
        await using var client = await ChatClient.ConnectAsync(server.BaseUrl, guest.DisplayName, guest, source: SourceAddress.Next());
        var posted = await client.PostAsync("general", "posted as a guest");
        var closed = ClosedAsync(client.Connection);

        var account = await api.RegisterAsync("Wanderer", guestToken: guest.Token);
        Assert.Equal(guest.UserId, account.UserId);
        Assert.Equal("account", account.Kind);
        await closed.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.False(await api.AcceptsAsync(guest.Token));
        // A guest token cannot claim twice, and the account's own history is the guest's.
        Assert.Equal(HttpStatusCode.Unauthorized, (await api.FailAsync(HttpMethod.Post, "/api/accounts", new { username = "Wanderer2", password = Password }, guest.Token)).Status);
        await using var reader = await ChatClient.ConnectAsync(server.BaseUrl, account.DisplayName, account, source: SourceAddress.Next());
        var history = await reader.HistoryAsync("general");
        Assert.Contains(history.Messages, m => m.Id == posted.Id && m.AuthorId == account.UserId);
    }

    [Fact]
    public async Task A_kicked_member_s_connections_close_and_a_banned_one_cannot_sign_in_until_unbanned()
    {
        await using var server = await StartAsync(new() { ["OpenChat:Auth:SetupCode"] = "kick-and-ban-setup-code" });
        using var api = new Api(server.BaseUrl);
        var owner = await api.RegisterAsync("Operator");
        await api.OkAsync(HttpMethod.Post, "/api/setup", new { code = "kick-and-ban-setup-code" }, owner.Token);
        owner = await api.SignInAsync("Operator");
        var moderator = await api.RegisterAsync("Warden");
        using (var role = await api.SendAsync(HttpMethod.Post, "/api/server/roles", new { name = "Mods", permissions = new[] { "kickMembers", "banMembers" } }, owner.Token))
        {
            var id = (await role.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString();
            using var given = await api.SendAsync(HttpMethod.Put, $"/api/server/members/{moderator.UserId}/roles/{id}", token: owner.Token);
            Assert.Equal(HttpStatusCode.NoContent, given.StatusCode);
        }
        var member = await api.RegisterAsync("Rowdy");
        // A moderator without manage roles finds the member to act on; a member without any of those permissions cannot.
        using (var search = await api.SendAsync(HttpMethod.Get, "/api/server/members?query=rowd", token: moderator.Token))
        {
            Assert.Equal(HttpStatusCode.OK, search.StatusCode);
            var hit = Assert.Single((await search.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("members").EnumerateArray());
            Assert.Equal((member.UserId, "Rowdy"), (hit.GetProperty("userId").GetString(), hit.GetProperty("name").GetString()));
        }
        Assert.Equal(HttpStatusCode.Forbidden, (await api.FailAsync(HttpMethod.Get, "/api/server/members?query=ward", token: member.Token)).Status);

        // Only with the permission, and never on the owner or someone of the same rank.
        Assert.Equal(HttpStatusCode.Forbidden, (await api.FailAsync(HttpMethod.Post, $"/api/server/members/{moderator.UserId}/kick", new { reason = "no" }, member.Token)).Status);
        Assert.Equal(HttpStatusCode.Forbidden, (await api.FailAsync(HttpMethod.Post, $"/api/server/members/{owner.UserId}/ban", new { reason = "no" }, moderator.Token)).Status);

        // A kick ends every session at once; the member may sign in again.
        var hub = await ConnectAsync(server, member);
        var closed = ClosedAsync(hub);
        using (var kicked = await api.SendAsync(HttpMethod.Post, $"/api/server/members/{member.UserId}/kick", new { reason = "cool off" }, moderator.Token))
            Assert.Equal(HttpStatusCode.NoContent, kicked.StatusCode);
        await closed.WaitAsync(TimeSpan.FromSeconds(2));
        Assert.False(await api.AcceptsAsync(member.Token));
        // The ended session is told why, so the page can say it.
        using (var renewal = await api.SendAsync(HttpMethod.Post, "/api/session/renew", token: member.Token))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, renewal.StatusCode);
            var body = await renewal.Content.ReadFromJsonAsync<JsonElement>();
            Assert.Equal(("session_ended", "A moderator removed you from the server: cool off"),
                (body.GetProperty("error").GetString(), body.GetProperty("message").GetString()));
        }
        member = await api.SignInAsync("Rowdy");

        // A ban ends every session and keeps the account out; only whoever knows the password learns it is banned.
        hub = await ConnectAsync(server, member);
        closed = ClosedAsync(hub);
        using (var banned = await api.SendAsync(HttpMethod.Post, $"/api/server/members/{member.UserId}/ban", new { reason = "spam" }, moderator.Token))
            Assert.Equal(HttpStatusCode.NoContent, banned.StatusCode);
        await closed.WaitAsync(TimeSpan.FromSeconds(2));
        Assert.Equal((HttpStatusCode.Forbidden, "banned"), ((await api.FailAsync(HttpMethod.Post, "/api/session/sign-in", new { username = "Rowdy", password = Password })) is var refused ? (refused.Status, refused.Error) : default));
        Assert.Equal((HttpStatusCode.Unauthorized, "invalid_credentials"),
            ((await api.FailAsync(HttpMethod.Post, "/api/session/sign-in", new { username = "Rowdy", password = "not the password" })) is var wrong ? (wrong.Status, wrong.Error) : default));
        using (var list = await api.SendAsync(HttpMethod.Get, "/api/server/bans", token: moderator.Token))
        {
            var ban = Assert.Single((await list.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("bans").EnumerateArray());
            Assert.Equal((member.UserId, "Rowdy", moderator.UserId, "Warden", "spam"),
                (ban.GetProperty("userId").GetString(), ban.GetProperty("name").GetString(), ban.GetProperty("by").GetString(),
                    ban.GetProperty("byName").GetString(), ban.GetProperty("reason").GetString()));
        }

        using (var unbanned = await api.SendAsync(HttpMethod.Delete, $"/api/server/members/{member.UserId}/ban", token: moderator.Token))
            Assert.Equal(HttpStatusCode.NoContent, unbanned.StatusCode);
        await api.SignInAsync("Rowdy");
        Assert.Equal(HttpStatusCode.NotFound, (await api.FailAsync(HttpMethod.Delete, $"/api/server/members/{member.UserId}/ban", token: moderator.Token)).Status);
    }
}

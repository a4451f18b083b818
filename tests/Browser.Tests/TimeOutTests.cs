using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Playwright;
using OpenChat.TestSupport;
using Xunit;
using Xunit.Abstractions;

namespace OpenChat.Browser.Tests;

/// <summary>
/// A moderator (a role with kick members) times a member out over the HTTP API against the all-in-one server: the
/// member's page says until when and why, the composer is disabled, the server refuses a post and a voice join from the
/// page's own connection, and the member is taken out of voice; once the time-out is lifted the member posts again.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class TimeOutTests(WebApp app, ITestOutputHelper output) : IClassFixture<WebApp>, IAsyncLifetime
{
    private const string Password = "correct horse battery";
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(15) };

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync() => app.EndTestAsync();

    [Fact]
    public async Task A_timed_out_member_sees_why_cannot_post_or_join_voice_and_posts_again_once_lifted()
    {
        var member = await app.RegisterAsync(await app.LaunchAsync(), "chatterbox", Password);
        member.Console += (_, m) => { if (m.Type is "error") output.WriteLine($"member console: {m.Text}"); };
        var memberId = await member.EvaluateAsync<string>("async () => (await window.__openchat.invoke('Me')).id");
        var lounge = await ChannelIdAsync(member, "Lounge");
        await WebApp.JoinVoiceAsync(member, "Lounge");

        // The moderator: an account holding a role with kick members (given with the admin key).
        using var registered = await Http.PostAsJsonAsync(app.BaseUrl + "/api/accounts", new { username = "warden", password = Password });
        Assert.True(registered.IsSuccessStatusCode, await registered.Content.ReadAsStringAsync());
        var moderator = await registered.Content.ReadFromJsonAsync<JsonElement>();
        var role = await SendAsync(HttpMethod.Post, "/api/server/roles", WebApp.AdminKey, new { name = "Wardens", permissions = new[] { "kickMembers" } });
        await SendAsync(HttpMethod.Put, $"/api/server/members/{moderator.GetProperty("userId").GetString()}/roles/{role.GetProperty("id").GetString()}", WebApp.AdminKey, null);
        var token = moderator.GetProperty("token").GetString()!;

        await SendAsync(HttpMethod.Post, $"/api/server/members/{memberId}/timeout", token, new { minutes = 30, reason = "cool down" });

        // The notice, the disabled composer, and out of voice with no way back in.
        var notice = member.Locator(".timeout-notice[role=status]");
        await Assertions.Expect(notice).ToHaveTextAsync(new System.Text.RegularExpressions.Regex("^You are timed out until .+ — cool down$"), new() { Timeout = 15_000 });
        var box = member.GetByRole(AriaRole.Textbox, new() { Name = "Message" });
        await Assertions.Expect(box).ToBeDisabledAsync();
        await Assertions.Expect(box).ToHaveAccessibleDescriptionAsync(await notice.TextContentAsync() ?? "");
        await Assertions.Expect(member.Locator("[data-voice-phase]")).ToHaveAttributeAsync("data-voice-phase", "idle", new() { Timeout = 15_000 });
        await Assertions.Expect(member.GetByRole(AriaRole.Button, new() { Name = "Voice channel Lounge" })).ToHaveCountAsync(0);
        await Assertions.Expect(member.Locator($"[data-channel-id='{lounge}'].no-entry")).ToHaveAttributeAsync("title", await notice.TextContentAsync() ?? "");

        // What the page's own connection asks is refused by the server, with the reason.
        var post = await InvokeAsync(member, "PostMessage", "general", "let me speak", Guid.NewGuid().ToString("N"));
        Assert.StartsWith("forbidden: You are timed out until", post);
        var join = await InvokeAsync(member, "JoinVoice", lounge, "v=0", false, false);
        Assert.StartsWith("forbidden: You are timed out until", join);

        // Lifted: the notice goes, the composer and the voice channel are back, and a post goes through.
        await SendAsync(HttpMethod.Delete, $"/api/server/members/{memberId}/timeout", token, null);
        await Assertions.Expect(notice).ToHaveCountAsync(0, new() { Timeout = 15_000 });
        await Assertions.Expect(box).ToBeEnabledAsync();
        await box.FillAsync("thanks, I will behave");
        await member.Keyboard.PressAsync("Enter");
        await Assertions.Expect(member.Locator("li.message .message-text", new() { HasTextString = "thanks, I will behave" })).ToHaveCountAsync(1);
        await WebApp.JoinVoiceAsync(member, "Lounge");
    }

    /// <summary>Calls a hub method on the page's connection; answers "ok", or the server's refusal ("code: message").</summary>
    private static Task<string> InvokeAsync(IPage page, string method, params object[] args) =>
        page.EvaluateAsync<string>("""
            async ([method, args]) => {
              try { await window.__openchat.invoke(method, ...args); return 'ok'; }
              catch (e) { return String(e.message ?? e).replace(/^.*HubException: /, ''); }
            }
            """, new object[] { method, args });

    private static Task<string> ChannelIdAsync(IPage page, string name) =>
        page.EvaluateAsync<string>("async name => (await window.__openchat.invoke('GetChannels')).find(c => c.name === name).id", name);

    private async Task<JsonElement> SendAsync(HttpMethod method, string path, string token, object? body)
    {
        using var request = new HttpRequestMessage(method, app.BaseUrl + path) { Content = body is null ? null : JsonContent.Create(body) };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var response = await Http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{method} {path}: {(int)response.StatusCode} {text}");
        return response.StatusCode == HttpStatusCode.NoContent || text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone();
    }
}

using System.Diagnostics;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using Microsoft.Playwright;
using OpenChat.TestSupport;
using Xunit;
using Xunit.Abstractions;

namespace OpenChat.Browser.Tests;

/// <summary>
/// Voice moderation from the web client's voice member menu against the all-in-one server: a moderator (a role with
/// muteMembers and moveMembers) server-mutes a talking member, who then cannot unmute, and moves them to another
/// voice channel, where they also server-deafen them.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class VoiceModerationTests(WebApp app, ITestOutputHelper output) : IClassFixture<WebApp>, IAsyncLifetime
{
    private const double MemberTone = 440;
    private const string Password = "correct horse battery";
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(15) };

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync() => app.EndTestAsync();

    [Fact]
    public async Task A_moderator_server_mutes_a_talking_member_from_the_voice_menu_and_moves_them_to_another_channel()
    {
        var clock = Stopwatch.StartNew();
        var owner = await app.ClaimServerAsync("skipper", Password);
        var stageId = await app.CreateChannelAsync("stage", "voice");
        var moderator = await app.RegisterAsync(await app.LaunchAsync(), "bosun", Password);
        var member = await app.RegisterAsync(await app.LaunchAsync(MemberTone), "sailor", Password);
        foreach (var (page, who) in new[] { (owner, "owner"), (moderator, "moderator"), (member, "member") })
            page.Console += (_, m) => { if (m.Type is "error" or "warning") output.WriteLine($"{who} console {m.Type}: {m.Text}"); };

        // A "Mods" role with muteMembers and moveMembers, given to the moderator (the roles UI is tested in RoleTests).
        var role = await ApiAsync<RoleDto>(HttpMethod.Post, "/api/server/roles", new { name = "Mods", permissions = new[] { "muteMembers", "moveMembers" } });
        var moderatorId = await UserIdAsync(moderator);
        await ApiAsync<object>(HttpMethod.Put, $"/api/server/members/{moderatorId}/roles/{role.Id}", null);

        // The member talks in the lounge; the owner listens there.
        await WebApp.JoinVoiceAsync(member, "Lounge");
        await WebApp.JoinVoiceAsync(owner, "Lounge");
        var atOwner = new AudioProbe(owner, MemberTone);
        await atOwner.StartAsync();
        await Probe.UntilAsync(async () => (await atOwner.SamplesAsync()).Count(s => s.Db[0] > -60) > 50, Patience, "the owner to hear the member");

        // The moderator's list offers a menu on the member only: not on the moderator (not in voice) nor on themselves.
        var inLounge = moderator.GetByRole(AriaRole.List, new() { Name = "In Lounge" });
        var menuButton = inLounge.GetByRole(AriaRole.Button, new() { Name = "Moderate sailor" });
        await Assertions.Expect(menuButton).ToBeVisibleAsync(new() { Timeout = 10_000 });
        await menuButton.FocusAsync();
        await moderator.Keyboard.PressAsync("Enter");
        var menu = moderator.GetByRole(AriaRole.Dialog, new() { Name = "Moderate sailor" });
        await menu.GetByLabel("Reason (optional)").FillAsync("shouting");
        await Assertions.Expect(menu.GetByRole(AriaRole.Button, new() { Name = "Move to stage" })).ToBeVisibleAsync();
        // When the dialog goes, which is when the hub call returned, on the moderator page's clock.
        await moderator.EvaluateAsync("""
            () => {
              window.__moderatedAt = null;
              const seen = new MutationObserver(() => {
                if (document.querySelector('[role=dialog]')) return;
                window.__moderatedAt = performance.timeOrigin + performance.now();
                seen.disconnect();
              });
              seen.observe(document.body, { childList: true, subtree: true });
            }
            """);
        var playoutBefore = await AudioProbe.PlayoutAsync(owner);
        await menu.GetByRole(AriaRole.Button, new() { Name = "Server mute" }).ClickAsync();
        await Assertions.Expect(menu).ToHaveCountAsync(0);
        var mutedAt = await moderator.EvaluateAsync<double>("() => window.__moderatedAt");
        var silentAt = await WebClientTests.FirstSustainedAsync(atOwner, mutedAt, s => s.Db[0] < -70);
        // The owner's own jitter buffer delays the silence as it delays the audio; on a busy machine it holds more.
        var buffered = (await AudioProbe.PlayoutAsync(owner)).MeanDelayMsSince(playoutBefore);
        output.WriteLine($"the member was silent at the owner {silentAt - mutedAt:0} ms after ModerateVoice returned; " +
                         $"the owner's jitter buffer held {buffered:0} ms meanwhile");
        Assert.True(silentAt - mutedAt < 500 + buffered,
            $"silence came {silentAt - mutedAt:0} ms after the server mute, {buffered:0} ms of it in the owner's jitter buffer");
        await Assertions.Expect(owner.Locator("li.voice-member", new() { HasTextString = "sailor" }).GetByRole(AriaRole.Img, new() { Name = "Cannot speak here" }))
            .ToBeVisibleAsync();

        // The member's mic button says they cannot speak, and muting then unmuting themselves does not make them heard.
        var mic = member.GetByRole(AriaRole.Button, new() { Name = "Mute", Exact = true });
        await Assertions.Expect(mic).ToHaveAccessibleDescriptionAsync("You cannot speak in this voice channel");
        await mic.ClickAsync();
        await Assertions.Expect(mic).ToHaveAttributeAsync("aria-pressed", "true");
        await mic.ClickAsync();
        await Assertions.Expect(mic).ToHaveAttributeAsync("aria-pressed", "false");
        var unmutedAt = await AudioProbe.NowAsync(member);
        await Probe.UntilAsync(async () => (await atOwner.SamplesAsync(unmutedAt)).Length > 0 && (await atOwner.SamplesAsync(unmutedAt))[^1].T - unmutedAt > 1500,
            Patience, "1.5 s of the owner's level after the member unmuted");
        var loudest = (await atOwner.SamplesAsync(unmutedAt)).Max(s => s.Db[0]);
        output.WriteLine($"loudest tone at the owner in 1.5 s after the member's own unmute: {loudest:0.0} dB");
        Assert.True(loudest < -70, $"the server-muted member was heard at {loudest:0.0} dB after unmuting themselves");

        // The moderator moves the member to the stage; the member's page follows.
        await menuButton.ClickAsync();
        await Assertions.Expect(menu.GetByRole(AriaRole.Button, new() { Name = "Unmute" })).ToBeVisibleAsync();
        await menu.GetByRole(AriaRole.Button, new() { Name = "Move to stage" }).ClickAsync();
        await Assertions.Expect(menu).ToHaveCountAsync(0);
        await Assertions.Expect(member.GetByRole(AriaRole.Button, new() { Name = "Voice channel stage" })).ToHaveAttributeAsync("aria-current", "true",
            new() { Timeout = 15_000 });
        await Assertions.Expect(member.Locator("[data-voice-phase]")).ToHaveAttributeAsync("data-voice-phase", "connected", new() { Timeout = 15_000 });
        await Assertions.Expect(moderator.GetByRole(AriaRole.List, new() { Name = "In stage" }).Locator("li.voice-member", new() { HasTextString = "sailor" }))
            .ToHaveCountAsync(1);
        Assert.Equal(stageId, await member.Locator("[data-voice-phase]").EvaluateAsync<string>("() => window.__openchat.voice.channelId"));

        // Still server-muted there; the moderator also server-deafens them, which both see.
        var inStage = moderator.GetByRole(AriaRole.List, new() { Name = "In stage" });
        await inStage.GetByRole(AriaRole.Button, new() { Name = "Moderate sailor" }).ClickAsync();
        await Assertions.Expect(menu.GetByRole(AriaRole.Button, new() { Name = "Unmute" })).ToBeVisibleAsync();
        await menu.GetByRole(AriaRole.Button, new() { Name = "Server deafen" }).ClickAsync();
        await Assertions.Expect(menu).ToHaveCountAsync(0);
        await Assertions.Expect(inStage.Locator("li.voice-member", new() { HasTextString = "sailor" }).GetByRole(AriaRole.Img, new() { Name = "Server deafened" }))
            .ToBeVisibleAsync();
        await Assertions.Expect(member.GetByRole(AriaRole.Button, new() { Name = "Deafen", Exact = true }))
            .ToHaveAccessibleDescriptionAsync("A moderator deafened you");
        output.WriteLine($"the whole test took {clock.Elapsed.TotalSeconds:0.0} s");
    }

    private sealed record RoleDto(string Id, string Name, int Position);

    private static Task<string> UserIdAsync(IPage page) =>
        page.EvaluateAsync<string>("async () => (await window.__openchat.invoke('Me')).id");

    /// <summary>Calls the permissions API with the admin key (the owner's powers).</summary>
    private async Task<T> ApiAsync<T>(HttpMethod method, string path, object? body)
    {
        using var request = new HttpRequestMessage(method, app.BaseUrl + path) { Content = body is null ? null : JsonContent.Create(body) };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", WebApp.AdminKey);
        using var response = await Http.SendAsync(request);
        if (!response.IsSuccessStatusCode)
            throw new HttpRequestException($"{method} {path}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        return typeof(T) == typeof(object) ? default! : (await response.Content.ReadFromJsonAsync<T>())!;
    }
}

using System.Diagnostics;
using Microsoft.Playwright;
using OpenChat.TestSupport;
using Xunit;
using Xunit.Abstractions;

namespace OpenChat.Browser.Tests;

/// <summary>
/// Roles and permissions in the web client against the all-in-one server: the owner makes a role and a private voice
/// channel in the settings, gives a member the role, and takes away the role's voice with an override.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class RoleTests(WebApp app, ITestOutputHelper output) : IClassFixture<WebApp>, IAsyncLifetime
{
    private const double MemberTone = 440;
    private const string Password = "correct horse battery";
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync() => app.EndTestAsync();

    [Fact]
    public async Task A_private_voice_channel_appears_live_for_a_member_given_its_role_and_an_override_denying_speak_silences_them()
    {
        var clock = Stopwatch.StartNew();
        var owner = await app.ClaimServerAsync("captain", Password);
        owner.Console += (_, m) => { if (m.Type is "error" or "warning") output.WriteLine($"owner console {m.Type}: {m.Text}"); };
        var member = await app.RegisterAsync(await app.LaunchAsync(MemberTone), "deckhand", Password);
        member.Console += (_, m) => { if (m.Type is "error" or "warning") output.WriteLine($"member console {m.Type}: {m.Text}"); };

        // The owner creates the role and the voice channel in the server settings.
        await owner.GetByRole(AriaRole.Button, new() { Name = "Server settings" }).ClickAsync();
        var settings = owner.GetByRole(AriaRole.Dialog, new() { Name = "Server settings" });
        await settings.GetByRole(AriaRole.Tab, new() { Name = "Roles" }).ClickAsync();
        await settings.GetByLabel("Role name").FillAsync("Crew");
        await settings.GetByRole(AriaRole.Button, new() { Name = "Create role" }).ClickAsync();
        await Assertions.Expect(settings.GetByRole(AriaRole.List, new() { Name = "Roles" }).Locator(".role-name", new() { HasTextString = "Crew" }))
            .ToHaveCountAsync(1);
        await settings.GetByRole(AriaRole.Tab, new() { Name = "Channels" }).ClickAsync();
        await settings.GetByLabel("Channel name").FillAsync("crew-room");
        await settings.GetByRole(AriaRole.Radio, new() { Name = "Voice" }).CheckAsync();
        await settings.GetByRole(AriaRole.Button, new() { Name = "Create channel" }).ClickAsync();
        var ownersRoom = owner.GetByRole(AriaRole.Button, new() { Name = "Voice channel crew-room" });
        await Assertions.Expect(ownersRoom).ToBeVisibleAsync();
        var channelId = await ownersRoom.GetAttributeAsync("data-channel-id")
            ?? throw new Xunit.Sdk.XunitException("the channel button has no data-channel-id");
        await owner.Keyboard.PressAsync("Escape");
        await Assertions.Expect(settings).ToHaveCountAsync(0);

        // Private, for Crew only.
        await owner.GetByRole(AriaRole.Button, new() { Name = "Settings for crew-room" }).ClickAsync();
        var channelSettings = owner.GetByRole(AriaRole.Dialog, new() { Name = "Channel settings" });
        var privateSwitch = channelSettings.GetByRole(AriaRole.Switch, new() { Name = "Private channel" });
        await privateSwitch.ClickAsync();
        await Assertions.Expect(privateSwitch).ToBeCheckedAsync();
        var crewCanSee = channelSettings.GetByRole(AriaRole.Group, new() { Name = "Roles that can see it" }).GetByRole(AriaRole.Checkbox, new() { Name = "Crew" });
        await crewCanSee.ClickAsync();
        await Assertions.Expect(crewCanSee).ToBeCheckedAsync();
        await channelSettings.GetByRole(AriaRole.Button, new() { Name = "Close" }).ClickAsync();

        // The member does not see it, and the server answers a join as if it did not exist.
        var membersRoom = member.GetByRole(AriaRole.Button, new() { Name = "Voice channel crew-room" });
        await Assertions.Expect(member.Locator($"[data-channel-id='{channelId}']")).ToHaveCountAsync(0);
        await Assertions.Expect(member.GetByRole(AriaRole.Button, new() { Name = "Text channel general" })).ToBeVisibleAsync();
        var refusal = await member.EvaluateAsync<string>("""
            async id => {
              const pc = new RTCPeerConnection();
              pc.addTransceiver('audio', { direction: 'sendrecv' });
              const offer = await pc.createOffer();
              pc.close();
              try {
                await window.__openchat.invoke('JoinVoice', id, offer.sdp, false, false);
                return 'joined';
              } catch (e) {
                return String(e && e.message || e);
              }
            }
            """, channelId);
        output.WriteLine($"JoinVoice for the hidden channel: {refusal}");
        Assert.Contains("unknown_channel", refusal);

        // The owner gives the member Crew; the channel appears in the member's list without a reload.
        await owner.GetByRole(AriaRole.Button, new() { Name = "Server settings" }).ClickAsync();
        await settings.GetByRole(AriaRole.Tab, new() { Name = "Members" }).ClickAsync();
        await settings.GetByLabel("Find a member").FillAsync("deckhand");
        await settings.GetByRole(AriaRole.Button, new() { Name = "Search" }).ClickAsync();
        var crewRole = settings.GetByRole(AriaRole.Group, new() { Name = "Roles of deckhand" }).GetByRole(AriaRole.Checkbox, new() { Name = "Crew" });
        var assigned = Stopwatch.StartNew();
        await crewRole.ClickAsync();
        await Assertions.Expect(crewRole).ToBeCheckedAsync();
        await Assertions.Expect(membersRoom).ToBeVisibleAsync(new() { Timeout = 10_000 });
        output.WriteLine($"the channel appeared in the member's list {assigned.ElapsedMilliseconds} ms after the owner's click");
        await settings.GetByRole(AriaRole.Button, new() { Name = "Close" }).ClickAsync();

        // The member talks (a 440 Hz tone) and the owner hears it.
        await WebApp.JoinVoiceAsync(member, "crew-room");
        await WebApp.JoinVoiceAsync(owner, "crew-room");
        var atOwner = new AudioProbe(owner, MemberTone);
        await atOwner.StartAsync();
        await Probe.UntilAsync(async () => (await atOwner.SamplesAsync()).Count(s => s.Db[0] > -60) > 50, Patience, "the owner to hear the member");

        // Deny speak to Crew here: the member falls silent for the owner.
        await owner.GetByRole(AriaRole.Button, new() { Name = "Settings for crew-room" }).ClickAsync();
        await channelSettings.GetByLabel("Override for", new() { Exact = true }).SelectOptionAsync(new SelectOptionValue { Label = "Crew" });
        var overrideForm = channelSettings.GetByRole(AriaRole.Form, new() { Name = "Override for Crew" });
        await overrideForm.GetByRole(AriaRole.Radiogroup, new() { Name = "Speak in voice" }).GetByRole(AriaRole.Radio, new() { Name = "Deny" }).CheckAsync();
        var playoutBefore = await AudioProbe.PlayoutAsync(owner);
        var saved = await owner.RunAndWaitForResponseAsync(
            () => overrideForm.GetByRole(AriaRole.Button, new() { Name = "Save override" }).ClickAsync(),
            r => r.Request.Method == "PUT" && r.Url.Contains("/overrides/role/", StringComparison.Ordinal));
        Assert.Equal(200, saved.Status);
        // When the PUT's answer arrived, on the page's clock (the probe's clock too).
        var deniedAt = await owner.EvaluateAsync<double>("""
            () => {
              const puts = performance.getEntriesByType('resource').filter(e => e.initiatorType === 'fetch' && e.name.includes('/overrides/role/'));
              return performance.timeOrigin + puts[puts.length - 1].responseEnd;
            }
            """);
        var silentAt = await WebClientTests.FirstSustainedAsync(atOwner, deniedAt, s => s.Db[0] < -70);
        // The owner's own jitter buffer delays the silence as it delays the audio; on a busy machine it holds more.
        var buffered = (await AudioProbe.PlayoutAsync(owner)).MeanDelayMsSince(playoutBefore);
        output.WriteLine($"the member was silent at the owner {silentAt - deniedAt:0} ms after the override's PUT returned; the owner's jitter buffer held {buffered:0} ms meanwhile");
        Assert.True(silentAt - deniedAt < 500 + buffered, $"silence came {silentAt - deniedAt:0} ms after the override was saved, {buffered:0} ms of it in the owner's jitter buffer");

        // Both see that the member cannot speak there.
        await Assertions.Expect(owner.Locator("li.voice-member", new() { HasTextString = "deckhand" }).GetByRole(AriaRole.Img, new() { Name = "Cannot speak here" }))
            .ToBeVisibleAsync();
        await Assertions.Expect(member.GetByRole(AriaRole.Button, new() { Name = "Mute", Exact = true }))
            .ToHaveAccessibleDescriptionAsync("You cannot speak in this voice channel");
        output.WriteLine($"the whole test took {clock.Elapsed.TotalSeconds:0.0} s");
    }
}

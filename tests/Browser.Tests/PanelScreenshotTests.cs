using System.Net.Http.Headers;
using System.Net.Http.Json;
using Microsoft.Playwright;
using OpenChat.TestSupport;
using Xunit;
using Xunit.Abstractions;

namespace OpenChat.Browser.Tests;

/// <summary>
/// Screenshots of the admin panel's Channels, Members and Bans pages at desktop and phone width, each taken once the
/// page shows its content, on a server of their own. With <c>OPENCHAT_SCREENSHOTS_DIR=docs/screenshots</c> they
/// replace the ones the README shows.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class PanelScreenshotTests(WebApp app, ITestOutputHelper output) : IClassFixture<WebApp>, IAsyncLifetime
{
    private const string Password = "analytical engine";

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync() => app.EndTestAsync();

    [Fact]
    public async Task Screenshots_of_the_admin_panel_pages_at_desktop_and_phone_width()
    {
        var target = app.ScreenshotDirectory();

        // A server with channels in categories, a few members and a ban.
        using var http = new HttpClient();
        foreach (var (name, kind, category) in new[] { ("announcements", "text", ""), ("raids", "text", "Games"), ("Raid voice", "voice", "Games"), ("builds", "text", "Work") })
        {
            var id = await app.CreateChannelAsync(name, kind);
            if (category.Length == 0) continue;
            using var patch = new HttpRequestMessage(HttpMethod.Patch, $"{app.BaseUrl}/api/admin/channels/{Uri.EscapeDataString(id)}")
            {
                Content = JsonContent.Create(new { category }),
            };
            patch.Headers.Authorization = new AuthenticationHeaderValue("Bearer", WebApp.AdminKey);
            using var patched = await http.SendAsync(patch);
            Assert.True(patched.IsSuccessStatusCode, await patched.Content.ReadAsStringAsync());
        }
        foreach (var username in new[] { "grace", "linus", "margaret" })
        {
            using var registered = await http.PostAsJsonAsync(app.BaseUrl + "/api/accounts", new { username, password = Password });
            Assert.True(registered.IsSuccessStatusCode, await registered.Content.ReadAsStringAsync());
        }
        var owner = await app.ClaimServerAsync("ada", Password);
        await owner.SetViewportSizeAsync(1280, 800);
        await owner.GetByRole(AriaRole.Button, new() { Name = "Server settings" }).ClickAsync();
        var settings = owner.GetByRole(AriaRole.Dialog, new() { Name = "Server settings" });

        // The owner bans linus from the Members page, with a reason.
        await settings.GetByRole(AriaRole.Tab, new() { Name = "Members" }).ClickAsync();
        var members = settings.GetByRole(AriaRole.List, new() { Name = "Members found" });
        await members.GetByRole(AriaRole.Listitem, new() { Name = "linus" }).GetByRole(AriaRole.Button, new() { Name = "Ban…" }).ClickAsync();
        var ban = owner.GetByRole(AriaRole.Dialog, new() { Name = "Ban linus" });
        await ban.GetByLabel("Reason (optional)").FillAsync("Spam in #announcements");
        await ban.GetByRole(AriaRole.Button, new() { Name = "Ban", Exact = true }).ClickAsync();
        await Assertions.Expect(ban).ToHaveCountAsync(0);
        await Assertions.Expect(settings.GetByRole(AriaRole.Status).Filter(new() { HasText = "linus was banned." })).ToBeVisibleAsync();
        // Focus went back to the button that opened the dialog.
        await Assertions.Expect(members.GetByRole(AriaRole.Listitem, new() { Name = "linus" }).GetByRole(AriaRole.Button, new() { Name = "Ban…" })).ToBeFocusedAsync();

        foreach (var (size, width, height) in new[] { ("desktop", 1280, 800), ("phone", 390, 844) })
        {
            if (size == "phone")
            {
                // On a phone the settings open from the channel drawer.
                await owner.Keyboard.PressAsync("Escape");
                await Assertions.Expect(settings).ToHaveCountAsync(0);
                await owner.SetViewportSizeAsync(width, height);
                await owner.GetByRole(AriaRole.Button, new() { Name = "Open channel list" }).ClickAsync();
                await owner.GetByRole(AriaRole.Button, new() { Name = "Server settings" }).ClickAsync();
            }

            await settings.GetByRole(AriaRole.Tab, new() { Name = "Channels" }).ClickAsync();
            await Assertions.Expect(settings.GetByRole(AriaRole.List, new() { Name = "Channels in Games" }).Locator(".channel-order-name"))
                .ToHaveTextAsync(["raids", "Raid voice"]);
            await Assertions.Expect(settings.GetByRole(AriaRole.List, new() { Name = "Channels in Work" }).Locator(".channel-order-name")).ToHaveTextAsync(["builds"]);
            // The list, rather than the form above it.
            await settings.GetByRole(AriaRole.List, new() { Name = "Channels in Games" }).ScrollIntoViewIfNeededAsync();
            await Shot(owner, target, $"panel-channels-{size}.png");

            await settings.GetByRole(AriaRole.Tab, new() { Name = "Members" }).ClickAsync();
            await Assertions.Expect(members.GetByRole(AriaRole.Listitem, new() { Name = "grace" })).ToBeVisibleAsync();
            await Assertions.Expect(members.GetByRole(AriaRole.Listitem, new() { Name = "margaret" })).ToBeVisibleAsync();
            await Shot(owner, target, $"panel-members-{size}.png");

            await settings.GetByRole(AriaRole.Tab, new() { Name = "Bans" }).ClickAsync();
            var bans = settings.GetByRole(AriaRole.List, new() { Name = "Bans" });
            await Assertions.Expect(bans.GetByRole(AriaRole.Listitem)).ToHaveCountAsync(1);
            await Assertions.Expect(bans).ToContainTextAsync("linus banned by ada");
            await Assertions.Expect(bans).ToContainTextAsync("Reason: Spam in #announcements");
            await Shot(owner, target, $"panel-bans-{size}.png");
        }
        // At phone width the tab row scrolls instead of overflowing the dialog.
        var overflow = await settings.GetByRole(AriaRole.Tablist).EvaluateAsync<int[]>("el => [el.scrollWidth, el.clientWidth, el.getBoundingClientRect().right]");
        output.WriteLine($"tab row at phone width: scrollWidth {overflow[0]}, clientWidth {overflow[1]}, right edge {overflow[2]}");
        Assert.True(overflow[2] <= 390, "the tab row reaches past the screen");
    }

    private async Task Shot(IPage page, string directory, string file)
    {
        var path = Path.Combine(directory, file);
        await page.WaitForFunctionAsync("() => document.getAnimations().every(a => a.playState !== 'running')");
        var bytes = await page.ScreenshotAsync(new() { Path = path });
        output.WriteLine($"screenshot {path}: {bytes.Length} bytes");
        Assert.True(bytes.Length > 5_000, $"{file} is almost empty");
    }
}

using System.Net.Http.Json;
using Microsoft.Playwright;
using OpenChat.TestSupport;
using Xunit;
using Xunit.Abstractions;

namespace OpenChat.Browser.Tests;

/// <summary>
/// Screenshots of the main screens at desktop and phone width, on a server of their own so nothing from other
/// tests shows. With <c>OPENCHAT_SCREENSHOTS_DIR=docs/screenshots</c> they replace the ones the README shows.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class ScreenshotTests(WebApp app, ITestOutputHelper output) : IClassFixture<WebApp>, IAsyncLifetime
{
    private const string Password = "analytical engine";

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync() => app.EndTestAsync();

    [Fact]
    public async Task Screenshots_of_the_main_screens_at_desktop_and_phone_width()
    {
        var target = app.ScreenshotDirectory();
        await app.CreateChannelAsync("Design Review", "voice");
        await using (var writer = await ChatClient.ConnectAsync(app.BaseUrl, "Grace"))
        {
            await writer.OpenChannelAsync("general");
            await writer.PostAsync("general", "Morning! The new build is up on https://example.org/builds/42");
            await writer.PostAsync("general", "Mixer p99 is down to 1.2 ms on the test box.");
        }
        // The screens show a signed-in account, as most people will use it.
        using (var http = new HttpClient())
        using (var registered = await http.PostAsJsonAsync(app.BaseUrl + "/api/accounts", new { username = "ada", password = Password }))
            Assert.True(registered.IsSuccessStatusCode, await registered.Content.ReadAsStringAsync());

        foreach (var (name, width, height) in new[] { ("desktop", 1280, 800), ("phone", 390, 844) })
        {
            var browser = await app.LaunchAsync();
            var context = await browser.NewContextAsync(new() { ViewportSize = new() { Width = width, Height = height } });
            var page = await context.NewPageAsync();
            await page.GotoAsync(app.BaseUrl + "/");
            await page.GetByLabel("Username", new() { Exact = true }).FillAsync("ada");
            await page.GetByLabel("Password", new() { Exact = true }).FillAsync(Password);
            await Shot(page, target, $"sign-in-{name}.png");
            await page.GetByRole(AriaRole.Button, new() { Name = "Sign in", Exact = true }).ClickAsync();
            await WebClientDriver.ExpectChatAsync(page);
            if (name == "phone")
            {
                await page.GetByRole(AriaRole.Button, new() { Name = "Open channel list" }).ClickAsync();
            }
            await page.GetByRole(AriaRole.Button, new() { Name = "Text channel general" }).ClickAsync();
            await Assertions.Expect(page.GetByRole(AriaRole.Log, new() { Name = "Messages" }).GetByRole(AriaRole.Listitem).First).ToBeVisibleAsync();
            await Shot(page, target, $"text-{name}.png");
            if (name == "phone") await page.GetByRole(AriaRole.Button, new() { Name = "Open channel list" }).ClickAsync();
            await WebApp.JoinVoiceAsync(page, "Design Review");
            if (name == "phone") await page.GetByRole(AriaRole.Button, new() { Name = "Open voice panel (Design Review)" }).ClickAsync();
            await Shot(page, target, $"voice-{name}.png");
            await context.CloseAsync();
        }
    }

    private async Task Shot(IPage page, string directory, string file)
    {
        var path = Path.Combine(directory, file);
        // Drawers slide in and out: wait until nothing moves.
        await page.WaitForFunctionAsync("() => document.getAnimations().every(a => a.playState !== 'running')");
        var bytes = await page.ScreenshotAsync(new() { Path = path });
        output.WriteLine($"screenshot {path}: {bytes.Length} bytes");
        Assert.True(bytes.Length > 5_000, $"{file} is almost empty");
    }
}

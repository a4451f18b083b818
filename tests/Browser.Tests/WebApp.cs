using Microsoft.Playwright;
using OpenChat.TestSupport;
using Xunit;

namespace OpenChat.Browser.Tests;

/// <summary>
/// The all-in-one server as a real process serving the web client, and a Playwright driver for Debian's
/// Chromium. Shared by the tests of one class.
/// </summary>
public sealed class WebApp : IAsyncLifetime
{
    public const string AdminKey = "browser-admin-key-0123456789";

    private ServerProcess _server = null!;
    private readonly List<IBrowser> _browsers = new();

    public IPlaywright Playwright { get; private set; } = null!;
    public string BaseUrl => _server.BaseUrl;
    public string WorkDirectory { get; } = Probe.NewTempDirectory("browser");

    public async Task InitializeAsync()
    {
        _server = ServerProcess.Start("all-in-one", new Dictionary<string, string>
        {
            ["OpenChat__DataDirectory"] = Path.Combine(WorkDirectory, "data"),
            ["OpenChat__Cluster__Port"] = "0",
            ["OpenChat__Auth__AdminKey"] = AdminKey,
            // The history test fills a channel quickly through several users.
            ["OpenChat__Gateway__PostsPerWindow"] = "200",
            ["OpenChat__Gateway__CallsPerSecond"] = "200",
        });
        await _server.WaitReadyAsync(TimeSpan.FromSeconds(90));
        Playwright = await Microsoft.Playwright.Playwright.CreateAsync();
    }

    public async Task DisposeAsync()
    {
        await CloseBrowsersAsync();
        Playwright.Dispose();
        await _server.DisposeAsync();
    }

    public string ServerOutput => _server.Output;

    /// <summary>Closes every browser launched so far.</summary>
    public async Task CloseBrowsersAsync()
    {
        foreach (var browser in _browsers) await browser.DisposeAsync();
        _browsers.Clear();
    }

    /// <summary>A browser of its own (its fake microphone plays a tone at <paramref name="toneHz"/>, or Chromium's beep).</summary>
    public async Task<IBrowser> LaunchAsync(double? toneHz = null)
    {
        string? wav = null;
        if (toneHz is { } hz)
        {
            wav = Path.Combine(WorkDirectory, $"tone-{hz:0}.wav");
            if (!File.Exists(wav)) ToneWav.Write(wav, hz, seconds: 4, amplitude: 0.4);
        }
        var browser = await Chromium.LaunchAsync(Playwright, wav);
        _browsers.Add(browser);
        return browser;
    }

    /// <summary>Opens the client in a new page of <paramref name="browser"/> and joins as <paramref name="name"/>.</summary>
    public async Task<IPage> SignInAsync(IBrowser browser, string name, int width = 1280, int height = 800)
    {
        var context = await browser.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = width, Height = height } });
        var page = await context.NewPageAsync();
        await page.GotoAsync(BaseUrl + "/");
        await page.GetByLabel("Display name").FillAsync(name);
        await page.GetByRole(AriaRole.Button, new() { Name = "Join" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Textbox, new() { Name = "Message" })).ToBeVisibleAsync(new() { Timeout = 20_000 });
        return page;
    }

    /// <summary>Clicks a voice channel and waits until the client's voice session is connected.</summary>
    public static async Task<IPage> JoinVoiceAsync(IPage page, string channelName)
    {
        await page.GetByRole(AriaRole.Button, new() { Name = $"Voice channel {channelName}" }).ClickAsync();
        await Assertions.Expect(page.Locator("[data-voice-phase]")).ToHaveAttributeAsync("data-voice-phase", "connected",
            new() { Timeout = 30_000 });
        return page;
    }

    /// <summary>Creates a channel through the admin API, once the server lists it; returns its id.</summary>
    public async Task<string> CreateChannelAsync(string name, string kind) =>
        (await AdminApi.CreateChannelAsync(BaseUrl, AdminKey, name, kind)).Id;
}

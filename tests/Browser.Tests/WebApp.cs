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
    public const string AdminKey = "browser-admin-key-0123456789abcdefghij";

    private ServerProcess _server = null!;
    private WebClientDriver _driver = null!;

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
            ["OpenChat__Gateway__UserPostsPerWindow"] = "200",
            ["OpenChat__Channels__PostsPerUserWindow"] = "200",
            ["OpenChat__Gateway__CallsPerSecond"] = "200",
            // Every page signs in from 127.0.0.1; a class's tests open more sessions in a minute than one person would.
            ["OpenChat__Auth__SessionsPerMinute"] = "1000",
            // The voice tests read the media engine's counters.
            ["OpenChat__Management__Port"] = Probe.FreeTcpPort().ToString(System.Globalization.CultureInfo.InvariantCulture),
        });
        await _server.WaitReadyAsync(TimeSpan.FromSeconds(90));
        Playwright = await Microsoft.Playwright.Playwright.CreateAsync();
        _driver = new WebClientDriver(Playwright, _server.BaseUrl, WorkDirectory);
    }

    public async Task DisposeAsync()
    {
        await CloseBrowsersAsync();
        Playwright.Dispose();
        await _server.DisposeAsync();
    }

    public string ServerOutput => _server.Output;

    /// <summary>A sample from the server's <c>/metrics</c> (on its management port), or null when it has none.</summary>
    public async Task<double?> MetricAsync(string name, params (string Label, string Value)[] labels)
    {
        using var http = new HttpClient();
        return PrometheusText.Value(await http.GetStringAsync(_server.ManagementUrl + "/metrics"), name, labels);
    }

    /// <summary>
    /// Where screenshot tests write: <c>OPENCHAT_SCREENSHOTS_DIR</c> (e.g. <c>docs/screenshots</c>, to replace the ones the
    /// README shows), else a folder of this server's own; made if missing.
    /// </summary>
    public string ScreenshotDirectory()
    {
        var target = Environment.GetEnvironmentVariable("OPENCHAT_SCREENSHOTS_DIR") is { Length: > 0 } dir
            ? dir
            : Path.Combine(WorkDirectory, "screenshots");
        Directory.CreateDirectory(target);
        return target;
    }

    /// <summary>The one-time setup code the server last wrote to its log while it had no owner.</summary>
    public string SetupCode => System.Text.RegularExpressions.Regex.Matches(ServerOutput, @"Setup code: (\S+)") is { Count: > 0 } m
        ? m[^1].Groups[1].Value
        : throw new Xunit.Sdk.XunitException($"no setup code in the server's log:\n{ServerOutput}");

    /// <summary>Closes every browser launched so far.</summary>
    public Task CloseBrowsersAsync() => _driver.CloseBrowsersAsync();

    /// <summary>
    /// Closes the test's browsers and fails the test if the client's content security policy refused anything
    /// the client did (an inline script, a foreign connection).
    /// </summary>
    public async Task EndTestAsync()
    {
        var refused = _driver.TakeCspViolations();
        await CloseBrowsersAsync();
        Assert.Empty(refused);
    }

    /// <inheritdoc cref="WebClientDriver.LaunchAsync"/>
    public Task<IBrowser> LaunchAsync(double? toneHz = null, string? loopbackAlias = null) => _driver.LaunchAsync(toneHz, loopbackAlias);

    /// <inheritdoc cref="WebClientDriver.SignInAsync"/>
    public Task<IPage> SignInAsync(IBrowser browser, string name, int width = 1280, int height = 800, string? origin = null,
        bool audioProbes = false) =>
        _driver.SignInAsync(browser, name, width, height, origin, audioProbes);

    /// <inheritdoc cref="WebClientDriver.OpenAsync"/>
    public Task<IPage> OpenAsync(IBrowser browser, string who, bool audioProbes = false) => _driver.OpenAsync(browser, who, audioProbes: audioProbes);

    /// <inheritdoc cref="WebClientDriver.RegisterAsync"/>
    public Task<IPage> RegisterAsync(IBrowser browser, string username, string password) => _driver.RegisterAsync(browser, username, password);

    /// <inheritdoc cref="WebClientDriver.SignInWithPasswordAsync"/>
    public Task<IPage> SignInWithPasswordAsync(IBrowser browser, string username, string password) =>
        _driver.SignInWithPasswordAsync(browser, username, password);

    /// <inheritdoc cref="WebClientDriver.JoinVoiceAsync"/>
    public static Task<IPage> JoinVoiceAsync(IPage page, string channelName) => WebClientDriver.JoinVoiceAsync(page, channelName);

    /// <summary>Becomes the owner through the sign-in screen's setup with the code from the server's log (audio probes on).</summary>
    public async Task<IPage> ClaimServerAsync(string username, string password)
    {
        var page = await OpenAsync(await LaunchAsync(), "owner", audioProbes: true);
        await page.GetByRole(AriaRole.Button, new() { Name = "Set up this server" }).ClickAsync();
        await page.GetByLabel("Setup code").FillAsync(SetupCode);
        await WebClientDriver.FillNewAccountAsync(page, username, password);
        await page.GetByRole(AriaRole.Button, new() { Name = "Set up this server" }).ClickAsync();
        await WebClientDriver.ExpectChatAsync(page);
        return page;
    }

    /// <summary>Creates a channel through the admin API, once the server lists it; returns its id.</summary>
    public async Task<string> CreateChannelAsync(string name, string kind) =>
        (await AdminApi.CreateChannelAsync(BaseUrl, AdminKey, name, kind)).Id;
}

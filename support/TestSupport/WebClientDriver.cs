using Microsoft.Playwright;

namespace OpenChat.TestSupport;

/// <summary>
/// Drives the web client of a running server in Debian's Chromium: browsers with fake microphones, joining as a
/// guest, registering and signing in with a password, joining voice. Each launched browser is closed by <see cref="CloseBrowsersAsync"/>.
/// </summary>
/// <remarks>
/// <paramref name="pageFetcher"/>: the client fetching the pages an audio probe amends, when Playwright's own fetch
/// cannot reach or trust the server (a server in another network namespace with a self-signed certificate).
/// </remarks>
public sealed class WebClientDriver(IPlaywright playwright, string baseUrl, string workDirectory, HttpClient? pageFetcher = null)
{
    private readonly List<IBrowser> _browsers = new();
    private readonly List<string> _cspViolations = new();

    public string BaseUrl => baseUrl;

    /// <summary>A browser of its own (its fake microphone plays a tone at <paramref name="toneHz"/>, or Chromium's beep).</summary>
    /// <remarks><paramref name="loopbackAlias"/>: see <see cref="Chromium.LaunchAsync"/>.</remarks>
    /// <remarks><paramref name="networkNamespace"/>: the browser runs there and treats the server's address as secure (see <see cref="Chromium.LaunchAsync"/>).</remarks>
    /// <remarks><paramref name="serverCertificateSpki"/>, <paramref name="plainHttpIsSecure"/>: see <see cref="Chromium.LaunchAsync"/>.</remarks>
    /// <remarks><paramref name="alsoReachable"/>: addresses besides the server's that the browser connects to (a TURN server).</remarks>
    public async Task<IBrowser> LaunchAsync(double? toneHz = null, string? loopbackAlias = null, string? networkNamespace = null,
        string? serverCertificateSpki = null, bool plainHttpIsSecure = true, IEnumerable<string>? alsoReachable = null)
    {
        string? wav = null;
        if (toneHz is { } hz)
        {
            wav = Path.Combine(workDirectory, $"tone-{hz:0}.wav");
            if (!File.Exists(wav)) ToneWav.Write(wav, hz, seconds: 4, amplitude: 0.4);
        }
        var browser = await Chromium.LaunchAsync(playwright, wav, loopbackAlias, networkNamespace, networkNamespace is null ? null : new Uri(baseUrl),
            serverCertificateSpki, plainHttpIsSecure, alsoReachable);
        _browsers.Add(browser);
        return browser;
    }

    /// <summary>Closes every browser launched so far.</summary>
    public async Task CloseBrowsersAsync()
    {
        foreach (var browser in _browsers) await browser.DisposeAsync();
        _browsers.Clear();
    }

    /// <summary>What the pages' content security policy refused so far (Chromium's console reports), and forgets them.</summary>
    public IReadOnlyList<string> TakeCspViolations()
    {
        lock (_cspViolations)
        {
            var taken = _cspViolations.ToArray();
            _cspViolations.Clear();
            return taken;
        }
    }

    /// <summary>
    /// Opens the client in a new page of <paramref name="browser"/> and joins as the guest <paramref name="name"/>;
    /// <paramref name="origin"/> is the server's address (another name for it, say), the server's own when null.
    /// <paramref name="audioProbes"/>: the page will run an <see cref="AudioProbe"/>, so its policy admits blob: scripts.
    /// </summary>
    public async Task<IPage> SignInAsync(IBrowser browser, string name, int width = 1280, int height = 800, string? origin = null,
        bool audioProbes = false)
    {
        var page = await OpenAsync(browser, name, width, height, origin, audioProbes);
        await page.GetByLabel("Display name").FillAsync(name);
        await page.GetByRole(AriaRole.Button, new() { Name = "Join" }).ClickAsync();
        await ExpectChatAsync(page);
        return page;
    }

    /// <summary>
    /// Opens the client's sign-in screen in a new page of <paramref name="browser"/>; <paramref name="who"/> names the
    /// page in policy reports. The rest as for <see cref="SignInAsync"/>.
    /// </summary>
    public async Task<IPage> OpenAsync(IBrowser browser, string who, int width = 1280, int height = 800, string? origin = null,
        bool audioProbes = false)
    {
        if (audioProbes && origin is not null) throw new ArgumentException("audio probes run only on pages of the server's own origin", nameof(audioProbes));
        var context = await browser.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = width, Height = height } });
        var page = await context.NewPageAsync();
        // The audio probes' worklets load from blob: URLs; the page's content security policy admits only its own
        // scripts, so for a page that will run a probe (and only for script-src) the served policy also admits blob:.
        // Every other page, and every other directive, runs under the policy exactly as the server serves it, and
        // refusals are collected for the tests to check. (A page opened through another origin gets no probes: a
        // document Playwright answered would count as public to Chromium, which then refuses the page's loopback
        // subresources when it is not a secure context.)
        if (audioProbes)
        {
            await page.RouteAsync(url => new Uri(url).AbsolutePath == "/", async route =>
            {
                var response = pageFetcher is null ? await route.FetchAsync() : null;
                var headers = response is not null ? new Dictionary<string, string>(response.Headers) : null;
                byte[]? body = null;
                var status = 200;
                if (response is null)
                {
                    using var fetched = await pageFetcher!.GetAsync(route.Request.Url);
                    status = (int)fetched.StatusCode;
                    body = await fetched.Content.ReadAsByteArrayAsync();
                    headers = fetched.Headers.Concat(fetched.Content.Headers)
                        .ToDictionary(h => h.Key.ToLowerInvariant(), h => string.Join(", ", h.Value));
                    headers.Remove("content-length");
                }
                if (headers!.TryGetValue("content-security-policy", out var policy))
                    headers["content-security-policy"] = policy.Replace("script-src 'self'", "script-src 'self' blob:", StringComparison.Ordinal);
                await route.FulfillAsync(response is not null
                    ? new RouteFulfillOptions { Response = response, Headers = headers }
                    : new RouteFulfillOptions { Status = status, Headers = headers, BodyBytes = body });
            });
        }
        page.Console += (_, message) =>
        {
            if (message.Text.Contains("Content Security Policy", StringComparison.Ordinal))
                lock (_cspViolations) _cspViolations.Add($"{who}: {message.Text}");
        };
        await page.GotoAsync((origin ?? baseUrl) + "/");
        return page;
    }

    /// <summary>Opens the client and creates the account <paramref name="username"/>; returns the signed-in page.</summary>
    public async Task<IPage> RegisterAsync(IBrowser browser, string username, string password)
    {
        var page = await OpenAsync(browser, username);
        await page.GetByRole(AriaRole.Button, new() { Name = "Create an account" }).ClickAsync();
        await FillNewAccountAsync(page, username, password);
        await page.GetByRole(AriaRole.Button, new() { Name = "Create account", Exact = true }).ClickAsync();
        await ExpectChatAsync(page);
        return page;
    }

    /// <summary>Fills the Username, Password and Repeat password fields of a new account's form.</summary>
    public static async Task FillNewAccountAsync(IPage page, string username, string password)
    {
        await page.GetByLabel("Username", new() { Exact = true }).FillAsync(username);
        await page.GetByLabel("Password", new() { Exact = true }).FillAsync(password);
        await page.GetByLabel("Repeat password", new() { Exact = true }).FillAsync(password);
    }

    /// <summary>Signs in with a username and password on a page showing the sign-in screen (no wait for the answer).</summary>
    public static async Task SubmitSignInAsync(IPage page, string username, string password)
    {
        await page.GetByLabel("Username", new() { Exact = true }).FillAsync(username);
        await page.GetByLabel("Password", new() { Exact = true }).FillAsync(password);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in", Exact = true }).ClickAsync();
    }

    /// <summary>Opens the client and signs in with a username and password; returns the signed-in page.</summary>
    public async Task<IPage> SignInWithPasswordAsync(IBrowser browser, string username, string password)
    {
        var page = await OpenAsync(browser, username);
        await SubmitSignInAsync(page, username, password);
        await ExpectChatAsync(page);
        return page;
    }

    /// <summary>Waits until the page shows the chat (the message box).</summary>
    public static Task ExpectChatAsync(IPage page) =>
        Assertions.Expect(page.GetByRole(AriaRole.Textbox, new() { Name = "Message" })).ToBeVisibleAsync(new() { Timeout = 20_000 });

    /// <summary>Clicks a voice channel and waits until the client's voice session is connected.</summary>
    public static async Task<IPage> JoinVoiceAsync(IPage page, string channelName)
    {
        await page.GetByRole(AriaRole.Button, new() { Name = $"Voice channel {channelName}" }).ClickAsync();
        await Assertions.Expect(page.Locator("[data-voice-phase]")).ToHaveAttributeAsync("data-voice-phase", "connected",
            new() { Timeout = 30_000 });
        return page;
    }
}

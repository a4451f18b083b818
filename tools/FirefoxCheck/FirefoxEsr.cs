using System.Diagnostics;
using System.Text.RegularExpressions;
using OpenChat.TestSupport.PodNetwork;

namespace OpenChat.FirefoxCheck;

/// <summary>
/// Debian's Firefox ESR, headless, in a network namespace, with a fresh profile: every background network feature
/// off, a fake microphone (Firefox's own 1 kHz tone) without a permission prompt, and the server's self-signed
/// certificate trusted in the profile's NSS database (and nothing else added). Driven over WebDriver BiDi.
/// </summary>
internal sealed partial class FirefoxEsr : IAsyncDisposable
{
    public const string ExecutablePath = "/usr/bin/firefox-esr";
    private const int BidiPort = 9222;

    /// <summary>
    /// user.js: background services pointed at nothing or off (the namespace has no route out anyway, and the tool
    /// counts every packet to anywhere but the server and loopback), fake media, autoplay allowed. WebRTC's own prefs
    /// stay at their defaults.
    /// </summary>
    private static readonly (string Name, object Value)[] Prefs =
    [
        ("media.navigator.streams.fake", true),
        ("media.navigator.permission.disabled", true),
        ("media.autoplay.default", 0),
        ("media.autoplay.block-webaudio", false),
        // No sound device here: without cubeb's mock context an AudioContext's resume() never settles, and the web
        // client waits for it before it makes its peer connection (it stays at "Connecting voice…").
        ("media.cubeb.force_mock_context", true),
        ("browser.shell.checkDefaultBrowser", false),
        ("browser.startup.page", 0),
        ("browser.startup.homepage", "about:blank"),
        ("browser.newtabpage.enabled", false),
        ("browser.newtabpage.activity-stream.feeds.system.topstories", false),
        ("browser.newtabpage.activity-stream.feeds.topsites", false),
        ("browser.newtabpage.activity-stream.telemetry", false),
        ("browser.aboutwelcome.enabled", false),
        ("trailhead.firstrun.didSeeAboutWelcome", true),
        ("toolkit.telemetry.enabled", false),
        ("toolkit.telemetry.unified", false),
        ("toolkit.telemetry.archive.enabled", false),
        ("toolkit.telemetry.server", ""),
        ("toolkit.telemetry.shutdownPingSender.enabled", false),
        ("toolkit.telemetry.firstShutdownPing.enabled", false),
        ("toolkit.telemetry.newProfilePing.enabled", false),
        ("toolkit.telemetry.updatePing.enabled", false),
        ("toolkit.telemetry.bhrPing.enabled", false),
        ("toolkit.coverage.opt-out", true),
        ("datareporting.healthreport.uploadEnabled", false),
        ("datareporting.policy.dataSubmissionEnabled", false),
        ("datareporting.usage.uploadEnabled", false),
        ("browser.ping-centre.telemetry", false),
        ("browser.crashReports.unsubmittedCheck.enabled", false),
        ("app.update.auto", false),
        ("app.update.staging.enabled", false),
        ("app.update.checkInstallTime", false),
        ("extensions.update.enabled", false),
        ("extensions.update.autoUpdateDefault", false),
        ("extensions.getAddons.cache.enabled", false),
        ("extensions.blocklist.enabled", false),
        ("extensions.systemAddon.update.enabled", false),
        ("extensions.systemAddon.update.url", ""),
        ("app.normandy.enabled", false),
        ("app.normandy.api_url", ""),
        ("app.shield.optoutstudies.enabled", false),
        ("messaging-system.rsexperimentloader.enabled", false),
        ("nimbus.rollouts.enabled", false),
        ("browser.discovery.enabled", false),
        ("services.settings.server", "http://127.0.0.1:9/"),
        ("security.remote_settings.crlite_filters.enabled", false),
        ("security.remote_settings.intermediates.enabled", false),
        ("security.OCSP.enabled", 0),
        ("browser.safebrowsing.malware.enabled", false),
        ("browser.safebrowsing.phishing.enabled", false),
        ("browser.safebrowsing.downloads.enabled", false),
        ("browser.safebrowsing.downloads.remote.enabled", false),
        ("browser.safebrowsing.blockedURIs.enabled", false),
        ("browser.safebrowsing.provider.google4.updateURL", ""),
        ("browser.safebrowsing.provider.google.updateURL", ""),
        ("browser.safebrowsing.provider.mozilla.updateURL", ""),
        ("network.captive-portal-service.enabled", false),
        ("network.connectivity-service.enabled", false),
        ("network.trr.mode", 5),
        ("network.dns.disablePrefetch", true),
        ("network.prefetch-next", false),
        ("network.predictor.enabled", false),
        ("network.http.speculative-parallel-limit", 0),
        ("network.proxy.type", 0),
        ("dom.push.enabled", false),
        ("dom.push.connection.enabled", false),
        ("dom.push.serverURL", ""),
        ("browser.search.update", false),
        ("browser.search.suggest.enabled", false),
        ("browser.urlbar.suggest.searches", false),
        ("browser.region.network.url", ""),
        ("browser.region.update.enabled", false),
        ("geo.enabled", false),
        ("geo.provider.network.url", ""),
        ("media.gmp-manager.url", ""),
        ("media.gmp-gmpopenh264.enabled", false),
        ("media.gmp-gmpopenh264.autoupdate", false),
        ("media.gmp-widevinecdm.enabled", false),
        ("media.eme.enabled", false),
        ("browser.contentblocking.report.lockwise.enabled", false),
        ("signon.management.page.breach-alerts.enabled", false),
        ("identity.fxaccounts.enabled", false),
        ("services.sync.engine.addons", false),
        ("browser.translations.enable", false),
        ("browser.ml.enable", false),
        ("extensions.pocket.enabled", false),
    ];

    private readonly Process _process;
    private readonly TaskCompletionSource _listening = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly List<string> _output = new();

    public Bidi? Bidi { get; private set; }

    private FirefoxEsr(Process process) => _process = process;

    /// <summary>Firefox's version line (<c>Mozilla Firefox 153.8.0esr</c>).</summary>
    public static async Task<string> VersionAsync()
    {
        return (await Shell.RunAsync(ExecutablePath, ["--version"])).Trim();
    }

    /// <summary>
    /// Makes a profile in <paramref name="directory"/> trusting <paramref name="certificates"/> (PEM, each as an authority
    /// for TLS servers, <c>certutil -t C,,</c>: the server's self-signed one, a TURN server's CA), starts Firefox in <paramref name="host"/>'s namespace and connects over BiDi.
    /// <paramref name="logModules"/>: MOZ_LOG modules (such as <c>nicer:5</c>), logged to <c>moz.log</c> there.
    /// </summary>
    /// <remarks><paramref name="morePrefs"/>: further <c>user.js</c> lines' name and JavaScript value, after (and over) the tool's own.</remarks>
    public static async Task<FirefoxEsr> StartAsync(NetHost host, string directory, IReadOnlyList<string> certificates, string? logModules,
        IEnumerable<(string Name, string Value)> morePrefs)
    {
        var profile = Path.Combine(directory, "profile");
        Directory.CreateDirectory(profile);
        await File.WriteAllLinesAsync(Path.Combine(profile, "user.js"), Prefs.Select(p => (p.Name, Js(p.Value))).Concat(morePrefs)
            .Select(p => $"user_pref(\"{p.Name}\", {p.Item2});"));
        await Shell.RunAsync("certutil", ["-N", "-d", "sql:" + profile, "--empty-password"]);
        for (var i = 0; i < certificates.Count; i++)
        {
            var certificate = Path.Combine(directory, $"trusted-{i}.pem");
            await File.WriteAllTextAsync(certificate, certificates[i]);
            await Shell.RunAsync("certutil", ["-A", "-d", "sql:" + profile, "-n", $"openchat-check-{i}", "-t", "C,,", "-i", certificate]);
        }

        var info = host.Command(ExecutablePath, ["-headless", "-no-remote", "-profile", profile, "--remote-debugging-port", BidiPort.ToString(), "about:blank"]);
        info.RedirectStandardOutput = true;
        info.RedirectStandardError = true;
        info.Environment["HOME"] = directory;
        info.Environment["XDG_CONFIG_HOME"] = Path.Combine(directory, "config");
        info.Environment["XDG_CACHE_HOME"] = Path.Combine(directory, "cache");
        info.Environment.Remove("DISPLAY");
        info.Environment.Remove("WAYLAND_DISPLAY");
        if (logModules is not null)
        {
            info.Environment["MOZ_LOG"] = logModules + ",timestamp";
            info.Environment["MOZ_LOG_FILE"] = Path.Combine(directory, "moz.log");
        }
        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        var firefox = new FirefoxEsr(process);
        process.OutputDataReceived += (_, e) => firefox.OnLine(e.Data);
        process.ErrorDataReceived += (_, e) => firefox.OnLine(e.Data);
        process.Exited += (_, _) => firefox._listening.TrySetException(new InvalidOperationException($"Firefox exited with {process.ExitCode}:\n{firefox.Output}"));
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            await firefox._listening.Task.WaitAsync(TimeSpan.FromSeconds(60));
            firefox.Bidi = await Bidi.ConnectAsync(host.Namespace, BidiPort);
        }
        catch
        {
            await firefox.DisposeAsync();
            throw;
        }
        return firefox;
    }

    public string Output
    {
        get
        {
            lock (_output) return string.Join('\n', _output);
        }
    }

    private void OnLine(string? line)
    {
        if (line is null) return;
        lock (_output)
        {
            if (_output.Count < 2000) _output.Add(line);
        }
        if (ListeningPattern().IsMatch(line)) _listening.TrySetResult();
    }

    private static string Js(object value) => value switch
    {
        bool b => b ? "true" : "false",
        int i => i.ToString(),
        string s => System.Text.Json.JsonSerializer.Serialize(s),
        _ => throw new ArgumentException("unexpected pref value", nameof(value)),
    };

    /// <summary>Closes the browser (over BiDi, then by killing the process tree if it is still there).</summary>
    public async ValueTask DisposeAsync()
    {
        if (Bidi is not null)
        {
            if (!_process.HasExited) await Bidi.CloseBrowserAsync();
            await Bidi.DisposeAsync();
            Bidi = null;
        }
        try
        {
            await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
        }
        catch (TimeoutException)
        {
        }
        catch (InvalidOperationException)
        {
            // Never started.
        }
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync();
            }
        }
        catch (InvalidOperationException)
        {
        }
        _process.Dispose();
    }

    [GeneratedRegex(@"WebDriver BiDi listening on ws://")]
    private static partial Regex ListeningPattern();
}

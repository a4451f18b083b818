using Microsoft.Playwright;

namespace OpenChat.TestSupport;

/// <summary>Debian's Chromium, headless, driven by Playwright, with every flag that keeps it on loopback and quiet.</summary>
public static class Chromium
{
    public const string ExecutablePath = "/usr/bin/chromium";

    // Playwright 1.64's own --disable-features list; Chromium honours only the last --disable-features, so we
    // drop Playwright's and pass the merged list.
    private const string PlaywrightDisabledFeatures =
        "AvoidUnnecessaryBeforeUnloadCheckSync,DestroyProfileOnBrowserClose,DialMediaRouteProvider,GlobalMediaControls," +
        "HttpsUpgrades,LensOverlay,MediaRouter,PaintHolding,ThirdPartyStoragePartitioning,BlockOriginHeaderModificationOnRedirect," +
        "AvoidCorsURLLoaderRestartOnRedirect,Translate,AutoDeElevate,OptimizationHints,NetworkTimeServiceQuerying,AimEnabled," +
        "msForceBrowserSignIn,msEdgeUpdateLaunchServicesPreferredVersion";

    /// <summary>
    /// Launches a browser whose fake microphone loops <paramref name="fakeAudioWav"/> (or Chromium's own beep when
    /// null). WebRTC may use 127.0.0.1, mDNS candidates and DNS are off, so all traffic stays on loopback.
    /// <paramref name="loopbackAlias"/>, when given, is a host name that resolves to 127.0.0.1: a page loaded
    /// through it over http:// is not a secure context, as for a server reached by its name on a network.
    /// </summary>
    /// <remarks>
    /// <paramref name="networkNamespace"/>: the browser runs inside that network namespace (a client of a simulated
    /// network), and <paramref name="server"/> (its address, <c>http://10.96.0.1</c>) is the one place it reaches by
    /// address and is treated as a secure context, as the microphone needs (unless <paramref name="plainHttpIsSecure"/>
    /// is false: then an http:// server is what it is, not a secure context). An https:// server is a secure context by
    /// itself; <paramref name="serverCertificateSpki"/> (base64 of the SHA-256 of its certificate's public key info) makes
    /// Chromium accept that one self-signed certificate, and no other certificate error. <paramref name="alsoReachable"/>:
    /// further addresses the browser may connect to (a TURN server); the resolver rules map every other name to nothing.
    /// </remarks>
    public static Task<IBrowser> LaunchAsync(IPlaywright playwright, string? fakeAudioWav = null, string? loopbackAlias = null,
        string? networkNamespace = null, Uri? server = null, string? serverCertificateSpki = null, bool plainHttpIsSecure = true,
        IEnumerable<string>? alsoReachable = null)
    {
        var resolverRules = (loopbackAlias is null ? "" : $"MAP {loopbackAlias} 127.0.0.1 , ") + "MAP * ~NOTFOUND , EXCLUDE 127.0.0.1"
            + (server is null ? "" : $" , EXCLUDE {server.Host}")
            // An IPv6 server is matched unbracketed.
            + (server is { HostNameType: UriHostNameType.IPv6 } ? $" , EXCLUDE {server.DnsSafeHost}" : "")
            + string.Concat((alsoReachable ?? []).Select(h => $" , EXCLUDE {h}"));
        if (!File.Exists(ExecutablePath)) throw new InvalidOperationException($"{ExecutablePath} is missing: apt-get install -y chromium");
        var args = new List<string>
        {
            "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
            "--allow-loopback-in-peer-connection",
            "--autoplay-policy=no-user-gesture-required",
            "--host-resolver-rules=" + resolverRules,
            // LocalNetworkAccessChecks: a document an audio probe's route fulfils counts as public to Chromium, which
            // then refuses its WebSocket to the server on loopback or a private address; documents the server serves
            // itself are unaffected, as for every real user.
            "--disable-features=" + PlaywrightDisabledFeatures + ",WebRtcHideLocalIpsWithMdns,LocalNetworkAccessChecks",
        };
        if (fakeAudioWav is not null) args.Add("--use-file-for-fake-audio-capture=" + fakeAudioWav);
        if (server is not null && server.Scheme == Uri.UriSchemeHttp && plainHttpIsSecure)
            args.Add("--unsafely-treat-insecure-origin-as-secure=" + server.GetLeftPart(UriPartial.Authority));
        if (serverCertificateSpki is not null) args.Add("--ignore-certificate-errors-spki-list=" + serverCertificateSpki);
        var executable = ExecutablePath;
        if (networkNamespace is not null)
        {
            // Playwright talks to the browser over pipes, which cross namespaces; the browser's sockets stay inside.
            executable = Path.Combine(Path.GetTempPath(), $"chromium-in-{networkNamespace}.sh");
            File.WriteAllText(executable, $"#!/bin/sh\nexec ip netns exec {networkNamespace} {ExecutablePath} \"$@\"\n");
            if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(executable, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
        // Playwright gives every launch a fresh, temporary profile (--user-data-dir).
        return playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = executable,
            Headless = true,
            IgnoreDefaultArgs = ["--disable-features=" + PlaywrightDisabledFeatures],
            Args = args,
        });
    }

    /// <summary>
    /// Starts Playwright's driver (and so the browsers it launches) inside <paramref name="netns"/>: its own requests,
    /// such as the fetches behind the pages an audio probe amends, then leave from there too. <paramref name="home"/>,
    /// when given, is the HOME the driver and its browsers see: Chromium on Linux trusts the certificate authorities of
    /// the NSS database in <c>$HOME/.pki/nssdb</c>.
    /// </summary>
    public static async Task<IPlaywright> PlaywrightInNamespaceAsync(string netns, string? home = null)
    {
        var node = Path.Combine(AppContext.BaseDirectory, ".playwright", "node", "linux-x64", "node");
        var wrapper = Path.Combine(Path.GetTempPath(), $"playwright-node-in-{netns}.sh");
        var environment = home is null ? "" : $"env HOME='{home}' ";
        await File.WriteAllTextAsync(wrapper, $"#!/bin/sh\nexec {environment}ip netns exec {netns} {node} \"$@\"\n");
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(wrapper, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        const string variable = "PLAYWRIGHT_NODEJS_PATH";
        var previous = Environment.GetEnvironmentVariable(variable);
        Environment.SetEnvironmentVariable(variable, wrapper);
        try
        {
            return await Playwright.CreateAsync();
        }
        finally
        {
            Environment.SetEnvironmentVariable(variable, previous);
        }
    }
}

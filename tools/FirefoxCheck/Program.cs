using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using Microsoft.Playwright;
using OpenChat.FirefoxCheck;
using OpenChat.TestSupport;
using OpenChat.TestSupport.PodNetwork;

const string Usage = """
    FirefoxCheck: what Debian's Firefox ESR does with OpenChat's ICE-TCP candidate (docs/rtc.md, "What the browsers do").

    Usage (as root, after `dotnet build src/Server -c Release` and `apt-get install firefox-esr libnss3-tools chromium`):
      dotnet run --project tools/FirefoxCheck -c Release -- [--runs N] [--udp blocked|open|turn|LIST|both|all] [--turn-by-name] [--pref NAME=VALUE]... [--moz-log MODULES] [--keep DIR]

    It makes a simulated network (namespaces ffcheck-*: a bridge, `server`, `firefox`, `chromium`; no route anywhere
    else), starts the all-in-one server in `server` with its self-signed HTTPS certificate, UDP media on 40000 and the
    passive ICE-TCP candidate on 40001, and a Chromium member (660 Hz tone, UDP open) in `chromium` in the voice
    channel. Then, per run, a fresh headless Firefox ESR in `firefox` (fresh profile: background services off, fake
    microphone = Firefox's 1 kHz tone, cubeb's mock audio context as there is no sound device, the server's certificate
    trusted in the profile's NSS database), driven over
    WebDriver BiDi, signs in and joins voice; with `--udp blocked` every outgoing UDP packet of the `firefox` namespace
    is dropped (nftables, no TURN). It prints Firefox's candidates, candidate pairs and selected pair (getStats and the
    SDP), the path the server reports for each member, the time from the click to the first sample of the Chromium
    member's tone, whether the Chromium member hears Firefox's tone, and every packet the `firefox` namespace sent to
    anything but the server or loopback.

      --runs N          runs per UDP setting (default 1)
      --udp SETTING     blocked, open, both (the default: blocked first), turn, all (blocked, open, turn), or a list
                        such as blocked,turn (runs in that order). With turn,
                        coturn runs in a namespace `turn` with TLS on 443 (a CA made here, trusted in Firefox's profile),
                        the server hands out `turns:ADDRESS:443?transport=tcp` credentials, and the `firefox` namespace
                        lets out only TCP to the server's HTTPS port and to coturn's 443: the relay over TLS is the one
                        path left. (Every run of an invocation that includes turn then also gathers relay candidates.)
      --turn-by-name    the TURN URL names coturn by a host name (from the namespaces' hosts files; the certificate
                        covers it too) instead of its IP address
      --moz-log MODULES Firefox's MOZ_LOG modules (e.g. nicer:5,jsep:4), logged to DIR/firefox-N/moz.log (use with --keep)
      --pref NAME=VALUE a further Firefox pref for user.js, VALUE as JavaScript (true, 0, "text"); repeatable
      --keep DIR        keep Firefox's profile, logs and the server's data under DIR (default: everything is deleted)

    Everything it made (namespaces, /etc/netns entries, processes, temporary files) is removed at the end, also on
    failure or Ctrl+C; a run killed outright leaves namespaces named ffcheck-*, which the next run removes first.
    Exit code 0 when every run connected and both sides heard each other, 1 otherwise, 2 on bad usage.
    """;

var runs = 1;
string[] settings = ["blocked", "open"];
string? mozLog = null, keep = null;
var turnByName = false;
var prefs = new List<(string, string)>();
for (var i = 0; i < args.Length; i++)
{
    string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
    try
    {
        switch (args[i])
        {
            case "--help" or "-h":
                Console.WriteLine(Usage);
                return 0;
            case "--runs":
                runs = int.Parse(Next(), CultureInfo.InvariantCulture);
                if (runs is < 1 or > 20) throw new ArgumentException("--runs is 1 to 20");
                break;
            case "--udp":
                settings = Next() switch
                {
                    "both" => ["blocked", "open"],
                    "all" => ["blocked", "open", "turn"],
                    var list => list.Split(',') is var items && items.All(i => i is "blocked" or "open" or "turn") ? items
                        : throw new ArgumentException($"--udp blocked|open|turn (or a list: blocked,turn)|both|all, not {list}"),
                };
                break;
            case "--turn-by-name":
                turnByName = true;
                break;
            case "--moz-log":
                mozLog = Next();
                break;
            case "--pref":
                var pref = Next().Split('=', 2);
                if (pref.Length != 2 || !System.Text.RegularExpressions.Regex.IsMatch(pref[0], @"^[A-Za-z0-9._-]+$")
                    || !System.Text.RegularExpressions.Regex.IsMatch(pref[1], @"^(true|false|-?\d+|""[^""\\]*"")$"))
                    throw new ArgumentException("--pref NAME=VALUE, VALUE true, false, a number or a \"string\"");
                prefs.Add((pref[0], pref[1]));
                break;
            case "--keep":
                keep = Path.GetFullPath(Next());
                break;
            default:
                throw new ArgumentException($"unknown argument {args[i]}");
        }
    }
    catch (Exception e) when (e is ArgumentException or FormatException)
    {
        Console.Error.WriteLine(e.Message + "\n\n" + Usage);
        return 2;
    }
}

foreach (var tool in new[] { FirefoxEsr.ExecutablePath, "/usr/bin/certutil", Chromium.ExecutablePath, RepoPaths.ServerDll })
{
    if (!File.Exists(tool))
    {
        Console.Error.WriteLine($"{tool} is missing (see --help).");
        return 2;
    }
}

// Ctrl+C and SIGTERM tear down what was made (disposing it fails the check, which then ends).
var cleanup = new Stack<IAsyncDisposable>();
using var stop = new CancellationTokenSource();
using var onInt = PosixSignalRegistration.Create(PosixSignal.SIGINT, c => { c.Cancel = true; stop.Cancel(); });
using var onTerm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => { c.Cancel = true; stop.Cancel(); });
var work = keep ?? Probe.NewTempDirectory("firefox-check");
Directory.CreateDirectory(work);
var check = new Check(work, mozLog, prefs, turnByName, cleanup);
var ok = false;
try
{
    ok = await check.RunAsync(settings, runs).WaitAsync(stop.Token);
}
catch (OperationCanceledException) when (stop.IsCancellationRequested)
{
    Console.Error.WriteLine("stopped; cleaning up");
}
catch (Exception e)
{
    Console.Error.WriteLine("FAILED: " + e);
}
finally
{
    while (cleanup.TryPop(out var item))
    {
        try
        {
            await item.DisposeAsync();
        }
        catch (Exception e)
        {
            Console.Error.WriteLine("cleanup: " + e.Message);
        }
    }
    if (keep is null)
    {
        try
        {
            Directory.Delete(work, recursive: true);
        }
        catch (IOException e)
        {
            Console.Error.WriteLine("cleanup: " + e.Message);
        }
    }
}
return ok ? 0 : 1;

internal sealed partial class Check(string work, string? mozLog, IReadOnlyList<(string, string)> prefs, bool turnByName,
    Stack<IAsyncDisposable> cleanup)
{
    private const int HttpPort = 8080;
    private const int HttpsPort = 8443;
    private const int RtcPort = 40000;
    private const int RtcTcpPort = 40001;
    private const double PeerTone = 660, FirefoxTone = 1000;
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(45);
    private readonly string _adminKey = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));

    public async Task<bool> RunAsync(string[] settings, int runs)
    {
        var clock = Stopwatch.StartNew();
        void Say(string line) => Console.WriteLine($"[{clock.Elapsed.TotalSeconds,6:0.0} s] {line}");
        Say(await FirefoxEsr.VersionAsync() + ", " + (await Shell.RunAsync(Chromium.ExecutablePath, ["--version"])).Trim());

        var network = await SimulatedNetwork.CreateAsync("ffcheck");
        cleanup.Push(network);
        var serverHost = await network.AddHostAsync("server");
        var fox = await network.AddHostAsync("firefox");
        // Whatever still runs in the firefox namespace when the check ends (a Firefox cut short by a failure or a
        // signal) is killed before the namespace goes: every process there is one this check started.
        cleanup.Push(new Disposer(() => KillAllInAsync(fox.Namespace)));
        var peerHost = await network.AddHostAsync("chromium");
        var turn = settings.Contains("turn") ? await network.AddHostAsync("turn") : null;
        Coturn? coturn = null;
        // Every packet the Firefox namespace sends to anything but the server and loopback is counted (the kernel's
        // own IPv6 neighbour discovery apart).
        await NftAsync(fox, "add table inet ffwatch");
        await NftAsync(fox, "add chain inet ffwatch output { type filter hook output priority 0 ; policy accept ; }");
        await NftAsync(fox, "add set inet ffwatch elsewhere { type ipv4_addr . inet_proto ; flags dynamic ; }");
        await NftAsync(fox, $"add rule inet ffwatch output meta nfproto ipv4 ip daddr != {{ {serverHost.Address}, {(turn ?? serverHost).Address}, 127.0.0.0/8 }} counter add @elsewhere {{ ip daddr . meta l4proto }} comment \"ipv4-elsewhere\"");
        await NftAsync(fox, "add rule inet ffwatch output meta nfproto ipv6 ip6 daddr != ::1 meta l4proto != ipv6-icmp counter comment \"ipv6-elsewhere\"");

        var trusted = new List<string>();
        var turnSettings = new Dictionary<string, string>();
        if (turn is not null)
        {
            var secret = Convert.ToHexString(RandomNumberGenerator.GetBytes(24));
            var folder = Directory.CreateDirectory(Path.Combine(work, "turn")).FullName;
            const string turnName = "turn.ffcheck.test";
            if (turnByName) await network.SetHostsAsync(new Dictionary<string, System.Net.IPAddress> { [turnName] = turn.Address });
            var tls = TestCertificates.TlsServerPem(folder, turn.Address, turnName);
            trusted.Add(await File.ReadAllTextAsync(tls.CaCertificate));
            cleanup.Push(coturn = await Coturn.StartAsync(folder,
            [
                .. Coturn.Settings(secret, turn.Address.ToString(), serverHost.Address.ToString(), folder),
                .. Coturn.TlsOn443(tls),
                "verbose",
            ], turn.Namespace));
            turnSettings["OpenChat__Media__TurnServers__0"] = $"turns:{(turnByName ? turnName : turn.Address)}:443?transport=tcp";
            turnSettings["OpenChat__Media__TurnRelayAddresses__0"] = turn.Address.ToString();
            turnSettings["OpenChat__Media__TurnSecret"] = secret;
            Say($"coturn on {turn.Address}: TLS on 443, given as {turnSettings["OpenChat__Media__TurnServers__0"]}");
        }

        var data = Path.Combine(work, "server-data");
        var server = ServerProcess.Start("server", new Dictionary<string, string>(turnSettings)
        {
            ["OpenChat__DataDirectory"] = data,
            ["OpenChat__Cluster__Port"] = "0",
            ["OpenChat__Https__Mode"] = "self-signed",
            ["OpenChat__Media__RtcBindAddress"] = serverHost.Address.ToString(),
            ["OpenChat__Media__RtcPort"] = RtcPort.ToString(CultureInfo.InvariantCulture),
            ["OpenChat__Media__RtcTcpPort"] = RtcTcpPort.ToString(CultureInfo.InvariantCulture),
            ["OpenChat__Auth__AdminKey"] = _adminKey,
        }, networkNamespace: serverHost.Namespace, url: $"http://{serverHost.Address}:{HttpPort}");
        cleanup.Push(server);
        await server.WaitReadyAsync(TimeSpan.FromSeconds(90));
        var origin = $"https://{serverHost.Address}:{HttpsPort}";
        var certificatePem = await File.ReadAllTextAsync(Path.Combine(data, "https-certificate.pem"));
        trusted.Add(certificatePem);
        using var certificate = X509Certificate2.CreateFromPem(certificatePem);
        var spki = Convert.ToBase64String(SHA256.HashData(certificate.PublicKey.ExportSubjectPublicKeyInfo()));
        Say($"server ready at {origin} (media {serverHost.Address} UDP {RtcPort}, TCP {RtcTcpPort} passive)");

        // The other member: Chromium with a 660 Hz microphone, UDP open, as IceTcpTests and HttpsOnLanTests drive it.
        bool Pinned(object _, X509Certificate? presented, X509Chain? __, System.Net.Security.SslPolicyErrors ___) =>
            presented is not null && presented.GetRawCertData().AsSpan().SequenceEqual(certificate.RawData);
        var peerPages = NamespaceHttp.Create(peerHost.Namespace, Pinned);
        cleanup.Push(new Disposer(() => peerPages.Dispose()));
        // Chromium.LaunchAsync leaves its namespace wrapper script in the temporary folder.
        cleanup.Push(new Disposer(() => File.Delete(Path.Combine(Path.GetTempPath(), $"chromium-in-{peerHost.Namespace}.sh"))));
        var playwright = await Playwright.CreateAsync();
        cleanup.Push(new Disposer(() => playwright.Dispose()));
        var app = new WebClientDriver(playwright, origin, work, peerPages);
        cleanup.Push(new Disposer(app.CloseBrowsersAsync));
        var peer = await app.SignInAsync(await app.LaunchAsync(PeerTone, networkNamespace: peerHost.Namespace, serverCertificateSpki: spki), "Chromium", audioProbes: true);
        await WebClientDriver.JoinVoiceAsync(peer, "lounge");
        var atPeer = new AudioProbe(peer, FirefoxTone, PeerTone);
        await atPeer.StartAsync();
        Say("Chromium member in voice (UDP)");

        using var admin = NamespaceHttp.Create(serverHost.Namespace, Pinned);
        admin.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", _adminKey);
        var allOk = true;
        var times = new Dictionary<string, List<double>>();
        var number = 0;
        foreach (var setting in settings)
        {
            for (var run = 1; run <= runs; run++)
            {
                number++;
                Say($"--- run {number}: Firefox with {(setting == "turn" ? "only TCP to HTTPS and coturn's TLS" : "UDP " + setting)}");
                var blocked = setting != "open";
                if (blocked)
                {
                    await NftAsync(fox, "add table inet udpblock");
                    await NftAsync(fox, "add chain inet udpblock output { type filter hook output priority 0 ; policy accept ; }");
                    if (turn is not null && setting == "turn")
                    {
                        // Only HTTPS to the server and TLS to coturn: no UDP, no ICE-TCP to the media node.
                        await NftAsync(fox, "add rule inet udpblock output oif lo accept");
                        await NftAsync(fox, "add rule inet udpblock output ct state established,related accept");
                        await NftAsync(fox, $"add rule inet udpblock output ip daddr {serverHost.Address} tcp dport {HttpsPort} accept");
                        await NftAsync(fox, $"add rule inet udpblock output ip daddr {turn.Address} tcp dport 443 accept");
                        await NftAsync(fox, "add rule inet udpblock output meta l4proto tcp counter drop comment \"tcp\"");
                    }
                    await NftAsync(fox, "add rule inet udpblock output meta l4proto udp counter drop comment \"udp\"");
                }
                var directory = Path.Combine(work, $"firefox-{number}");
                var firefox = await FirefoxEsr.StartAsync(fox, directory, trusted, mozLog, prefs);
                try
                {
                    var result = await OneRunAsync(firefox.Bidi!, origin, $"Firefox{number}", atPeer, admin, Say);
                    allOk &= result.Ok;
                    if (result.Heard is { } ms) (times.TryGetValue(setting, out var list) ? list : times[setting] = []).Add(ms);
                    if (blocked)
                    {
                        var table = await NftListAsync(fox, "udpblock");
                        Say($"dropped in the firefox namespace: UDP {Counter(table, "\"udp\"")}" + (setting == "turn" ? $", other TCP {Counter(table, "\"tcp\"")}" : ""));
                    }
                }
                catch (Exception e)
                {
                    allOk = false;
                    Say($"run {number} FAILED: {e.Message}\nFirefox's output:\n{firefox.Output}");
                }
                finally
                {
                    await firefox.DisposeAsync();
                    if (blocked) await NftAsync(fox, "delete table inet udpblock");
                }
            }
        }
        var watch = await NftListAsync(fox, "ffwatch");
        var destinations = watch.Split('\n').SkipWhile(l => !l.Contains("set elsewhere", StringComparison.Ordinal)).FirstOrDefault(l => l.Contains("elements", StringComparison.Ordinal))?.Trim().TrimEnd(',') ?? "none";
        Say($"firefox namespace, packets to anything but the server and loopback: IPv4 {Counter(watch, "ipv4-elsewhere")} (address . protocol: {destinations}), IPv6 {Counter(watch, "ipv6-elsewhere")}");
        foreach (var (setting, list) in times)
        {
            list.Sort();
            Say($"{(setting == "turn" ? "TURN over TLS only" : "UDP " + setting)}: click to first sample of the Chromium member's tone, ms: {string.Join(", ", list.Select(t => t.ToString("0", CultureInfo.InvariantCulture)))} (median {list[list.Count / 2]:0})");
        }
        if (!allOk && coturn is not null) Say("coturn's last lines:\n" + string.Join('\n', coturn.Output.Split('\n').TakeLast(60)));
        if (!allOk) Say("the server's last lines:\n" + string.Join('\n', server.Output.Split('\n').TakeLast(60)));
        Say(allOk ? "every run connected and both sides heard each other" : "SOME RUNS FAILED");
        return allOk;
    }

    private sealed record RunResult(bool Ok, double? Heard);

    private async Task<RunResult> OneRunAsync(Bidi bidi, string origin, string name, AudioProbe atPeer, HttpClient admin, Action<string> say)
    {
        await bidi.NavigateAsync(origin + "/");
        var secure = await bidi.EvaluateAsync(Probes.SignIn(name));
        say($"{name} signed in (isSecureContext {secure})");
        JsonElement joined;
        try
        {
            joined = JsonDocument.Parse(await bidi.EvaluateAsync(Probes.JoinVoiceAndListen)).RootElement;
        }
        catch (InvalidOperationException e)
        {
            say($"{name} did not connect: {e.Message}\n{await bidi.EvaluateAsync(Probes.Diagnosis)}\nthe page's log:\n    {string.Join("\n    ", bidi.Log)}");
            try
            {
                await ReportPathAsync(bidi, name, say);
            }
            catch (InvalidOperationException again)
            {
                say("no path to report: " + again.Message);
            }
            await ReportServerAsync(admin, origin, say);
            return new RunResult(false, null);
        }
        var clicked = joined.GetProperty("clicked").GetDouble();
        say($"{name} connected {joined.GetProperty("connected").GetDouble() - clicked:0} ms after the click; audio context {joined.GetProperty("state").GetString()} at {joined.GetProperty("rate").GetDouble():0} Hz");

        double? heard = null;
        var ok = true;
        try
        {
            await Probe.UntilAsync(async () =>
            {
                var samples = JsonDocument.Parse(await bidi.EvaluateAsync(Probes.Samples(clicked))).RootElement.EnumerateArray()
                    .Where(s => s.GetProperty("a").GetDouble() > -50 && s.GetProperty("a").GetDouble() - s.GetProperty("b").GetDouble() >= 20).ToArray();
                if (samples.Length > 25) heard = samples[0].GetProperty("t").GetDouble() - clicked;
                return samples.Length > 25;
            }, Patience, $"{name} to hear the Chromium member's {PeerTone} Hz");
            say($"{name} hears the Chromium member: first sample {heard:0} ms after the click (upper bound: the probe starts once connected)");
        }
        catch (TimeoutException e)
        {
            ok = false;
            var last = await bidi.EvaluateAsync(Probes.Samples(clicked));
            say($"{e.Message} Last samples: {last[Math.Max(0, last.Length - 300)..]}");
        }
        try
        {
            await Probe.UntilAsync(async () => (await atPeer.SamplesAsync(clicked)).Count(s => s.Db[0] > -50 && s.Db[0] - s.Db[1] >= 20) > 25,
                Patience, $"the Chromium member to hear {name}'s {FirefoxTone} Hz");
            say($"the Chromium member hears {name}'s {FirefoxTone} Hz tone");
        }
        catch (TimeoutException e)
        {
            ok = false;
            say(e.Message);
        }

        await ReportPathAsync(bidi, name, say);
        await ReportServerAsync(admin, origin, say);
        return new RunResult(ok, heard);
    }

    private static async Task ReportPathAsync(Bidi bidi, string name, Action<string> say)
    {
        var path = JsonDocument.Parse(await bidi.EvaluateAsync(Probes.Path)).RootElement;
        say($"{name} ICE {path.GetProperty("ice").GetString()}, connection {path.GetProperty("connection").GetString()}, transport stats {path.GetProperty("transport")}");
        say($"{name} made {path.GetProperty("made").GetInt32()} peer connection(s); the last one's events:\n    {string.Join("\n    ", path.GetProperty("events").EnumerateArray().Select(e => e.GetString()))}");
        say($"{name} local candidates (getStats): {Join(path.GetProperty("local"))}");
        say($"{name} local candidates (SDP):\n    {string.Join("\n    ", path.GetProperty("localSdp").EnumerateArray().Select(e => e.GetString()))}");
        say($"{name} remote candidates (SDP):\n    {string.Join("\n    ", path.GetProperty("remoteSdp").EnumerateArray().Select(e => e.GetString()))}");
        say($"{name} candidate pairs:\n    {string.Join("\n    ", path.GetProperty("pairs").EnumerateArray().Select(p =>
            $"{p.GetProperty("local").GetString()} -> {p.GetProperty("remote").GetString()}: {p.GetProperty("state").GetString()}" +
            $"{(p.GetProperty("nominated").GetBoolean() ? ", nominated" : "")}{(p.GetProperty("selected").GetBoolean() ? ", SELECTED" : "")}" +
            $", {p.GetProperty("sent").GetInt64()} B sent, {p.GetProperty("received").GetInt64()} B received"))}");
        var selected = path.GetProperty("selected");
        say(selected.ValueKind == JsonValueKind.Null ? $"{name}: no selected pair" : $"{name} selected: {selected.GetProperty("local").GetString()} -> {selected.GetProperty("remote").GetString()}");

    }

    private static async Task ReportServerAsync(HttpClient admin, string origin, Action<string> say)
    {
        var rooms = JsonDocument.Parse(await admin.GetStringAsync($"{origin}/api/admin/voice")).RootElement;
        foreach (var member in rooms.EnumerateArray().SelectMany(r => r.GetProperty("members").EnumerateArray()))
            say($"server: member {member}");
    }

    private static string Join(JsonElement array) => string.Join(", ", array.EnumerateArray().Select(e => e.GetString()));

    private static string Counter(string table, string marker) =>
        table.Split('\n').FirstOrDefault(l => l.Contains("counter", StringComparison.Ordinal) && l.Contains(marker, StringComparison.Ordinal))?.Trim() is { } line
            ? PacketsPattern().Match(line).Value : "?";

    [System.Text.RegularExpressions.GeneratedRegex(@"packets \d+ bytes \d+")]
    private static partial System.Text.RegularExpressions.Regex PacketsPattern();

    private static Task KillAllInAsync(string netns) => Probe.UntilAsync(async () =>
    {
        var pids = (await Shell.RunAsync("ip", ["netns", "pids", netns])).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        foreach (var pid in pids)
        {
            try
            {
                using var process = Process.GetProcessById(int.Parse(pid, CultureInfo.InvariantCulture));
                process.Kill(entireProcessTree: true);
            }
            catch (Exception e) when (e is ArgumentException or InvalidOperationException or System.ComponentModel.Win32Exception)
            {
                // Gone already.
            }
        }
        return pids.Length == 0;
    }, TimeSpan.FromSeconds(10), $"the processes in {netns} to end");

    private static Task<string> NftListAsync(NetHost host, string table) =>
        Shell.RunAsync("ip", ["netns", "exec", host.Namespace, "nft", "list", "table", "inet", table]);

    private static Task NftAsync(NetHost host, string command) =>
        Shell.RunAsync("ip", ["netns", "exec", host.Namespace, "nft", command]);
}

/// <summary>Runs an action when disposed (for the cleanup stack).</summary>
internal sealed class Disposer(Func<Task> dispose) : IAsyncDisposable
{
    public Disposer(Action dispose) : this(() =>
    {
        dispose();
        return Task.CompletedTask;
    })
    {
    }

    public async ValueTask DisposeAsync() => await dispose();
}

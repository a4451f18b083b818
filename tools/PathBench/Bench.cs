using System.Net;
using System.Text.Json;
using Microsoft.Playwright;
using OpenChat.TestSupport;
using OpenChat.TestSupport.PodNetwork;

namespace OpenChat.PathBench;

/// <summary>A join that was not heard, or took another path than the one measured: the run fails.</summary>
public sealed class PathException(string message) : Exception(message);

/// <summary>
/// The simulated network (a bridge, the server's and coturn's namespaces), coturn and the all-in-one server; per path
/// a namespace for the browsers, made and removed by <see cref="MeasureAsync"/>. Disposing stops and removes the rest.
/// </summary>
public sealed class Bench : IAsyncDisposable
{
    private const string ServerV6 = "fd00:77::1";
    private const string ClientV6 = "fd00:77::2";
    private const string Channel = "Lounge";
    private const double BobHz = 660;
    private const double AliceHz = 440;

    /// <summary>Probe windows in a row (5.3 ms apart) in which Bob's tone must be clear for a join to count as heard.</summary>
    private const int HeardRun = 10;

    private readonly string _work;
    private readonly Options _options;
    private readonly SimulatedNetwork _network;
    private readonly List<IAsyncDisposable> _started = [];
    private Addresses _addresses = null!;
    private ServerProcess? _server;
    private HttpClient? _admin;
    private string _baseUrl = "";
    private string _home = "";

    private Bench(string work, Options options, SimulatedNetwork network)
    {
        _work = work;
        _options = options;
        _network = network;
    }

    public static async Task<Bench> StartAsync(string work, Options options, CancellationToken ct)
    {
        var bench = new Bench(work, options, await SimulatedNetwork.CreateAsync(SimulatedNetwork.PrefixForProcess("opb"), ct));
        try
        {
            await bench.StartServersAsync(ct);
            return bench;
        }
        catch
        {
            await bench.DisposeAsync();
            throw;
        }
    }

    private async Task StartServersAsync(CancellationToken ct)
    {
        var server = await _network.AddHostAsync("server", ct: ct);
        var turn = await _network.AddHostAsync("turn", ct: ct);
        await CheckedAsync(server, "ip", ["addr", "add", ServerV6 + "/64", "dev", "eth0", "nodad"]);
        _addresses = new Addresses(server.Address, IPAddress.Parse(ServerV6), turn.Address);

        var secret = Convert.ToHexString(System.Security.Cryptography.RandomNumberGenerator.GetBytes(24));
        var adminKey = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
        _admin = NamespaceHttp.Create(server.Namespace);
        _admin.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", adminKey);
        _baseUrl = $"http://{server.Address}:{Addresses.HttpPort}";
        var tls = TestCertificates.TlsServerPem(_work, turn.Address);
        _home = TestCertificates.HomeTrusting(_work, tls.CaCertificate);
        var coturnFolder = Directory.CreateDirectory(Path.Combine(_work, "coturn")).FullName;
        _started.Add(await Coturn.StartAsync(coturnFolder,
        [
            .. Coturn.Settings(secret, turn.Address.ToString(), server.Address.ToString(), coturnFolder),
            $"listening-port={Addresses.TurnPort}",
            $"tls-listening-port={Addresses.TurnTlsPort}",
            $"cert={tls.Certificate}",
            $"pkey={tls.Key}",
            "no-dtls",
            "no-tlsv1",
            "no-tlsv1_1",
        ], turn.Namespace));
        ct.ThrowIfCancellationRequested();

        var openChat = ServerProcess.Start("server", new Dictionary<string, string>
        {
            ["OpenChat__DataDirectory"] = Path.Combine(_work, "data"),
            ["OpenChat__Cluster__Port"] = "0",
            ["OpenChat__Media__RtcBindAddresses__0"] = server.Address.ToString(),
            ["OpenChat__Media__RtcBindAddresses__1"] = ServerV6,
            ["OpenChat__Media__RtcAdvertisedAddresses__0"] = server.Address.ToString(),
            ["OpenChat__Media__RtcAdvertisedAddresses__1"] = ServerV6,
            ["OpenChat__Media__RtcPort"] = Addresses.RtcPort.ToString(),
            ["OpenChat__Media__RtcTcpPort"] = Addresses.RtcTcpPort.ToString(),
            ["OpenChat__Media__TurnServers__0"] = $"turn:{turn.Address}:{Addresses.TurnPort}?transport=udp",
            ["OpenChat__Media__TurnServers__1"] = $"turns:{turn.Address}:{Addresses.TurnTlsPort}?transport=tcp",
            ["OpenChat__Media__TurnSecret"] = secret,
            ["OpenChat__Auth__AdminKey"] = adminKey,
            ["Logging__LogLevel__Default"] = "Warning",
        }, networkNamespace: server.Namespace, url: $"http://{server.Address}:{Addresses.HttpPort}",
            moreUrls: [$"http://[{ServerV6}]:{Addresses.HttpPort}"]);
        _started.Add(openChat);
        _server = openChat;
        await openChat.WaitReadyAsync(TimeSpan.FromSeconds(120)).WaitAsync(ct);
    }

    /// <summary>Makes the path's namespace, measures its joins, and removes the namespace and its browsers.</summary>
    public async Task<PathResult> MeasureAsync(NetworkPath path, CancellationToken ct)
    {
        var clients = await _network.AddHostAsync(path.Name, ct: ct);
        var wrappers = new[] { $"chromium-in-{clients.Namespace}.sh", $"playwright-node-in-{clients.Namespace}.sh" }.Select(f => Path.Combine(Path.GetTempPath(), f));
        try
        {
            var baseUrl = $"http://{_addresses.Server}:{Addresses.HttpPort}";
            if (path.Ipv6Only)
            {
                await CheckedAsync(clients, "ip", ["addr", "add", ClientV6 + "/64", "dev", "eth0", "nodad"]);
                await CheckedAsync(clients, "ip", ["addr", "del", clients.Address + "/16", "dev", "eth0"]);
                baseUrl = $"http://[{ServerV6}]:{Addresses.HttpPort}";
            }
            if (path.Rules(_addresses) is { } rules)
            {
                var file = Path.Combine(_work, path.Name + ".nft");
                await File.WriteAllTextAsync(file, rules, ct);
                await CheckedAsync(clients, "nft", ["-f", file]);
            }
            using var playwright = await Chromium.PlaywrightInNamespaceAsync(clients.Namespace, _home);
            var driver = new WebClientDriver(playwright, baseUrl, _work);
            try
            {
                return await MeasureJoinsAsync(path, driver, clients, ct);
            }
            catch (PathException e) when (_options.Verbose)
            {
                throw new PathException(e.Message + "\n--- server\n" + string.Join('\n', _server!.Output.Split('\n').TakeLast(40)));
            }
            finally
            {
                await driver.CloseBrowsersAsync();
            }
        }
        finally
        {
            await _network.RemoveHostAsync(clients);
            foreach (var wrapper in wrappers) File.Delete(wrapper);
        }
    }

    private async Task<PathResult> MeasureJoinsAsync(NetworkPath path, WebClientDriver driver, NetHost clients, CancellationToken ct)
    {
        string[] reachable = [_addresses.Turn.ToString()];
        var bob = await driver.SignInAsync(await driver.LaunchAsync(BobHz, networkNamespace: clients.Namespace, alsoReachable: reachable), "Bob");
        await WebClientDriver.JoinVoiceAsync(bob, Channel);
        var bobPair = await SelectedPairAsync(bob);
        if (!path.IsExpected(bobPair, _addresses)) throw new PathException($"{path.Name}: Bob's media took {bobPair}, not {path.Title}");
        ct.ThrowIfCancellationRequested();

        // Each join is a new user in a new page (a browser context of its own) of one browser: the same user leaving and
        // joining again at once can lose the new session to the old one's end (see docs/benchmarks.md).
        var aliceBrowser = await driver.LaunchAsync(AliceHz, networkNamespace: clients.Namespace, alsoReachable: reachable);
        var joins = new List<Join>();
        for (var i = 0; i <= _options.Joins; i++)
        {
            var alice = await driver.SignInAsync(aliceBrowser, $"Alice {i}", audioProbes: true);
            await AudioProbe.FollowArrivingStreamsAsync(alice);
            var probe = new AudioProbe(alice, AudioProbe.Arriving, AliceHz, BobHz);
            await probe.StartAsync();
            var join = await JoinOnceAsync(path, alice, probe, ct);
            if (i > 0) joins.Add(join);
            if (_options.Verbose) Console.WriteLine($"  {path.Name} {(i == 0 ? "warm-up" : $"join {i}")}: {join}");
            await LeaveAsync(alice, ct);
            await alice.Context.CloseAsync();
        }
        var dropped = path.Rules(_addresses) is null ? null : (await clients.RunAsync("nft", ["list", "table", "inet", "pathbench"], ct)).StandardOutput;
        return new PathResult(path, joins, bobPair, CountersIn(dropped));
    }

    /// <summary>Clicks the voice channel and waits for Bob's tone; returns the join's timeline (page clock, ms).</summary>
    private async Task<Join> JoinOnceAsync(NetworkPath path, IPage alice, AudioProbe probe, CancellationToken ct)
    {
        var clicked = await AudioProbe.NowAsync(alice);
        await alice.GetByRole(AriaRole.Button, new() { Name = $"Voice channel {Channel}" }).ClickAsync();
        double heard = 0;
        await UntilAsync(async () =>
        {
            var samples = await probe.SamplesAsync(clicked);
            var run = 0;
            for (var i = 0; i < samples.Length; i++)
            {
                var db = samples[i].Db;
                run = db[1] > -50 && db[1] - db[0] >= 20 ? run + 1 : 0;
                if (run == HeardRun)
                {
                    heard = samples[i - HeardRun + 1].T;
                    return true;
                }
            }
            return false;
        }, $"Alice to hear Bob's {BobHz:0} Hz over {path.Title}", ct, () => DiagnoseAsync(alice));
        await UntilAsync(() => alice.EvaluateAsync<bool>("() => window.__openchat.voice.phase === 'connected'"), "Alice's voice panel to say connected", ct,
            () => DiagnoseAsync(alice));
        var pair = await SelectedPairAsync(alice);
        if (!path.IsExpected(pair, _addresses)) throw new PathException($"{path.Name}: Alice's media took {pair}, not {path.Title}");
        var timeline = JsonDocument.Parse(await alice.EvaluateAsync<string>(
            "() => JSON.stringify({ ...window.__arriving, stream: undefined, switched: window.__probes.arrivingStream.switched })")).RootElement;
        double At(string name) => timeline.GetProperty(name).ValueKind == JsonValueKind.Number ? timeline.GetProperty(name).GetDouble() : double.NaN;
        var join = new Join(clicked, At("created"), At("gathered"), At("sent"), At("answered"), At("connected"), heard, pair);
        if (!(heard > join.Connected)) throw new PathException($"{path.Name}: Bob's tone heard {join.Connected - heard:0} ms before the session connected: not this session's audio ({join})");
        // Audio cannot arrive before the connection: a probe that moved to this session's stream later may have missed its start.
        if (!(At("switched") > clicked && At("switched") < join.Connected))
            throw new PathException($"{path.Name}: the probe followed the new session only {At("switched") - join.Connected:0} ms after it connected; the join would be an upper bound");
        return join;
    }

    /// <summary>Leaves voice, and waits until the page is idle and the server lists only Bob in voice, so that joins do not overlap.</summary>
    private async Task LeaveAsync(IPage page, CancellationToken ct)
    {
        await page.GetByRole(AriaRole.Button, new() { Name = "Leave voice" }).ClickAsync();
        await UntilAsync(() => page.EvaluateAsync<bool>("() => window.__openchat.voice.phase === 'idle' && window.__openchat.peerConnection === null"),
            "the page to leave voice", ct);
        await UntilAsync(async () =>
        {
            var rooms = JsonDocument.Parse(await _admin!.GetStringAsync(_baseUrl + "/api/admin/voice", ct)).RootElement;
            return rooms.EnumerateArray().Sum(r => r.GetProperty("members").GetArrayLength()) == 1;
        }, "the server to list only Bob in voice", ct);
    }

    /// <summary>Checks <paramref name="condition"/> every 20 ms until it holds; after the join timeout, a <see cref="PathException"/>.</summary>
    /// <remarks><paramref name="diagnose"/>: what to add to the message of the timeout.</remarks>
    private async Task UntilAsync(Func<Task<bool>> condition, string what, CancellationToken ct, Func<Task<string>>? diagnose = null)
    {
        var timeout = _options.JoinTimeout;
        var deadline = DateTime.UtcNow + timeout;
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
                throw new PathException($"timed out after {timeout.TotalSeconds:0} s waiting for {what}{(diagnose is null ? "" : "\n" + await diagnose())}");
            await Task.Delay(20, ct);
        }
    }

    /// <summary>The page's voice state, its peer connection's states and packet counts, and the probe's last samples.</summary>
    private Task<string> DiagnoseAsync(IPage page) => page.EvaluateAsync<string>("""
        async () => {
          const h = window.__openchat, pc = h.peerConnection, a = window.__arriving || {};
          const out = ['voice ' + JSON.stringify(h.voice), 'alerts: ' + [...document.querySelectorAll('[role="alert"]')].map(e => e.textContent).join(' | '),
            'active peer connection ' + (pc ? pc.connectionState : 'none'),
            'newest peer connection ' + JSON.stringify({ ...a, stream: !!a.stream })];
          if (pc) (await pc.getStats()).forEach(r => {
            if (r.type === 'inbound-rtp' || r.type === 'outbound-rtp') out.push(`${r.type} packets ${r.packetsReceived ?? r.packetsSent}`);
            if (r.type === 'candidate-pair' && r.nominated) out.push(`nominated pair ${r.state}`);
          });
          const p = window.__probes && window.__probes.arrivingStream;
          if (p) out.push('probe switched ' + p.switched, ...p.samples.slice(-400).filter((_, i) => i % 100 === 0).map(s => `${s.t.toFixed(0)} rms ${s.rms.toFixed(0)} dB, ${s.db.map(d => d.toFixed(0)).join(' / ')} dB`));
          return out.join('\n');
        }
        """);

    /// <summary>The selected candidate pair of the page's voice peer connection.</summary>
    private static async Task<SelectedPair> SelectedPairAsync(IPage page)
    {
        var json = await page.EvaluateAsync<string>("""
            async () => {
              const stats = await window.__openchat.peerConnection.getStats();
              let pair = null;
              stats.forEach(r => { if (r.type === 'transport' && r.selectedCandidatePairId) pair = stats.get(r.selectedCandidatePairId); });
              if (!pair) return 'null';
              const local = stats.get(pair.localCandidateId), remote = stats.get(pair.remoteCandidateId);
              return JSON.stringify({ protocol: local.protocol, type: local.candidateType, relay: local.relayProtocol ?? null, address: remote.address, port: remote.port });
            }
            """);
        var e = JsonDocument.Parse(json).RootElement;
        if (e.ValueKind == JsonValueKind.Null) throw new PathException("no selected candidate pair");
        return new SelectedPair(e.GetProperty("protocol").GetString()!, e.GetProperty("type").GetString()!,
            e.GetProperty("relay").ValueKind == JsonValueKind.String ? e.GetProperty("relay").GetString() : null,
            e.GetProperty("address").GetString()!, e.GetProperty("port").GetInt32());
    }

    private static string? CountersIn(string? nftList) =>
        nftList?.Split('\n').Select(l => l.Trim()).Where(l => l.Contains("counter packets", StringComparison.Ordinal))
            .Select(l => l[l.IndexOf("counter packets", StringComparison.Ordinal)..].Replace("counter ", "")).FirstOrDefault();

    private static async Task CheckedAsync(NetHost host, string file, string[] args)
    {
        var result = await host.RunAsync(file, args);
        if (result.ExitCode != 0) throw new InvalidOperationException($"{file} {string.Join(' ', args)} in {host.Namespace}: {result.StandardError}");
    }

    public async ValueTask DisposeAsync()
    {
        for (var i = _started.Count - 1; i >= 0; i--)
        {
            try
            {
                await _started[i].DisposeAsync();
            }
            catch (Exception e) when (e is InvalidOperationException or TimeoutException or IOException)
            {
                Console.Error.WriteLine($"Stopping {_started[i].GetType().Name}: {e.Message}");
            }
        }
        _admin?.Dispose();
        await _network.DisposeAsync();
    }
}

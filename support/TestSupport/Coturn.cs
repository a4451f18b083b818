using System.Collections.Concurrent;
using System.Diagnostics;

namespace OpenChat.TestSupport;

/// <summary>
/// Debian's coturn (<c>turnserver</c>) started by a test or a benchmark with a configuration of its own (no systemd, no system
/// database), optionally inside a network namespace, stopped and its folder deleted on dispose.
/// </summary>
public sealed class Coturn : IAsyncDisposable
{
    public const string Executable = "/usr/bin/turnserver";
    public const string Realm = "openchat.test";

    private readonly Process _process;
    private readonly ConcurrentQueue<string> _output = new();
    private readonly string _folder;

    private Coturn(Process process, string folder)
    {
        _process = process;
        _folder = folder;
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) _output.Enqueue(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) _output.Enqueue(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public string Output => string.Join('\n', _output);

    /// <summary>
    /// The settings every test's coturn has, as deploy/coturn/turnserver.conf recommends: REST API credentials from
    /// the shared secret, no CLI, no multicast, relaying only to <paramref name="allowedPeer"/> (the media node).
    /// </summary>
    public static IEnumerable<string> Settings(string secret, string listeningIp, string allowedPeer, string folder) =>
    [
        "use-auth-secret",
        $"static-auth-secret={secret}",
        $"realm={Realm}",
        "fingerprint",
        $"listening-ip={listeningIp}",
        $"relay-ip={listeningIp}",
        "min-port=49160",
        "max-port=49200",
        "no-cli",
        "no-rfc5780",
        "no-stun-backward-compatibility",
        "no-tcp-relay",
        "no-multicast-peers",
        // Every peer is refused except the media node: the relay cannot reach anything else.
        "denied-peer-ip=0.0.0.0-255.255.255.255",
        "denied-peer-ip=::-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
        $"allowed-peer-ip={allowedPeer}",
        "no-software-attribute",
        "simple-log",
        "log-file=stdout",
        $"userdb={Path.Combine(folder, "turndb")}",
        $"pidfile={Path.Combine(folder, "turnserver.pid")}",
    ];

    /// <summary>TURN over TCP on 3478 and over TLS (1.2 and later, no DTLS) on 443 with <paramref name="tls"/>'s certificate.</summary>
    public static IEnumerable<string> TlsOn443(TestTlsFiles tls) =>
    [
        "listening-port=3478",
        "tls-listening-port=443",
        $"cert={tls.Certificate}",
        $"pkey={tls.Key}",
        "no-dtls",
        "no-tlsv1",
        "no-tlsv1_1",
    ];

    /// <summary>
    /// Starts turnserver with <paramref name="settings"/> written to a config file (prefixed by
    /// <c>ip netns exec NAMESPACE</c> when given), and waits until it listens.
    /// </summary>
    public static async Task<Coturn> StartAsync(string folder, IEnumerable<string> settings, string? netns = null)
    {
        var config = Path.Combine(folder, "turnserver.conf");
        await File.WriteAllLinesAsync(config, settings);
        var info = netns is null
            ? new ProcessStartInfo(Executable, ["-c", config])
            : new ProcessStartInfo("ip", ["netns", "exec", netns, Executable, "-c", config]);
        info.RedirectStandardOutput = true;
        info.RedirectStandardError = true;
        info.UseShellExecute = false;
        var coturn = new Coturn(Process.Start(info)!, folder);
        try
        {
            await Probe.UntilAsync(() => Task.FromResult(coturn._process.HasExited || coturn._output.Any(l => l.Contains("Total General servers", StringComparison.Ordinal))),
                TimeSpan.FromSeconds(15), "coturn to start");
            if (coturn._process.HasExited)
                throw new InvalidOperationException($"turnserver exited with {coturn._process.ExitCode}:\n{coturn.Output}");
            return coturn;
        }
        catch
        {
            await coturn.DisposeAsync();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
        }
        _process.Dispose();
    }
}

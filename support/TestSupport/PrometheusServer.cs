using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;

namespace OpenChat.TestSupport;

/// <summary>
/// A throwaway Prometheus server from the machine's Debian package: its own configuration and data folder, the HTTP
/// API on 127.0.0.1 and a free port, scraping the targets the test names every second and evaluating rules every
/// second. Killed and its folder removed on dispose.
/// </summary>
public sealed class PrometheusServer : IAsyncDisposable
{
    public const string Executable = "/usr/bin/prometheus";

    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(10) };
    private readonly Process _process;
    private readonly string _directory;
    private readonly ConcurrentQueue<string> _output = new();

    public string Url { get; }

    private PrometheusServer(Process process, string directory, string url)
    {
        _process = process;
        _directory = directory;
        Url = url;
    }

    /// <summary>
    /// Starts Prometheus scraping <paramref name="targets"/> (host:port of management listeners, each with its role
    /// label) under job <c>openchat</c>, with the rule files given (copied beside its configuration).
    /// </summary>
    public static async Task<PrometheusServer> StartAsync(IEnumerable<(string Target, string Role)> targets, params string[] ruleFiles)
    {
        if (!File.Exists(Executable)) throw new InvalidOperationException($"{Executable} is missing: install Debian's prometheus package (test.sh does, as root).");
        var directory = Probe.NewTempDirectory("prometheus");
        var rules = new List<string>();
        foreach (var file in ruleFiles)
        {
            var copy = Path.Combine(directory, Path.GetFileName(file));
            File.Copy(file, copy);
            rules.Add(copy);
        }
        var config = string.Join('\n',
        [
            "global:",
            "  scrape_interval: 1s",
            "  scrape_timeout: 1s",
            "  evaluation_interval: 1s",
            "rule_files:",
            .. rules.Select(r => $"  - {r}"),
            "scrape_configs:",
            "  - job_name: openchat",
            "    static_configs:",
            .. targets.SelectMany(t => new[] { $"      - targets: [\"{t.Target}\"]", $"        labels: {{ role: {t.Role} }}" }),
        ]);
        var configPath = Path.Combine(directory, "prometheus.yml");
        await File.WriteAllTextAsync(configPath, config + "\n");
        var port = Probe.FreeTcpPort();
        var info = new ProcessStartInfo(Executable,
        [
            "--config.file=" + configPath,
            "--storage.tsdb.path=" + Path.Combine(directory, "data"),
            "--web.listen-address=127.0.0.1:" + port,
            "--web.enable-lifecycle",
            "--log.level=warn",
        ])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = directory,
        };
        var process = Process.Start(info)!;
        var server = new PrometheusServer(process, directory, $"http://127.0.0.1:{port}");
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) server._output.Enqueue(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) server._output.Enqueue(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        await Probe.UntilAsync(async () =>
        {
            if (process.HasExited) throw new InvalidOperationException("prometheus exited:\n" + server.Output);
            using var response = await Http.GetAsync(server.Url + "/-/ready");
            return response.IsSuccessStatusCode;
        }, TimeSpan.FromSeconds(30), "Prometheus to be ready");
        return server;
    }

    public string Output => string.Join('\n', _output);

    /// <summary>One sample of an instant vector: its labels and value.</summary>
    public sealed record Sample(IReadOnlyDictionary<string, string> Labels, double Value);

    /// <summary>Runs an instant query (<c>/api/v1/query</c>); the result's samples. A query Prometheus refuses throws.</summary>
    public async Task<IReadOnlyList<Sample>> QueryAsync(string expression)
    {
        using var response = await Http.GetAsync($"{Url}/api/v1/query?query={Uri.EscapeDataString(expression)}");
        var body = await response.Content.ReadAsStringAsync();
        using var document = JsonDocument.Parse(body);
        var root = document.RootElement;
        if (root.GetProperty("status").GetString() != "success")
            throw new InvalidOperationException($"Prometheus refused '{expression}': {body}");
        var data = root.GetProperty("data");
        var resultType = data.GetProperty("resultType").GetString();
        var samples = new List<Sample>();
        if (resultType == "scalar")
        {
            samples.Add(new Sample(new Dictionary<string, string>(), ParseValue(data.GetProperty("result")[1])));
            return samples;
        }
        foreach (var item in data.GetProperty("result").EnumerateArray())
        {
            var labels = item.GetProperty("metric").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString() ?? "");
            samples.Add(new Sample(labels, ParseValue(item.GetProperty("value")[1])));
        }
        return samples;
    }

    /// <summary>The single value of a query that yields one sample; null while it yields none.</summary>
    public async Task<double?> ScalarAsync(string expression)
    {
        var samples = await QueryAsync(expression);
        return samples.Count switch
        {
            0 => null,
            1 => samples[0].Value,
            _ => throw new InvalidOperationException($"'{expression}' yields {samples.Count} samples, expected one."),
        };
    }

    /// <summary>The alerts Prometheus holds now (<c>/api/v1/alerts</c>): name and state (pending or firing).</summary>
    public async Task<IReadOnlyList<(string Name, string State)>> AlertsAsync()
    {
        using var document = JsonDocument.Parse(await Http.GetStringAsync(Url + "/api/v1/alerts"));
        return document.RootElement.GetProperty("data").GetProperty("alerts").EnumerateArray()
            .Select(a => (a.GetProperty("labels").GetProperty("alertname").GetString() ?? "", a.GetProperty("state").GetString() ?? ""))
            .ToList();
    }

    /// <summary>The scrape targets and their health (<c>up</c>, <c>down</c>, <c>unknown</c>).</summary>
    public async Task<IReadOnlyList<(string Target, string Health)>> TargetsAsync()
    {
        using var document = JsonDocument.Parse(await Http.GetStringAsync(Url + "/api/v1/targets"));
        return document.RootElement.GetProperty("data").GetProperty("activeTargets").EnumerateArray()
            .Select(t => (t.GetProperty("labels").GetProperty("instance").GetString() ?? "", t.GetProperty("health").GetString() ?? ""))
            .ToList();
    }

    private static double ParseValue(JsonElement value) => value.GetString() switch
    {
        "NaN" => double.NaN,
        "+Inf" => double.PositiveInfinity,
        "-Inf" => double.NegativeInfinity,
        var text => double.Parse(text!, CultureInfo.InvariantCulture),
    };

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

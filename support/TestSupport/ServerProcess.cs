using System.Collections.Concurrent;
using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text.RegularExpressions;

namespace OpenChat.TestSupport;

/// <summary>An OpenChat server running as a real process (<c>dotnet OpenChat.Server.dll</c>), as operators run it.</summary>
public sealed partial class ServerProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _output = new();
    private readonly TaskCompletionSource<string> _listening = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private static readonly HttpClient LoopbackHttp = new() { Timeout = TimeSpan.FromSeconds(5) };
    private HttpClient Http => _namespaceHttp ?? LoopbackHttp;
    private HttpClient? _namespaceHttp;
    private string? _url;

    public string Name { get; }
    public string BaseUrl { get; private set; } = "";

    /// <summary>
    /// The management listener (<c>/metrics</c>, health) when the test gave the process
    /// <c>OpenChat__Management__Port</c>; otherwise null (the listener is off).
    /// </summary>
    public string? ManagementUrl { get; private set; }
    public int Pid => _process.Id;
    public bool HasExited => _process.HasExited;
    public int ExitCode => _process.ExitCode;

    private ServerProcess(string name, Process process)
    {
        Name = name;
        _process = process;
    }

    /// <summary>
    /// Starts the server with the given configuration (as environment variables, <c>OpenChat__Roles__0=gateway</c> style);
    /// <paramref name="serverDll"/> runs another build than this checkout's (<see cref="PreviousRelease"/>).
    /// </summary>
    /// <remarks>
    /// <paramref name="networkNamespace"/>: the process runs in that namespace (<c>ip netns exec</c>) on
    /// <paramref name="url"/>, an http:// address there with a fixed port, which then is its <see cref="BaseUrl"/>;
    /// <paramref name="moreUrls"/> are further addresses it listens on there (another address family, say).
    /// </remarks>
    public static ServerProcess Start(string name, IDictionary<string, string> environment, string? serverDll = null,
        string? networkNamespace = null, string? url = null, IEnumerable<string>? moreUrls = null)
    {
        serverDll ??= RepoPaths.ServerDll;
        if ((networkNamespace is null) != (url is null)) throw new ArgumentException("A namespace and its address go together.", nameof(url));
        string[] command = [serverDll, "--urls", string.Join(';', [url ?? "http://127.0.0.1:0", .. moreUrls ?? []])];
        var info = new ProcessStartInfo(networkNamespace is null ? "dotnet" : "ip",
            networkNamespace is null ? command : ["netns", "exec", networkNamespace, "dotnet", .. command])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetDirectoryName(serverDll)!,
        };
        info.Environment["DOTNET_ENVIRONMENT"] = "Production";
        info.Environment["Logging__LogLevel__Microsoft.Hosting.Lifetime"] = "Information";
        // Off unless the test asks for it: several processes on one machine cannot share a fixed port.
        info.Environment["OpenChat__Management__Port"] = "0";
        foreach (var (k, v) in environment) info.Environment[k] = v;
        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        var server = new ServerProcess(name, process);
        if (networkNamespace is not null)
        {
            server._url = url!.TrimEnd('/');
            server._namespaceHttp = NamespaceHttp.Create(networkNamespace);
        }
        if (int.TryParse(info.Environment["OpenChat__Management__Port"], out var management) && management != 0)
            server.ManagementUrl = $"http://127.0.0.1:{management}";
        process.OutputDataReceived += (_, e) => server.OnLine(e.Data);
        process.ErrorDataReceived += (_, e) => server.OnLine(e.Data);
        process.Exited += (_, _) =>
        {
            // Waits for the redirected output to reach its end, so the message holds the process's last words.
            process.WaitForExit();
            server._listening.TrySetException(new InvalidOperationException($"{name} exited with {process.ExitCode}; {server.LastWords}"));
        };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return server;
    }

    private void OnLine(string? line)
    {
        if (line is null) return;
        _output.Enqueue(line);
        while (_output.Count > 2000) _output.TryDequeue(out _);
        if (_url is not null)
        {
            if (line.Contains("Now listening on: " + _url, StringComparison.Ordinal)) _listening.TrySetResult(_url);
            return;
        }
        var match = ListeningPattern().Match(line);
        if (match.Success) _listening.TrySetResult(match.Groups[1].Value);
    }

    public string Output => string.Join('\n', _output);

    /// <summary>
    /// The output's last lines first (a crash's exception and stack), then the whole output: a report that shows only
    /// the start of a message still shows why the process ended.
    /// </summary>
    public string LastWords
    {
        get
        {
            var lines = _output.ToArray();
            return $"its last lines:\n{string.Join('\n', lines[Math.Max(0, lines.Length - 30)..])}\n--- whole output:\n{string.Join('\n', lines)}";
        }
    }

    /// <summary>Waits for Kestrel's address, then for <c>/healthz/ready</c> to answer 200.</summary>
    public async Task WaitReadyAsync(TimeSpan? timeout = null)
    {
        var limit = timeout ?? TimeSpan.FromSeconds(60);
        var listening = await _listening.Task.WaitAsync(limit);
        BaseUrl = listening.TrimEnd('/');
        await Probe.UntilAsync(async () =>
        {
            if (_process.HasExited) throw new InvalidOperationException($"{Name} exited; {LastWords}");
            using var response = await Http.GetAsync(BaseUrl + "/healthz/ready");
            return response.IsSuccessStatusCode;
        }, limit, $"{Name} to be ready\n{Output}");
    }

    /// <summary>Whether <c>/healthz/ready</c> answers 200 right now.</summary>
    public async Task<bool> IsReadyAsync()
    {
        if (_process.HasExited || !_listening.Task.IsCompletedSuccessfully) return false;
        try
        {
            using var response = await Http.GetAsync(_listening.Task.Result.TrimEnd('/') + "/healthz/ready");
            return response.IsSuccessStatusCode;
        }
        catch (HttpRequestException)
        {
            return false;
        }
    }

    /// <summary>How many lines of the output so far contain <paramref name="text"/>.</summary>
    public int CountLines(string text) => _output.Count(line => line.Contains(text, StringComparison.Ordinal));

    /// <summary>Waits for the process to exit by itself (a refused start, say); its exit code.</summary>
    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        await _process.WaitForExitAsync().WaitAsync(timeout);
        return _process.ExitCode;
    }

    /// <summary>SIGSTOP: the process freezes, its sockets stay open but nothing answers (a node cut off by the network).</summary>
    public void Pause() => Signal(19);

    /// <summary>SIGCONT: a paused process carries on.</summary>
    public void Resume() => Signal(18);

    private void Signal(int signal)
    {
        if (SysKill(_process.Id, signal) != 0 && !_process.HasExited)
            throw new InvalidOperationException($"Signal {signal} to {Name} (pid {_process.Id}) failed: errno {Marshal.GetLastPInvokeError()}.");
    }

    /// <summary>SIGTERM, as Kubernetes sends: the process leaves the cluster and exits by itself.</summary>
    public async Task<int> StopAsync(TimeSpan? timeout = null)
    {
        if (!_process.HasExited) _ = SysKill(_process.Id, 15);
        await _process.WaitForExitAsync().WaitAsync(timeout ?? TimeSpan.FromSeconds(60));
        return _process.ExitCode;
    }

    /// <summary>SIGKILL: the process vanishes without a word.</summary>
    public async Task KillAsync()
    {
        if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync();
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            Resume();
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
        _namespaceHttp?.Dispose();
    }

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int SysKill(int pid, int signal);

    [GeneratedRegex(@"Now listening on: (http://127\.0\.0\.1:\d+)")]
    private static partial Regex ListeningPattern();
}

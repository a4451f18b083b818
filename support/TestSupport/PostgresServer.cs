using System.Diagnostics;

namespace OpenChat.TestSupport;

/// <summary>
/// A throwaway PostgreSQL server from the machine's Debian packages: its own data folder, 127.0.0.1 and a free
/// port, trust authentication, removed on dispose. As root it runs as the <c>postgres</c> user, as PostgreSQL requires.
/// It can be stopped and started again on the same port and data, or frozen (every process of it stopped with SIGSTOP,
/// so connections stay open and nothing answers) and thawed, to play a database outage.
/// </summary>
public sealed class PostgresServer : IAsyncDisposable
{
    private Process _process;
    private readonly string _directory;
    private readonly string _bin;
    private readonly bool _asRoot;
    private List<int> _frozen = [];

    public int Port { get; }
    public string ConnectionString => $"Host=127.0.0.1;Port={Port};Username=openchat;Database=postgres;Pooling=true";

    private PostgresServer(Process process, string directory, string bin, bool asRoot, int port)
    {
        _process = process;
        _directory = directory;
        _bin = bin;
        _asRoot = asRoot;
        Port = port;
    }

    /// <summary>Shuts the server down as an operator would (fast shutdown: open transactions are rolled back).</summary>
    public async Task StopAsync()
    {
        if (_process.HasExited) return;
        var postmaster = Descendants(_process.Id).FirstOrDefault(pid => ProcessName(pid) == "postgres");
        await RunAsync("kill", ["-INT", (postmaster != 0 ? postmaster : _process.Id).ToString()]);
        await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
    }

    /// <summary>Starts the stopped server again on the same port and data.</summary>
    public async Task RestartAsync()
    {
        if (!_process.HasExited) throw new InvalidOperationException("PostgreSQL is still running.");
        _process.Dispose();
        _process = Launch(_bin, _directory, _asRoot, Port);
        await WaitReadyAsync(_process, _bin, Port);
    }

    /// <summary>Stops every process of the server with SIGSTOP: connections stay open, queries hang unanswered.</summary>
    public async Task FreezeAsync()
    {
        _frozen = [_process.Id, .. Descendants(_process.Id)];
        foreach (var pid in _frozen) await RunAsync("kill", ["-STOP", pid.ToString()], throwOnError: false);
    }

    /// <summary>Lets the frozen processes run on with SIGCONT.</summary>
    public async Task ThawAsync()
    {
        foreach (var pid in _frozen) await RunAsync("kill", ["-CONT", pid.ToString()], throwOnError: false);
        _frozen = [];
    }

    /// <summary>Every process below <paramref name="root"/>, parents before children.</summary>
    private static List<int> Descendants(int root)
    {
        var parents = new Dictionary<int, int>();
        foreach (var dir in Directory.GetDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid)) continue;
            try
            {
                var stat = File.ReadAllText(Path.Combine(dir, "stat"));
                // The command name is in parentheses and may hold spaces: the fields after it are fixed.
                var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                parents[pid] = int.Parse(fields[1]);
            }
            catch (IOException)
            {
            }
            catch (UnauthorizedAccessException)
            {
            }
        }
        var result = new List<int>();
        var queue = new Queue<int>([root]);
        while (queue.TryDequeue(out var parent))
        {
            foreach (var (pid, ppid) in parents)
            {
                if (ppid != parent) continue;
                result.Add(pid);
                queue.Enqueue(pid);
            }
        }
        return result;
    }

    private static string ProcessName(int pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/comm").Trim();
        }
        catch (IOException)
        {
            return "";
        }
    }

    public static async Task<PostgresServer> StartAsync()
    {
        var bin = Directory.Exists("/usr/lib/postgresql")
            ? Directory.GetDirectories("/usr/lib/postgresql").OrderByDescending(d => d).Select(d => Path.Combine(d, "bin"))
                .FirstOrDefault(d => File.Exists(Path.Combine(d, "postgres")))
            : null;
        if (bin is null) throw new InvalidOperationException("PostgreSQL server binaries not found under /usr/lib/postgresql (apt-get install postgresql).");

        var directory = Probe.NewTempDirectory("pg");
        var data = Path.Combine(directory, "data");
        var asRoot = !OperatingSystem.IsWindows() && Environment.UserName == "root";
        if (asRoot && !OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            await RunAsync("chown", ["-R", "postgres:postgres", directory]);
        }

        await RunAsync(asRoot ? "runuser" : Path.Combine(bin, "initdb"),
            Wrap(asRoot, Path.Combine(bin, "initdb"), ["-D", data, "-U", "openchat", "--auth=trust", "--no-sync", "-E", "UTF8"]));

        var port = Probe.FreeTcpPort();
        var process = Launch(bin, directory, asRoot, port);
        var server = new PostgresServer(process, directory, bin, asRoot, port);
        await WaitReadyAsync(process, bin, port);
        return server;
    }

    private static Process Launch(string bin, string directory, bool asRoot, int port)
    {
        var data = Path.Combine(directory, "data");
        var args = Wrap(asRoot, Path.Combine(bin, "postgres"),
            ["-D", data, "-p", port.ToString(), "-k", directory, "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off"]);
        var info = new ProcessStartInfo(asRoot ? "runuser" : Path.Combine(bin, "postgres"), args)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        var process = Process.Start(info)!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    private static Task WaitReadyAsync(Process process, string bin, int port) =>
        Probe.UntilAsync(async () =>
        {
            if (process.HasExited) throw new InvalidOperationException("postgres exited with " + process.ExitCode);
            var ready = await RunAsync(Path.Combine(bin, "pg_isready"), ["-h", "127.0.0.1", "-p", port.ToString()], throwOnError: false);
            return ready == 0;
        }, TimeSpan.FromSeconds(30), "PostgreSQL to accept connections");

    private static string[] Wrap(bool asRoot, string program, string[] args) =>
        asRoot ? ["-u", "postgres", "--", program, .. args] : args;

    private static async Task<int> RunAsync(string program, string[] args, bool throwOnError = true)
    {
        var info = new ProcessStartInfo(program, args) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (throwOnError && process.ExitCode != 0)
            throw new InvalidOperationException($"{program} {string.Join(' ', args)} failed ({process.ExitCode}): {await stderr}{await stdout}");
        return process.ExitCode;
    }

    public async ValueTask DisposeAsync()
    {
        if (_frozen.Count > 0) await ThawAsync();
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
        catch (UnauthorizedAccessException)
        {
        }
    }
}

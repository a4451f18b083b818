using System.Diagnostics;

namespace OpenChat.TestSupport;

/// <summary>
/// A throwaway PostgreSQL server from the machine's Debian packages: its own data folder, 127.0.0.1 and a free
/// port, trust authentication, removed on dispose. As root it runs as the <c>postgres</c> user, as PostgreSQL requires.
/// </summary>
public sealed class PostgresServer : IAsyncDisposable
{
    private readonly Process _process;
    private readonly string _directory;

    public int Port { get; }
    public string ConnectionString => $"Host=127.0.0.1;Port={Port};Username=openchat;Database=postgres;Pooling=true";

    private PostgresServer(Process process, string directory, int port)
    {
        _process = process;
        _directory = directory;
        Port = port;
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
        var server = new PostgresServer(process, directory, port);
        await Probe.UntilAsync(async () =>
        {
            if (process.HasExited) throw new InvalidOperationException("postgres exited with " + process.ExitCode);
            var ready = await RunAsync(Path.Combine(bin, "pg_isready"), ["-h", "127.0.0.1", "-p", port.ToString()], throwOnError: false);
            return ready == 0;
        }, TimeSpan.FromSeconds(30), "PostgreSQL to accept connections");
        return server;
    }

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

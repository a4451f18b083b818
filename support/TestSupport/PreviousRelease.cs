using System.Diagnostics;
using System.Text.RegularExpressions;

namespace OpenChat.TestSupport;

/// <summary>
/// The server of the previous release, named by commit in <c>deploy/compatibility/previous-release</c>: its source
/// taken from this clone with <c>git archive</c>, built once, and kept under <c>.artifacts/previous-release/COMMIT/</c>
/// so later runs start it at once.
/// </summary>
public static partial class PreviousRelease
{
    public static string ReleaseFile => Path.Combine(RepoPaths.Root, "deploy", "compatibility", "previous-release");

    /// <summary>The commit the file names: its one line that is not blank and not a # comment.</summary>
    public static string Commit()
    {
        if (!File.Exists(ReleaseFile)) throw new InvalidOperationException($"{ReleaseFile} is missing: it names the previous release's commit.");
        var lines = File.ReadAllLines(ReleaseFile).Select(l => l.Trim()).Where(l => l.Length > 0 && !l.StartsWith('#')).ToList();
        if (lines.Count != 1 || !CommitPattern().IsMatch(lines[0]))
            throw new InvalidOperationException($"{ReleaseFile} must hold one full commit hash (40 hex digits) besides # comments; it holds: {string.Join(" | ", lines)}");
        return lines[0].ToLowerInvariant();
    }

    /// <summary>The previous release's <c>OpenChat.Server.dll</c>, built now unless a build of that commit is cached.</summary>
    public static async Task<string> ServerDllAsync(Action<string> log)
    {
        var commit = Commit();
        var cache = Path.Combine(RepoPaths.Root, ".artifacts", "previous-release", commit);
        var server = Path.Combine(cache, "server");
        var dll = Path.Combine(server, "OpenChat.Server.dll");
        var stamp = Path.Combine(cache, "build.ok");
        if (File.Exists(stamp) && File.Exists(dll))
        {
            log($"previous release {commit[..12]}: cached build in {server}");
            return dll;
        }

        await EnsureCommitAsync(commit, log);
        var work = Probe.NewTempDirectory("previous-release");
        try
        {
            var source = Path.Combine(work, "src");
            Directory.CreateDirectory(source);
            var tar = Path.Combine(work, "source.tar");
            await RunAsync("git", ["-C", RepoPaths.Root, "archive", "--format=tar", "-o", tar, commit], TimeSpan.FromMinutes(2));
            await RunAsync("tar", ["-x", "-f", tar, "-C", source], TimeSpan.FromMinutes(2));
            var project = Path.Combine(source, "src", "Server", "OpenChat.Server.csproj");
            if (!File.Exists(project)) throw new InvalidOperationException($"The previous release {commit} has no src/Server/OpenChat.Server.csproj; this test does not know how to build it.");

            // That commit's gateway embeds the web client through npm unless WebClientSkipBuild is set; the server
            // then serves a placeholder page, which the cluster does not need. No build server stays behind.
            var watch = Stopwatch.StartNew();
            log($"previous release {commit[..12]}: building {project}");
            await RunAsync("dotnet", ["build", project, "-c", "Release", "-nologo", "-v", "q", "-p:WebClientSkipBuild=true",
                "-nodeReuse:false", "--disable-build-servers"], TimeSpan.FromMinutes(10));
            log($"previous release {commit[..12]}: built in {watch.Elapsed.TotalSeconds:0} s");

            var output = Path.Combine(source, "src", "Server", "bin", "Release", "net10.0");
            if (!File.Exists(Path.Combine(output, "OpenChat.Server.dll"))) throw new InvalidOperationException($"The build of {commit} left no OpenChat.Server.dll in {output}.");
            Directory.CreateDirectory(cache);
            var staging = Path.Combine(cache, "server.staging-" + Guid.NewGuid().ToString("N")[..8]);
            CopyDirectory(output, staging);
            if (Directory.Exists(server)) Directory.Delete(server, recursive: true);
            Directory.Move(staging, server);
            await File.WriteAllTextAsync(stamp, $"{commit} built {DateTimeOffset.UtcNow:O}\n");
            return dll;
        }
        finally
        {
            try
            {
                Directory.Delete(work, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }

    /// <summary>
    /// Makes sure the commit is in this clone: a shallow clone with a remote is deepened a few times; otherwise, or if
    /// that does not bring it, the test fails saying how to get it.
    /// </summary>
    private static async Task EnsureCommitAsync(string commit, Action<string> log)
    {
        if (await HasCommitAsync(commit)) return;
        var shallow = (await RunAsync("git", ["-C", RepoPaths.Root, "rev-parse", "--is-shallow-repository"], TimeSpan.FromSeconds(30))).Trim() == "true";
        var remotes = (await RunAsync("git", ["-C", RepoPaths.Root, "remote"], TimeSpan.FromSeconds(30)))
            .Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (shallow && remotes.Length > 0)
        {
            for (var attempt = 0; attempt < 5 && !await HasCommitAsync(commit); attempt++)
            {
                log($"previous release {commit[..12]} is not in this shallow clone; git fetch --deepen=50 {remotes[0]}");
                try
                {
                    await RunAsync("git", ["-C", RepoPaths.Root, "fetch", "--deepen=50", remotes[0]], TimeSpan.FromMinutes(2));
                }
                catch (InvalidOperationException e)
                {
                    log(e.Message);
                    break;
                }
            }
            if (await HasCommitAsync(commit)) return;
        }
        throw new InvalidOperationException(
            $"The previous release {commit} (named in deploy/compatibility/previous-release) is not in the git clone at {RepoPaths.Root} " +
            $"(shallow: {(shallow ? "yes" : "no")}; remotes: {(remotes.Length == 0 ? "none" : string.Join(", ", remotes))}). " +
            "The rolling-upgrade test builds that commit's server from this clone: fetch it (git fetch origin " + commit +
            ", or git fetch --unshallow), or correct the file.");
    }

    private static async Task<bool> HasCommitAsync(string commit)
    {
        try
        {
            await RunAsync("git", ["-C", RepoPaths.Root, "cat-file", "-e", commit + "^{commit}"], TimeSpan.FromSeconds(30));
            return true;
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }

    private static void CopyDirectory(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(to, Path.GetRelativePath(from, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
    }

    /// <summary>Runs a program to completion; its standard output, or an exception with everything it printed.</summary>
    private static async Task<string> RunAsync(string program, string[] args, TimeSpan timeout)
    {
        var info = new ProcessStartInfo(program, args) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        info.Environment["DOTNET_NOLOGO"] = "1";
        Process process;
        try
        {
            process = Process.Start(info)!;
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new InvalidOperationException($"Cannot run {program}: {e.Message}", e);
        }
        using (process)
        {
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            try
            {
                await process.WaitForExitAsync().WaitAsync(timeout);
            }
            catch (TimeoutException)
            {
                process.Kill(entireProcessTree: true);
                throw new InvalidOperationException($"{program} {string.Join(' ', args)} did not finish within {timeout.TotalMinutes:0.#} min.");
            }
            if (process.ExitCode != 0)
                throw new InvalidOperationException($"{program} {string.Join(' ', args)} failed ({process.ExitCode}):\n{await stderr}{await stdout}");
            return await stdout;
        }
    }

    [GeneratedRegex("^[0-9a-fA-F]{40}$")]
    private static partial Regex CommitPattern();
}

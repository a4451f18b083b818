using System.Diagnostics;

namespace OpenChat.TestSupport.PodNetwork;

/// <summary>What a finished command printed and returned.</summary>
public sealed record CommandResult(int ExitCode, string StandardOutput, string StandardError);

/// <summary>Runs the network's tools (<c>ip</c>, <c>nft</c>) without a shell.</summary>
internal static class Commands
{
    /// <summary>Runs <paramref name="file"/> with <paramref name="args"/>, <paramref name="input"/> on its standard input.</summary>
    public static async Task<CommandResult> RunAsync(ProcessStartInfo info, string? input = null, CancellationToken ct = default)
    {
        info.UseShellExecute = false;
        info.RedirectStandardOutput = true;
        info.RedirectStandardError = true;
        info.RedirectStandardInput = input is not null;
        using var process = Process.Start(info) ?? throw new InvalidOperationException($"Could not start {info.FileName}.");
        var stdout = process.StandardOutput.ReadToEndAsync(CancellationToken.None);
        var stderr = process.StandardError.ReadToEndAsync(CancellationToken.None);
        if (input is not null)
        {
            await process.StandardInput.WriteAsync(input).ConfigureAwait(false);
            process.StandardInput.Close();
        }
        try
        {
            await process.WaitForExitAsync(ct).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            try { process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
            throw;
        }
        return new CommandResult(process.ExitCode, await stdout.ConfigureAwait(false), await stderr.ConfigureAwait(false));
    }

    public static ProcessStartInfo Info(string file, IEnumerable<string> args)
    {
        var info = new ProcessStartInfo(file);
        foreach (var arg in args) info.ArgumentList.Add(arg);
        return info;
    }

    /// <summary>Runs the command and throws, with what it printed, unless it succeeds.</summary>
    public static async Task<string> CheckedAsync(string file, IEnumerable<string> args, string? input = null, CancellationToken ct = default)
    {
        var list = args.ToList();
        var result = await RunAsync(Info(file, list), input, ct).ConfigureAwait(false);
        if (result.ExitCode != 0)
            throw new InvalidOperationException(
                $"`{file} {string.Join(' ', list)}` exited with {result.ExitCode}: {result.StandardError.Trim()}{(input is null ? "" : "\ninput:\n" + input)}");
        return result.StandardOutput;
    }

    /// <summary><c>ip -n NS -batch -</c>: several iproute2 commands in one process, in that namespace.</summary>
    public static Task<string> IpBatchAsync(string netns, IEnumerable<string> lines, CancellationToken ct = default) =>
        CheckedAsync("ip", ["-n", netns, "-batch", "-"], string.Join('\n', lines) + "\n", ct);

    /// <summary><c>nft -f -</c> in the namespace: the whole script is one transaction.</summary>
    public static Task<string> NftAsync(string netns, string script, CancellationToken ct = default) =>
        CheckedAsync("ip", ["netns", "exec", netns, "nft", "-f", "-"], script, ct);
}

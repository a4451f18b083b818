using System.Diagnostics;
using OpenChat.TestSupport;
using Xunit;

namespace OpenChat.Observability.Tests;

/// <summary>The Prometheus files in deploy/ as Prometheus's own checker reads them.</summary>
public sealed class DeployFileTests
{
    private static readonly string Directory = Path.Combine(RepoPaths.Root, "deploy", "prometheus");

    private static async Task<(int Exit, string Output)> PromtoolAsync(params string[] args)
    {
        const string promtool = "/usr/bin/promtool";
        if (!File.Exists(promtool)) throw new InvalidOperationException($"{promtool} is missing: install Debian's prometheus package (test.sh does, as root).");
        var info = new ProcessStartInfo(promtool, args) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = Directory };
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
        return (process.ExitCode, await stdout + await stderr);
    }

    [Fact]
    public async Task The_alert_rules_pass_promtool()
    {
        var (exit, output) = await PromtoolAsync("check", "rules", "alerts.yml");
        Assert.True(exit == 0, output);
        Assert.Contains("SUCCESS: 7 rules found", output);
    }

    [Fact]
    public async Task The_scrape_configuration_passes_promtool()
    {
        var (exit, output) = await PromtoolAsync("check", "config", "prometheus.yml");
        Assert.True(exit == 0, output);
    }
}

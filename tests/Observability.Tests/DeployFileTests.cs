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

    [Fact]
    public async Task The_Kubernetes_scrape_configuration_passes_promtool_with_its_discovery_stood_in_for()
    {
        // Debian builds Prometheus without Kubernetes discovery, so its promtool refuses kubernetes_sd_configs: the
        // block is replaced by a static target and everything else (relabelling, rules) is checked as written.
        var text = await File.ReadAllTextAsync(Path.Combine(Directory, "prometheus-kubernetes.yml"));
        var start = text.IndexOf("    kubernetes_sd_configs:\n", StringComparison.Ordinal);
        var end = text.IndexOf("    relabel_configs:\n", StringComparison.Ordinal);
        Assert.True(start > 0 && end > start, "the job discovers pods, then relabels");
        var copy = Path.Combine(Directory, $"prometheus-kubernetes-check-{Environment.ProcessId}.yml");
        await File.WriteAllTextAsync(copy, text[..start] + "    static_configs:\n      - targets: [\"127.0.0.1:9464\"]\n" + text[end..]);
        try
        {
            var (exit, output) = await PromtoolAsync("check", "config", Path.GetFileName(copy));
            Assert.True(exit == 0, output);
        }
        finally
        {
            File.Delete(copy);
        }
    }
}

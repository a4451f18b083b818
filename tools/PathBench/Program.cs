using System.Diagnostics;
using System.Runtime.InteropServices;
using OpenChat.PathBench;
using OpenChat.TestSupport;

// Join to first audio over each network path a browser can take to a media node, with headless Chromium: the
// all-in-one server and Debian's coturn in network namespaces of their own, and per path a namespace for two browsers
// whose nftables rules leave them that one path. See docs/benchmarks.md ("Join to first audio by network path").
if (Options.FromCommandLine(args, out var options) is { } exitCode) return exitCode;
foreach (var (file, what) in new[] { (RepoPaths.ServerDll, "the server: dotnet build -c Release src/Server"), (Chromium.ExecutablePath, "apt-get install -y chromium"),
    (Coturn.Executable, "apt-get install -y coturn"), ("/usr/sbin/nft", "apt-get install -y nftables"), ("/usr/bin/certutil", "apt-get install -y libnss3-tools") })
{
    if (!File.Exists(file))
    {
        Console.Error.WriteLine($"{file} is missing: {what}");
        return 2;
    }
}
if (Environment.UserName != "root")
{
    Console.Error.WriteLine("Network namespaces need root.");
    return 2;
}

// Ctrl-C and SIGTERM cancel the run; everything made is then removed on the way out.
using var cancel = new CancellationTokenSource();
using var onInterrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, Cancel);
using var onTerminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Cancel);
void Cancel(PosixSignalContext context)
{
    context.Cancel = true;
    Console.Error.WriteLine("Stopping: removing what the benchmark made.");
    cancel.Cancel();
}

var clock = Stopwatch.StartNew();
var work = Probe.NewTempDirectory("pathbench");
var loadBefore = LoadAverage.Read();
Console.WriteLine($"PathBench: {string.Join(", ", options.Paths.Select(p => p.Name))}; {options.Joins} measured joins each; " +
    $"{Environment.ProcessorCount} cores; load average {loadBefore}");
var results = new List<PathResult>();
try
{
    await using var bench = await Bench.StartAsync(work, options, cancel.Token);
    Console.WriteLine($"{clock.Elapsed.TotalSeconds:0} s: server and coturn ready");
    foreach (var path in options.Paths)
    {
        var result = await bench.MeasureAsync(path, cancel.Token);
        results.Add(result);
        Console.WriteLine($"{clock.Elapsed.TotalSeconds:0} s: {result.Summary()}");
    }
}
catch (Exception e) when (cancel.IsCancellationRequested)
{
    // Browsers and processes the interrupt stopped first make Playwright's calls fail.
    Console.Error.WriteLine($"Interrupted ({e.GetType().Name}).");
    return 130;
}
catch (PathException e)
{
    Console.Error.WriteLine("FAILED: " + e.Message);
    return 1;
}
catch (Exception e)
{
    Console.Error.WriteLine("FAILED: " + e);
    return 1;
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
var loadAfter = LoadAverage.Read();
Console.WriteLine();
Console.WriteLine($"Join to first audio ({options.Joins} joins per path; load average before {loadBefore}, after {loadAfter}; {clock.Elapsed.TotalSeconds:0} s)");
Console.WriteLine();
Console.WriteLine(PathResult.TableHeader);
foreach (var result in results) Console.WriteLine(result.TableRow());
return 0;

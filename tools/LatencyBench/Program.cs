using System.Globalization;
using OpenChat.TestSupport;

// Mouth-to-ear latency through the server, as two Chromium pages measure it (MouthToEar): the all-in-one server
// as its own process (Release build), and for each run a new voice channel and two new browsers, Alice sending beeps
// over a 440 Hz tone and Bob listening. Prints each run's figures and the medians over the runs.
var runs = Arg("--runs", 5);
var beeps = Arg("--beeps", 20);

if (!File.Exists(RepoPaths.ServerDll)) throw new InvalidOperationException($"Build the server first: {RepoPaths.ServerDll}");
var work = Probe.NewTempDirectory("latency");
var adminKey = Convert.ToHexString(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16));
await using var server = ServerProcess.Start("server", new Dictionary<string, string>
{
    ["OpenChat__DataDirectory"] = Path.Combine(work, "data"),
    ["OpenChat__Cluster__Port"] = "0",
    ["OpenChat__Auth__AdminKey"] = adminKey,
    ["Logging__LogLevel__Default"] = "Warning",
});
await server.WaitReadyAsync(TimeSpan.FromSeconds(90));
using var playwright = await Microsoft.Playwright.Playwright.CreateAsync();
var driver = new WebClientDriver(playwright, server.BaseUrl, work);

var p50s = new List<double>();
var p95s = new List<double>();
Console.WriteLine($"{runs} runs of {beeps} beeps, {Environment.ProcessorCount} cores, load average {LoadAverage()}");
for (var run = 1; run <= runs; run++)
{
    var channel = $"Latency {run}";
    await AdminApi.CreateChannelAsync(server.BaseUrl, adminKey, channel, "voice");
    var sender = await WebClientDriver.JoinVoiceAsync(await driver.SignInAsync(await driver.LaunchAsync(440), "Alice", audioProbes: true), channel);
    var receiver = await WebClientDriver.JoinVoiceAsync(await driver.SignInAsync(await driver.LaunchAsync(), "Bob", audioProbes: true), channel);
    var result = await MouthToEar.MeasureAsync(sender, receiver, beeps);
    await driver.CloseBrowsersAsync();
    p50s.Add(result.Percentile(50));
    p95s.Add(result.Percentile(95));
    Console.WriteLine($"run {run}: {result}");
}
Console.WriteLine($"median over {runs} runs: p50 {Median(p50s):0} ms, p95 {Median(p95s):0} ms (load average {LoadAverage()})");
return 0;

static double Median(List<double> values) => values.Order().ElementAt(values.Count / 2);

static string LoadAverage() =>
    File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Split(' ')[0] : "unknown";

int Arg(string name, int fallback)
{
    var i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1], CultureInfo.InvariantCulture) : fallback;
}

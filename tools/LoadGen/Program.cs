using OpenChat.LoadGen.Driver;

// Voice benchmark: simulated members join voice rooms of a running server, send tones (or speech-like tones) in
// real time and check what they hear. Usage: docs/benchmarks.md, or --help.
if (args.Contains("--help") || args.Contains("-h"))
{
    Console.WriteLine(LoadGenOptions.Usage);
    return 0;
}
LoadGenOptions options;
try
{
    options = LoadGenOptions.Parse(args);
}
catch (Exception e) when (e is ArgumentException or FormatException)
{
    Console.Error.WriteLine(e.Message);
    Console.Error.WriteLine(LoadGenOptions.Usage);
    return 2;
}
using var cancel = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    cancel.Cancel();
};
try
{
    return await new Benchmark(options, Console.Out).RunAsync(cancel.Token);
}
catch (OperationCanceledException) when (cancel.IsCancellationRequested)
{
    Console.Error.WriteLine("cancelled");
    return 130;
}
catch (Exception e) when (e is InvalidOperationException or HttpRequestException)
{
    Console.Error.WriteLine(e.Message);
    return 1;
}

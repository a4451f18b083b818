using System.Globalization;
using OpenChat.MediaFlood;

// Floods a media node's WebRTC port during a live call of three members and reports the damage.
// dotnet run -c Release --project tools/MediaFlood [-- --datagrams 1000000 --rate 20000]
int datagrams = 1_000_000, rate = 20_000;
for (int i = 0; i < args.Length; i++)
{
    string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
    switch (args[i])
    {
        case "--datagrams": datagrams = int.Parse(Next(), CultureInfo.InvariantCulture); break;
        case "--rate": rate = int.Parse(Next(), CultureInfo.InvariantCulture); break;
        default: throw new ArgumentException($"unknown option {args[i]} (--datagrams N, --rate N)");
    }
}
Console.WriteLine($".NET {Environment.Version}, {Environment.ProcessorCount} cores, load average {File.ReadAllText("/proc/loadavg").Split(' ')[0]}");
var result = await FloodRun.RunAsync(datagrams, rate);
foreach (var line in result.Lines())
{
    Console.WriteLine(line);
}
bool ok = result.ReceiveErrors == 0 && result.MemberSessionsClosed.Count == 0 && result.NewMemberConnected
    && result.Members.All(m => m.LongestMissingRun <= 5) && result.ManagedGrowthMiB < 10;
Console.WriteLine(ok ? "PASS: no crash, no member lost more than 100 ms of audio, memory within 10 MB" : "FAIL");
return ok ? 0 : 1;

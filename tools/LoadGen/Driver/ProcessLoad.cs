using System.Globalization;

namespace OpenChat.LoadGen.Driver;

/// <summary>CPU time and memory of a local process, from <c>/proc</c> (Linux).</summary>
internal readonly record struct ProcessLoad(int Pid, double CpuSeconds, long RssKiB, long PeakRssKiB)
{
    public static ProcessLoad? Read(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            // Fields after the command name, which is in parentheses and may contain spaces.
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            double ticks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
            long rss = 0, peak = 0;
            foreach (var line in File.ReadLines($"/proc/{pid}/status"))
            {
                if (line.StartsWith("VmRSS:", StringComparison.Ordinal)) rss = KiB(line);
                if (line.StartsWith("VmHWM:", StringComparison.Ordinal)) peak = KiB(line);
            }
            // Linux reports CPU time in clock ticks of 1/100 s (USER_HZ) on every common architecture.
            return new ProcessLoad(pid, ticks / 100.0, rss, peak);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
        {
            return null;
        }
    }

    private static long KiB(string line) =>
        long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);
}

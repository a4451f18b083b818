using System.Globalization;

namespace OpenChat.PathBench;

/// <summary>The command line.</summary>
public sealed record Options(IReadOnlyList<NetworkPath> Paths, int Joins, TimeSpan JoinTimeout, bool Verbose)
{
    public const string Usage = """
        PathBench: join to first audio over each network path, with headless Chromium.

        Starts the all-in-one server (src/Server, Release build) and Debian's coturn, each in a network namespace of its
        own, and for each path a namespace with two browsers whose nftables rules leave them only that path. Bob joins
        the voice channel and stays (his fake microphone plays 660 Hz); in the other browser (440 Hz) a new user signs
        in a new page for each join, joins, is timed, leaves and closes the page: one warm-up join, then --joins measured.
        Each join is timed in its page from the click on the voice channel to the first probe window (5.3 ms hop) in
        which Bob's tone is clear, and its selected candidate pair (getStats) must be the path's; a join on another
        path fails the run. Prints p50/p95/max per path (linear interpolation)
        and the machine's load average. Every namespace and process it makes is removed at the end, also on Ctrl-C.
        Needs root, /usr/bin/chromium, coturn, nftables and certutil (libnss3-tools).

        Usage: dotnet tools/PathBench/bin/Release/net10.0/OpenChat.PathBench.dll [options]

        Options:
          --paths LIST      comma-separated, in this order by default: udp,tcp,turn-udp,turn-tls,udp6
                              udp       direct UDP to the media node (open network)
                              tcp       direct ICE-TCP: the browsers' namespace drops all outgoing UDP (TURN over TLS stays reachable)
                              turn-udp  relayed by coturn over UDP: the browsers reach only TCP 443 of the server and coturn and UDP 3478 of coturn
                              turn-tls  relayed by coturn over TLS on 443: the browsers reach only TCP 443 of the server and coturn
                              udp6      direct UDP to the media node's IPv6 address (an IPv6-only namespace)
          --joins N         measured joins per path, after one warm-up join (default 8, 1 to 200)
          --join-timeout S  seconds a join may take to be heard before the run fails (default 30)
          --verbose         print every join
          --help            this text

        Exit code: 0 when every join was heard on its path, 1 when one was not (or took another path), 2 for bad
        options or a missing prerequisite, 130 when interrupted.
        """;

    /// <summary>
    /// Reads the command line: null and <paramref name="options"/>, or the exit code when there is nothing to run
    /// (0 after --help, 2 after printing what is wrong).
    /// </summary>
    public static int? FromCommandLine(string[] args, out Options options)
    {
        options = null!;
        if (args.Contains("--help") || args.Contains("-h"))
        {
            Console.WriteLine(Usage);
            return 0;
        }
        try
        {
            options = Parse(args);
            return null;
        }
        catch (ArgumentException e)
        {
            Console.Error.WriteLine(e.Message + " See --help.");
            return 2;
        }
    }

    public static Options Parse(string[] args)
    {
        IReadOnlyList<NetworkPath> paths = NetworkPath.All;
        var joins = 8;
        var timeout = TimeSpan.FromSeconds(30);
        var verbose = false;
        for (var i = 0; i < args.Length; i++)
        {
            string Value() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value.");
            switch (args[i])
            {
                case "--paths":
                    var names = Value().Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
                    paths = names.Select(n => NetworkPath.All.FirstOrDefault(p => p.Name == n)
                        ?? throw new ArgumentException($"Unknown path \"{n}\"; the paths are {string.Join(", ", NetworkPath.All.Select(p => p.Name))}.")).ToArray();
                    if (paths.Count == 0 || paths.Distinct().Count() != paths.Count) throw new ArgumentException("--paths names each path at most once, at least one.");
                    break;
                case "--joins":
                    joins = Number(Value(), "--joins", 1, 200);
                    break;
                case "--join-timeout":
                    timeout = TimeSpan.FromSeconds(Number(Value(), "--join-timeout", 5, 600));
                    break;
                case "--verbose":
                    verbose = true;
                    break;
                default:
                    throw new ArgumentException($"Unknown option {args[i]}.");
            }
        }
        return new Options(paths, joins, timeout, verbose);
    }

    private static int Number(string text, string name, int min, int max) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n >= min && n <= max
            ? n : throw new ArgumentException($"{name} is a whole number from {min} to {max}, not \"{text}\".");
}

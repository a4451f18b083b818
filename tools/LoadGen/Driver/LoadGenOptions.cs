using System.Globalization;

namespace OpenChat.LoadGen.Driver;

/// <summary>Command line of the benchmark driver.</summary>
internal sealed record LoadGenOptions
{
    public IReadOnlyList<string> Urls { get; init; } = [];
    public int Members { get; init; } = 100;
    public int Rooms { get; init; } = 20;
    public int TalkersPerRoom { get; init; } = 2;
    public int Seconds { get; init; } = 30;
    public int WarmupSeconds { get; init; } = 5;
    public string Signal { get; init; } = "tone";
    public bool JoinAtOnce { get; init; }
    public bool QuietRoom { get; init; }
    public int JoinBatch { get; init; } = 10;
    public int JoinTimeoutSeconds { get; init; } = 30;
    public string? AdminKey { get; init; }
    public string ChannelPrefix { get; init; } = "loadgen";
    public string Codec { get; init; } = "auto";
    public string Transport { get; init; } = "udp";
    public int MinGapMs { get; init; } = 60;
    public double UplinkLossPercent { get; init; }
    public IReadOnlyList<int> Pids { get; init; } = [];
    public AnalysisSample Analyse { get; init; } = AnalysisSample.Everyone;
    public Disruption? Disrupt { get; init; }

    public const string Usage = """
        usage: OpenChat.LoadGen --url http://127.0.0.1:8080 [--url URL ...] [options]
          --members N            simulated members (100)
          --rooms N              voice channels; member i joins room i mod N (20)
          --talkers-per-room N   members per room that talk, each with its own tone (2); the others send silence
          --seconds N            length of the measurement window (30)
          --warmup N             seconds of audio between everyone hearing their room and the window (5)
          --signal tone|speech   steady tones, or tones with syllables and pauses (tone)
          --join-at-once         start every member at the same moment (default: batches of --join-batch)
          --join-batch N         members started together when not joining at once (10)
          --join-timeout N       seconds a member may take to hear the room's talkers (30)
          --quiet-room           two more silent members in PREFIX-quiet, where nobody talks: anything audible there leaked
          --admin-key KEY        create missing voice channels PREFIX-1..PREFIX-N through the admin API
          --channel-prefix P     channel ids are P-1..P-N (loadgen)
          --codec auto|managed   Opus from the system libopus when loadable, or Concentus's C# code only (auto)
          --transport udp|tcp    members' media over UDP, or over ICE-TCP as browsers whose network drops UDP (the media
                                 node needs OpenChat:Media:RtcTcpPort) (udp)
          --min-gap-ms N         silences shorter than this while others talk are jitter, not gaps (60)
          --uplink-loss PCT      drop this share of every member's packets on the way to the server, at random (0)
          --pid PID              also report CPU and memory of this local server process (repeatable)
          --analyse N|P%         decode and analyse what N listeners (or P% of the listeners, rounded up) of each room hear,
                                 at least one; the others only count packets, loss, gaps (by RFC 6464 level) and
                                 underruns, and talkers are counted too (default: everyone is analysed)
          --analyse-talkers      with --analyse, analyse every talker as well (only they can tell whether they hear themselves)
          --disrupt term|kill:PID@S  S seconds into the window, send SIGTERM (a media node drains) or SIGKILL (it crashes) to
                                 the local process PID, and report the moved members' audio gaps
        """;

    public static LoadGenOptions Parse(string[] args)
    {
        var urls = new List<string>();
        var pids = new List<int>();
        string? analyse = null;
        bool analyseTalkers = false;
        var o = new LoadGenOptions();
        for (int i = 0; i < args.Length; i++)
        {
            string arg = args[i];
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{arg} needs a value");
            int NextInt() => int.Parse(Next(), CultureInfo.InvariantCulture);
            o = arg switch
            {
                "--url" => Add(urls, Next().TrimEnd('/'), o),
                "--members" => o with { Members = NextInt() },
                "--rooms" => o with { Rooms = NextInt() },
                "--talkers-per-room" => o with { TalkersPerRoom = NextInt() },
                "--seconds" => o with { Seconds = NextInt() },
                "--warmup" => o with { WarmupSeconds = NextInt() },
                "--signal" => o with { Signal = Next() },
                "--join-at-once" => o with { JoinAtOnce = true },
                "--quiet-room" => o with { QuietRoom = true },
                "--join-batch" => o with { JoinBatch = NextInt() },
                "--join-timeout" => o with { JoinTimeoutSeconds = NextInt() },
                "--admin-key" => o with { AdminKey = Next() },
                "--channel-prefix" => o with { ChannelPrefix = Next() },
                "--codec" => o with { Codec = Next() },
                "--transport" => o with { Transport = Next() },
                "--min-gap-ms" => o with { MinGapMs = NextInt() },
                "--uplink-loss" => o with { UplinkLossPercent = double.Parse(Next(), CultureInfo.InvariantCulture) },
                "--pid" => Add(pids, NextInt(), o),
                "--analyse" => Set(ref analyse, Next(), o),
                "--analyse-talkers" => Set(ref analyseTalkers, true, o),
                "--disrupt" => o with { Disrupt = Disruption.Parse(Next()) },
                _ => throw new ArgumentException($"unknown option {arg}"),
            };
        }
        o = o with { Urls = urls, Pids = pids };
        if (analyse is not null) o = o with { Analyse = AnalysisSample.Parse(analyse, analyseTalkers) };
        else if (analyseTalkers) throw new ArgumentException("--analyse-talkers goes with --analyse");
        if (o.Urls.Count == 0) throw new ArgumentException("at least one --url is required");
        if (o.Members < 1 || o.Rooms < 1 || o.Rooms > o.Members) throw new ArgumentException("need 1 <= --rooms <= --members");
        if (o.TalkersPerRoom < 0) throw new ArgumentException("--talkers-per-room must be 0 or more");
        if (o.Seconds < 1) throw new ArgumentException("--seconds must be at least 1");
        if (o.Disrupt is { } d && d.AfterSeconds >= o.Seconds) throw new ArgumentException("--disrupt must happen within the window (--seconds)");
        if (o.WarmupSeconds < 0) throw new ArgumentException("--warmup must be 0 or more");
        if (o.Signal is not ("tone" or "speech")) throw new ArgumentException("--signal tone|speech");
        if (o.Codec is not ("auto" or "managed")) throw new ArgumentException("--codec auto|managed");
        if (o.Transport is not ("udp" or "tcp")) throw new ArgumentException("--transport udp|tcp");
        if (o.UplinkLossPercent is < 0 or > 100) throw new ArgumentException("--uplink-loss is a percentage, 0 to 100");
        if (o.JoinBatch < 1) throw new ArgumentException("--join-batch must be at least 1");
        FrequencyPlan.Assign(o.Rooms, o.TalkersPerRoom);
        return o;
    }

    private static LoadGenOptions Set<T>(ref T field, T value, LoadGenOptions o)
    {
        field = value;
        return o;
    }

    private static LoadGenOptions Add<T>(List<T> list, T value, LoadGenOptions o)
    {
        list.Add(value);
        return o;
    }
}

/// <summary>A signal sent to a local server process during the window (<c>--disrupt term|kill:PID@S</c>).</summary>
internal sealed record Disruption(string Signal, int Pid, int AfterSeconds)
{
    public static Disruption Parse(string value)
    {
        var match = System.Text.RegularExpressions.Regex.Match(value, @"^(term|kill):(\d+)@(\d+)$");
        if (!match.Success) throw new ArgumentException("--disrupt takes term:PID@SECONDS or kill:PID@SECONDS");
        return new Disruption(match.Groups[1].Value, int.Parse(match.Groups[2].Value, CultureInfo.InvariantCulture),
            int.Parse(match.Groups[3].Value, CultureInfo.InvariantCulture));
    }

    /// <summary>The signal's number on Linux.</summary>
    public int Number => Signal == "kill" ? 9 : 15;
}

using OpenTelemetry.Metrics;
using System.Diagnostics;
using System.Globalization;
using Concentus;
using OpenChat.MediaNode.Engine;
using OpenChat.MixerBench;

// Engine capacity benchmark: real-time runs of the mixing engine on its MixerClock, fed synthetic RTP.
// Usage: see docs/mixer.md. Run in Release. One file of top-level statements (over 400 lines): the scenarios, the
// run loop and the report read in the order the benchmark runs them.
var options = BenchOptions.Parse(args);
// OPENCHAT_BENCH_METRICS=1 collects every OpenChat meter with the OpenTelemetry SDK once a second, as a node that
// exports metrics does, so that a run shows what measuring costs.
using var metrics = Environment.GetEnvironmentVariable("OPENCHAT_BENCH_METRICS") == "1"
    ? OpenTelemetry.Sdk.CreateMeterProviderBuilder().AddMeter("OpenChat.*")
        .AddInMemoryExporter(new List<OpenTelemetry.Metrics.Metric>(), reader => reader.PeriodicExportingMetricReaderOptions.ExportIntervalMilliseconds = 1000)
        .Build()
    : null;
Console.WriteLine($"metrics collected: {(metrics is null ? "no" : "yes (OpenTelemetry SDK, every second)")}");
if (options.Codec == "managed") OpusCodecFactory.AttemptToUseNativeLibrary = false;

var (encoderType, decoderType) = MixerEngine.CodecImplementation();
Console.WriteLine($"codec: encoder {encoderType}, decoder {decoderType} " +
                  $"({(encoderType.StartsWith("Native", StringComparison.Ordinal) ? "system libopus" : "Concentus C#")})");
Console.WriteLine($"machine: {Environment.ProcessorCount} logical cores, {Environment.OSVersion}, .NET {Environment.Version}");
Console.WriteLine($"settings: complexity {options.Complexity}, bandwidth {options.BandwidthHz} Hz, bitrate 32 kbps, FEC on, single talkers forwarded {(options.Forward ? "yes" : "no")}, seconds {options.Seconds}, repeats {options.Repeats}");
Console.WriteLine();

Corpus.BandwidthHz = options.BandwidthHz;
var speech = Corpus.Build(options.Complexity);
CodecProbe.Print(speech, options.Complexity);

if (options.Scenario is "all" or "rooms10")
{
    int rooms = options.Rooms ?? Calibrate(speech, options);
    var results = new List<RunResult>();
    for (int r = 0; r < options.Repeats; r++)
    {
        var result = Runner.Run(speech, options, rooms, membersPerRoom: 10, talkersPerRoom: 2);
        Report.Print($"rooms of 10 (2 talkers) x {rooms}, run {r + 1}", result);
        results.Add(result);
    }
    Report.PrintMedian($"rooms of 10 (2 talkers) x {rooms}, median of {results.Count}", results);
}

if (options.Scenario is "all" or "room1000")
{
    var results = new List<RunResult>();
    for (int r = 0; r < options.Repeats; r++)
    {
        var result = Runner.Run(speech, options, rooms: 1, membersPerRoom: 1000, talkersPerRoom: 3);
        Report.Print($"one room of 1,000 (3 talkers), run {r + 1}", result);
        results.Add(result);
    }
    Report.PrintMedian($"one room of 1,000 (3 talkers), median of {results.Count}", results);
}

static int Calibrate(Corpus speech, BenchOptions options)
{
    // Mix as fast as possible (no pacing) to estimate one room's CPU per tick, then size the real-time run
    // so that it should use 70% of the clock thread's core.
    const int probeRooms = 10;
    var cost = Runner.MeasureRoomCost(speech, options, probeRooms, membersPerRoom: 10, talkersPerRoom: 2);
    int rooms = Math.Max(1, (int)(0.70 * AudioFormat.FrameMilliseconds * 1000 / cost.TotalMicroseconds));
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"calibration: {cost.TotalMicroseconds:F0} us of CPU per room-tick (mixing {cost.MixMicroseconds:F0} us, packet arrival {cost.FeedMicroseconds:F0} us) -> {rooms} rooms for 70%"));
    Console.WriteLine();
    return rooms;
}

namespace OpenChat.MixerBench
{
    internal sealed record BenchOptions(string Scenario, int Seconds, int Repeats, int Complexity, string Codec, int? Rooms, int BandwidthHz, bool Forward)
    {
        public static BenchOptions Parse(string[] args)
        {
            string scenario = "all", codec = "managed";
            int seconds = 60, repeats = 3, complexity = 5, bandwidth = 20_000;
            int? rooms = null;
            bool forward = true;
            for (int i = 0; i < args.Length; i++)
            {
                string next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
                switch (args[i])
                {
                    case "--scenario": scenario = next(); break;
                    case "--seconds": seconds = int.Parse(next(), CultureInfo.InvariantCulture); break;
                    case "--repeat": repeats = int.Parse(next(), CultureInfo.InvariantCulture); break;
                    case "--complexity": complexity = int.Parse(next(), CultureInfo.InvariantCulture); break;
                    case "--codec": codec = next(); break;
                    case "--bandwidth": bandwidth = int.Parse(next(), CultureInfo.InvariantCulture); break;
                    case "--rooms": rooms = int.Parse(next(), CultureInfo.InvariantCulture); break;
                    case "--forward": forward = next() switch { "on" => true, "off" => false, _ => throw new ArgumentException("--forward on|off") }; break;
                    default: throw new ArgumentException($"unknown option {args[i]}");
                }
            }
            if (scenario is not ("all" or "rooms10" or "room1000" or "probe")) throw new ArgumentException("--scenario all|rooms10|room1000");
            if (codec is not ("managed" or "auto")) throw new ArgumentException("--codec managed|auto");
            return new BenchOptions(scenario, seconds, repeats, complexity, codec, rooms, bandwidth, forward);
        }
    }

    internal sealed record RunResult(
        int Members,
        int Rooms,
        double Seconds,
        double CoreUtilisation,
        double MixUtilisation,
        double TickP50Ms,
        double TickP99Ms,
        double TickMaxMs,
        long Ticks,
        long LateTicks,
        long MissedTicks,
        double LatenessMaxMs,
        double AllocatedBytesPerTick,
        double ProcessAllocatedBytesPerTick,
        int Gen0,
        double EncodesPerTick,
        double DecodesPerTick,
        double ForwardsPerTick,
        double CpuPerTickMs,
        string LoadAverage)
    {
        /// <summary>From the clock thread's CPU time per executed tick, so ticks lost to other processes do not flatter it.</summary>
        public double MembersPerCoreAt70 => Members * 0.70 * AudioFormat.FrameMilliseconds / CpuPerTickMs;
    }

    internal readonly record struct RoomCost(double MixMicroseconds, double FeedMicroseconds)
    {
        public double TotalMicroseconds => MixMicroseconds + FeedMicroseconds;
    }

    internal static class Report
    {
        public static void Print(string title, RunResult r) => Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{title}: {r.Members} members, CPU {r.CpuPerTickMs:F2} ms per tick = {r.CpuPerTickMs / AudioFormat.FrameMilliseconds * 100:F1}% of a core in real time " +
            $"(measured over the run: clock thread {r.CoreUtilisation * 100:F1}%, ticks' wall time {r.MixUtilisation * 100:F1}%), load average {r.LoadAverage}, " +
            $"tick p50 {r.TickP50Ms:F2} ms p99 {r.TickP99Ms:F2} ms max {r.TickMaxMs:F2} ms, ticks {r.Ticks}, late {r.LateTicks} " +
            $"(max {r.LatenessMaxMs:F1} ms), missed {r.MissedTicks}, allocated {r.AllocatedBytesPerTick:F0} B/tick on the clock thread " +
            $"({r.ProcessAllocatedBytesPerTick:F0} B/tick process), gen0 GCs {r.Gen0}, encodes/tick {r.EncodesPerTick:F1}, " +
            $"decodes/tick {r.DecodesPerTick:F1}, forwarded frames/tick {r.ForwardsPerTick:F1} -> {r.MembersPerCoreAt70:F0} members per core at 70%"));

        public static void PrintMedian(string title, List<RunResult> runs)
        {
            double Median(Func<RunResult, double> f)
            {
                var v = runs.Select(f).Order().ToArray();
                return v.Length % 2 == 1 ? v[v.Length / 2] : (v[v.Length / 2 - 1] + v[v.Length / 2]) / 2;
            }

            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"== {title}: {runs[0].Members} members; CPU per tick {Median(r => r.CpuPerTickMs):F2} ms = " +
                $"{Median(r => r.CpuPerTickMs) / AudioFormat.FrameMilliseconds * 100:F1}% of one core; tick p99 {Median(r => r.TickP99Ms):F2} ms; " +
                $"late ticks {Median(r => r.LateTicks):F0} of {Median(r => r.Ticks):F0}; missed {Median(r => r.MissedTicks):F0}; " +
                $"allocations {Median(r => r.AllocatedBytesPerTick):F0} B/tick (clock thread), {Median(r => r.ProcessAllocatedBytesPerTick):F0} B/tick (process); " +
                $"members per core at 70%: {Median(r => r.MembersPerCoreAt70):F0}"));
            Console.WriteLine();
        }
    }

    /// <summary>Pre-encoded packets: a synthetic voice for talkers and silence for listeners.</summary>
    internal sealed class Corpus
    {
        public const int Frames = 500;

        /// <summary>Bandwidth of the mixer's encoders; the talkers' own packets are always fullband, as browsers send.</summary>
        public static int BandwidthHz { get; set; } = 20_000;

        private Corpus(byte[][] voice, byte[] voiceLevels, byte[][] silence)
        {
            Voice = voice;
            VoiceLevels = voiceLevels;
            Silence = silence;
        }

        public byte[][] Voice { get; }

        public byte[] VoiceLevels { get; }

        public byte[][] Silence { get; }

        public static Corpus Build(int complexity)
        {
            var settings = new EncoderSettings { Complexity = complexity };
            var voiceEncoder = new OpusFrameEncoder(settings);
            var silenceEncoder = new OpusFrameEncoder(settings);
            var pcm = new short[AudioFormat.FrameSamples];
            var silentPcm = new short[AudioFormat.FrameSamples];
            var voice = new byte[Frames][];
            var levels = new byte[Frames];
            var silence = new byte[Frames][];
            double phase = 0;
            for (int f = 0; f < Frames; f++)
            {
                for (int i = 0; i < pcm.Length; i++)
                {
                    // A voiced sound: ten harmonics of a pitch gliding 110..180 Hz, in 4 Hz syllables.
                    double t = (f * pcm.Length + i) / (double)AudioFormat.SampleRate;
                    double pitch = 145 + 35 * Math.Sin(2 * Math.PI * 0.3 * t);
                    phase += 2 * Math.PI * pitch / AudioFormat.SampleRate;
                    double sample = 0;
                    for (int h = 1; h <= 10; h++) sample += Math.Sin(h * phase) / h;
                    double envelope = 0.2 + 0.8 * Math.Pow(Math.Sin(Math.PI * 4 * t), 2);
                    pcm[i] = (short)(3000 * envelope * sample);
                }
                voiceEncoder.Encode(pcm);
                voice[f] = voiceEncoder.Packet.ToArray();
                levels[f] = AudioLevel.FromPcm(pcm);
                silenceEncoder.Encode(silentPcm);
                silence[f] = silenceEncoder.Packet.ToArray();
            }
            return new Corpus(voice, levels, silence);
        }
    }

    /// <summary>Feeds every member one packet per tick, as the network receive path would.</summary>
    internal sealed class Feeder
    {
        private readonly Corpus _corpus;
        private readonly MixerRoom[] _rooms;
        private readonly int _members;
        private readonly int _talkers;
        private int _frame;

        public Feeder(Corpus corpus, MixerRoom[] rooms, int members, int talkers)
        {
            _corpus = corpus;
            _rooms = rooms;
            _members = members;
            _talkers = talkers;
        }

        public long Fed => _frame;

        public void Feed(long arrivalTicks)
        {
            int f = _frame % Corpus.Frames;
            ushort sequence = unchecked((ushort)_frame);
            uint timestamp = unchecked((uint)(_frame * AudioFormat.FrameSamples));
            foreach (var room in _rooms)
            {
                for (int m = 0; m < _members; m++)
                {
                    bool talker = m < _talkers;
                    // Talkers start at different points of the corpus so they do not speak in unison.
                    int frame = talker ? (f + 97 * m) % Corpus.Frames : f;
                    byte[] payload = talker ? _corpus.Voice[frame] : _corpus.Silence[frame];
                    byte level = talker ? _corpus.VoiceLevels[frame] : AudioLevel.Silence;
                    room.OnPacket(new MemberId(m), sequence, timestamp, payload, level, arrivalTicks);
                }
            }
            _frame++;
        }
    }

    /// <summary>The codec alone, for comparison with the engine's cost per room.</summary>
    internal static class CodecProbe
    {
        public static void Print(Corpus corpus, int complexity)
        {
            var encoder = new OpusFrameEncoder(new EncoderSettings { Complexity = complexity, MaxBandwidthHz = Corpus.BandwidthHz });
            var decoder = new OpusFrameDecoder();
            var pcm = new short[AudioFormat.FrameSamples];
            const int n = 2000;
            // Warm up long enough for tiered JIT to settle on optimised code.
            for (int i = 0; i < 3 * n; i++)
            {
                decoder.Decode(corpus.Voice[i % Corpus.Frames], pcm);
                encoder.Encode(pcm);
            }
            long a0 = GC.GetAllocatedBytesForCurrentThread();
            double c0 = ThreadCpu.Seconds();
            for (int i = 0; i < n; i++) decoder.Decode(corpus.Voice[i % Corpus.Frames], pcm);
            double c1 = ThreadCpu.Seconds();
            for (int i = 0; i < n; i++) encoder.Encode(pcm);
            double c3 = ThreadCpu.Seconds();
            long a1 = GC.GetAllocatedBytesForCurrentThread();
            double decodeUs = (c1 - c0) / n * 1e6;
            double encodeUs = (c3 - c1) / n * 1e6;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"codec alone (thread CPU): decode {decodeUs:F0} us, encode {encodeUs:F0} us (complexity {complexity}); " +
                $"allocated {(a1 - a0) / n} B per decode+encode; 3 encodes + 2 decodes = {3 * encodeUs + 2 * decodeUs:F0} us"));
            Console.WriteLine();
        }
    }

    internal sealed class NullSink : IAudioSink
    {
        public long Bytes;

        public void OnFrame(ReadOnlySpan<byte> opus, uint rtpTimestamp, ushort sequenceNumber, bool marker, byte audioLevelDbov) => Bytes += opus.Length;
    }

    internal static class Runner
    {
        public static (MixerEngine Engine, MixerRoom[] Rooms, Feeder Feeder) Build(
            Corpus corpus, BenchOptions options, int rooms, int membersPerRoom, int talkersPerRoom)
        {
            var engine = new MixerEngine(new EngineOptions
            {
                RandomSeed = 1,
                ForwardSingleTalker = options.Forward,
                Encoder = new EncoderSettings { Complexity = options.Complexity, MaxBandwidthHz = options.BandwidthHz },
            });
            var sink = new NullSink();
            var roomArray = new MixerRoom[rooms];
            for (int r = 0; r < rooms; r++)
            {
                roomArray[r] = engine.CreateRoom(new RoomId($"room-{r}"));
                for (int m = 0; m < membersPerRoom; m++) roomArray[r].AddMember(new MemberId(m), sink);
            }
            return (engine, roomArray, new Feeder(corpus, roomArray, membersPerRoom, talkersPerRoom));
        }

        public static string LoadAverage()
        {
            try
            {
                return string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(1));
            }
            catch (IOException)
            {
                return "?";
            }
        }

        public static RoomCost MeasureRoomCost(Corpus corpus, BenchOptions options, int rooms, int membersPerRoom, int talkersPerRoom)
        {
            var (engine, _, feeder) = Build(corpus, options, rooms, membersPerRoom, talkersPerRoom);
            using (engine)
            {
                long period = Stopwatch.Frequency / 50;
                long now = Stopwatch.GetTimestamp();
                double mixCpu = 0, feedCpu = 0;
                const int warmUp = 250, measured = 500;
                for (int t = 0; t < warmUp + measured; t++)
                {
                    double c0 = ThreadCpu.Seconds();
                    feeder.Feed(now);
                    double c1 = ThreadCpu.Seconds();
                    now += period;
                    engine.Tick(now);
                    double c2 = ThreadCpu.Seconds();
                    if (t < warmUp) continue;
                    feedCpu += c1 - c0;
                    mixCpu += c2 - c1;
                }
                double perRoomTick = 1e6 / (measured * (double)rooms);
                return new RoomCost(mixCpu * perRoomTick, feedCpu * perRoomTick);
            }
        }

        public static RunResult Run(Corpus corpus, BenchOptions options, int rooms, int membersPerRoom, int talkersPerRoom)
        {
            var (engine, _, feeder) = Build(corpus, options, rooms, membersPerRoom, talkersPerRoom);
            using (engine)
            {
                int warmUpTicks = Math.Min(250, options.Seconds * 50 / 4);
                int totalTicks = warmUpTicks + options.Seconds * 50;
                int tick = 0;
                double cpuStart = 0, cpuEnd = 0;
                long allocStart = 0, allocEnd = 0, processAllocStart = 0, processAllocEnd = 0, wallStart = 0, wallEnd = 0;
                long encodesStart = 0, decodesStart = 0, forwardsStart = 0;
                int gen0Start = 0;
                var done = new ManualResetEventSlim();
                long period = Stopwatch.Frequency / 50;
                long feedStart = 0;

                string loadStart = LoadAverage();
                var clock = new MixerClock(engine)
                {
                    AfterTick = scheduled =>
                    {
                        // Runs on the clock thread right after each tick: packets for the next tick arrive now.
                        tick++;
                        if (tick == warmUpTicks)
                        {
                            engine.Counters.ResetTickStatistics();
                            cpuStart = ThreadCpu.Seconds();
                            allocStart = GC.GetAllocatedBytesForCurrentThread();
                            processAllocStart = GC.GetTotalAllocatedBytes(false);
                            gen0Start = GC.CollectionCount(0);
                            wallStart = Stopwatch.GetTimestamp();
                            encodesStart = engine.Counters.Encodes;
                            decodesStart = engine.Counters.Decodes;
                            forwardsStart = engine.Counters.Forwards;
                        }
                        // Packets arrive in real time whether or not the clock kept up, as from a network.
                        long nowTicks = Stopwatch.GetTimestamp();
                        feedStart = feedStart == 0 ? nowTicks : feedStart;
                        long due = (nowTicks - feedStart) / period + 1;
                        for (int n = 0; feeder.Fed < due && n < 10; n++) feeder.Feed(nowTicks);
                        if (tick == totalTicks)
                        {
                            cpuEnd = ThreadCpu.Seconds();
                            allocEnd = GC.GetAllocatedBytesForCurrentThread();
                            processAllocEnd = GC.GetTotalAllocatedBytes(false);
                            wallEnd = Stopwatch.GetTimestamp();
                            done.Set();
                        }
                    },
                };
                clock.Start();
                done.Wait();
                clock.Stop();

                var counters = engine.Counters;
                double wallSeconds = (wallEnd - wallStart) / (double)Stopwatch.Frequency;
                long ticks = totalTicks - warmUpTicks;
                double mixWallSeconds = counters.TickDuration.Mean.TotalSeconds * counters.TickDuration.Count;
                return new RunResult(
                    Members: rooms * membersPerRoom,
                    Rooms: rooms,
                    Seconds: wallSeconds,
                    CoreUtilisation: (cpuEnd - cpuStart) / wallSeconds,
                    MixUtilisation: mixWallSeconds / wallSeconds,
                    TickP50Ms: counters.TickDuration.Percentile(0.50).TotalMilliseconds,
                    TickP99Ms: counters.TickDuration.Percentile(0.99).TotalMilliseconds,
                    TickMaxMs: counters.TickDuration.Max.TotalMilliseconds,
                    Ticks: counters.TickDuration.Count,
                    LateTicks: counters.LateTicks,
                    MissedTicks: counters.MissedTicks,
                    LatenessMaxMs: counters.Lateness.Max.TotalMilliseconds,
                    AllocatedBytesPerTick: (allocEnd - allocStart) / (double)ticks,
                    ProcessAllocatedBytesPerTick: (processAllocEnd - processAllocStart) / (double)ticks,
                    Gen0: GC.CollectionCount(0) - gen0Start,
                    EncodesPerTick: (counters.Encodes - encodesStart) / (double)ticks,
                    DecodesPerTick: (counters.Decodes - decodesStart) / (double)ticks,
                    ForwardsPerTick: (counters.Forwards - forwardsStart) / (double)ticks,
                    CpuPerTickMs: (cpuEnd - cpuStart) * 1000 / Math.Max(1, counters.TickDuration.Count),
                    LoadAverage: loadStart + " -> " + LoadAverage());
            }
        }
    }
}

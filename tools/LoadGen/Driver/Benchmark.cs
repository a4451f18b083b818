using System.Diagnostics;
using System.Globalization;
using Concentus;
using OpenChat.SimulatedClients;
using OpenChat.SimulatedClients.Network;
using OpenChat.SimulatedClients.Audio;
using OpenChat.SimulatedClients.Measurement;

namespace OpenChat.LoadGen.Driver;

/// <summary>
/// The benchmark: joins simulated members to voice rooms, waits until each hears its room's talkers, measures a
/// window of real-time audio, and prints join times, who heard what, gaps, loss and load.
/// </summary>
internal sealed class Benchmark(LoadGenOptions options, TextWriter output)
{
    private sealed record Seat(int Index, int Room, int Place, string Channel, VoiceSignal Signal, int? FrequencyHz, SimulatedMember Member)
    {
        /// <summary>Whether the member decodes and analyses what it hears; otherwise it only counts (<c>--analyse</c>).</summary>
        public bool Analysed => Member.Options.Analysis == ListenerAnalysis.Full;
    }

    /// <summary>Runs the benchmark; returns the process exit code (0 when every member heard exactly what it should).</summary>
    public async Task<int> RunAsync(CancellationToken token)
    {
        if (options.Codec == "managed") OpusCodecFactory.AttemptToUseNativeLibrary = false;
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(15) };
        var primary = options.Urls[0];
        Line($"LoadGen: {options.Members} members in {options.Rooms} rooms, {options.TalkersPerRoom} talkers per room ({options.Signal}), " +
             $"{options.Seconds} s window{(options.UplinkLossPercent > 0 ? $", {options.UplinkLossPercent}% uplink loss" : "")}; gateways {string.Join(", ", options.Urls)}");
        Line($"analysed (decoded, tones checked): {options.Analyse}; codec {OpusCodecs.Implementation()}; media over {(options.Transport == "tcp" ? "ICE-TCP" : "UDP")}; {Environment.ProcessorCount} logical cores; .NET {Environment.Version}");

        foreach (var url in options.Urls) await WaitReadyAsync(http, url, token);
        var channels = await ChannelSetup.EnsureVoiceChannelsAsync(http, primary, options.ChannelPrefix, options.Rooms, options.QuietRoom,
            options.AdminKey, token);
        Line($"voice channels: {string.Join(", ", channels)}");

        var plan = FrequencyPlan.Assign(options.Rooms, options.TalkersPerRoom);
        bool hints = options.Rooms > 1 && FrequencyPlan.StepHz(options.Rooms, options.TalkersPerRoom) >= FrequencyPlan.AttributableHz;
        if (options.Rooms > 1 && !hints && !options.QuietRoom)
        {
            Line($"note: tones of different rooms are {FrequencyPlan.StepHz(options.Rooms, options.TalkersPerRoom)} Hz apart, too close to tell " +
                 "which room a tone came from; --quiet-room checks for audio leaking between rooms instead");
        }
        // Each signal loop is encoded once, when a member first needs it; do them all now, on every core.
        var encodeWatch = Stopwatch.StartNew();
        VoiceSignal SignalOf(int hz) => options.Signal == "speech" ? VoiceSignal.Speech(hz) : VoiceSignal.Tone(hz);
        var signals = plan.SelectMany(r => r).Select(SignalOf).Append(VoiceSignal.Silence).ToArray();
        Parallel.ForEach(signals, s => EncodedSignal.For(s));
        Line($"encoded {signals.Length} signal loops in {encodeWatch.Elapsed.TotalSeconds:0.0} s");

        var seats = new List<Seat>();
        for (int i = 0; i < options.Members; i++)
        {
            int room = i % options.Rooms, seat = i / options.Rooms;
            int? frequency = seat < options.TalkersPerRoom ? plan[room][seat] : null;
            var signal = frequency is { } f ? SignalOf(f) : VoiceSignal.Silence;
            var gateways = options.Urls.Skip(i % options.Urls.Count).Concat(options.Urls.Take(i % options.Urls.Count)).ToArray();
            var member = new SimulatedMember(new SimulatedMemberOptions
            {
                Gateways = gateways,
                DisplayName = $"LoadGen r{room + 1} m{seat}",
                ChannelId = channels[room],
                Signal = signal,
                CandidateFrequencies = plan[room].Select(x => (double)x).ToArray(),
                MinGap = TimeSpan.FromMilliseconds(options.MinGapMs),
                UplinkLoss = options.UplinkLossPercent / 100,
                // Each member is a client of its own, as on the internet: per-address limits stay at their defaults.
                SourceAddress = SourceAddress.Next(),
                UseTcp = options.Transport == "tcp",
                Analysis = options.Analyse.Analyses(i, options.Members, options.Rooms, options.TalkersPerRoom) ? ListenerAnalysis.Full : ListenerAnalysis.Count,
            });
            seats.Add(new Seat(i, room, seat, channels[room], signal, frequency, member));
        }
        for (int q = 0; options.QuietRoom && q < 2; q++)
        {
            int i = options.Members + q;
            var member = new SimulatedMember(new SimulatedMemberOptions
            {
                Gateways = options.Urls.Skip(i % options.Urls.Count).Concat(options.Urls.Take(i % options.Urls.Count)).ToArray(),
                DisplayName = $"LoadGen quiet m{q}",
                ChannelId = channels[options.Rooms],
                Signal = VoiceSignal.Silence,
                CandidateFrequencies = plan.SelectMany(r => r).Select(x => (double)x).ToArray(),
                MinGap = TimeSpan.FromMilliseconds(options.MinGapMs),
                SourceAddress = SourceAddress.Next(),
                UseTcp = options.Transport == "tcp",
            });
            seats.Add(new Seat(i, options.Rooms, q, channels[options.Rooms], VoiceSignal.Silence, null, member));
        }

        try
        {
            var joinFailures = await JoinAsync(seats, token);
            var hearingFailures = await WaitHearingAsync(seats, joinFailures, token);
            return await MeasureAsync(http, seats, joinFailures, hearingFailures, hints, token);
        }
        finally
        {
            var leaving = Stopwatch.StartNew();
            foreach (var batch in seats.Chunk(20)) await Task.WhenAll(batch.Select(s => s.Member.DisposeAsync().AsTask()));
            Line($"left in {leaving.Elapsed.TotalSeconds:0.0} s");
        }
    }

    private async Task<Dictionary<Seat, string>> JoinAsync(List<Seat> seats, CancellationToken token)
    {
        var failures = new Dictionary<Seat, string>();
        var watch = Stopwatch.StartNew();
        async Task Start(Seat seat)
        {
            try
            {
                await seat.Member.StartAsync(token).WaitAsync(TimeSpan.FromSeconds(options.JoinTimeoutSeconds), token);
            }
            catch (Exception e) when (!token.IsCancellationRequested)
            {
                lock (failures) failures[seat] = e is TimeoutException ? "join timed out" : $"{e.GetType().Name}: {e.Message}";
            }
        }
        if (options.JoinAtOnce)
        {
            await Task.WhenAll(seats.Select(Start));
        }
        else
        {
            foreach (var batch in seats.Chunk(options.JoinBatch)) await Task.WhenAll(batch.Select(Start));
        }
        Line($"joined {seats.Count - failures.Count} of {seats.Count} in {watch.Elapsed.TotalSeconds:0.0} s " +
             $"({(options.JoinAtOnce ? "all at once" : $"batches of {options.JoinBatch}")})");
        foreach (var (seat, error) in failures.Take(5)) Line($"  {seat.Member.DisplayName}: {error}");
        return failures;
    }

    /// <summary>Waits until every joined member hears each other talker of its room (that is its join-to-first-audio).</summary>
    private async Task<Dictionary<Seat, string>> WaitHearingAsync(List<Seat> seats, Dictionary<Seat, string> joinFailures, CancellationToken token)
    {
        var failures = new Dictionary<Seat, string>();
        var watch = Stopwatch.StartNew();
        await Task.WhenAll(seats.Where(s => !joinFailures.ContainsKey(s)).Select(async seat =>
        {
            var others = OthersTalking(seats, seat, joinFailures);
            if (others.Length == 0) return;
            try
            {
                var timeout = TimeSpan.FromSeconds(options.JoinTimeoutSeconds);
                // A member that only counts cannot tell the tones apart: it waits for audible packets.
                if (seat.Analysed) await seat.Member.WaitUntilHearingAsync(others, timeout, token);
                else await seat.Member.WaitUntilAsync(s => s.AudibleFrames >= seat.Member.Options.MinHeardFrames, timeout, token);
            }
            catch (TimeoutException e)
            {
                lock (failures) failures[seat] = e.Message;
            }
        }));
        Line($"everyone who should hear someone did so within {watch.Elapsed.TotalSeconds:0.0} s, except {failures.Count}");
        foreach (var (_, error) in failures.Take(5)) Line($"  {error}");
        return failures;
    }

    private async Task<int> MeasureAsync(HttpClient http, List<Seat> seats, Dictionary<Seat, string> joinFailures,
        Dictionary<Seat, string> hearingFailures, bool hints, CancellationToken token)
    {
        var joined = seats.Where(s => !joinFailures.ContainsKey(s)).ToList();
        var clock = FrameClock.Shared;
        if (options.WarmupSeconds > 0)
        {
            // Joining was the busiest moment (JIT, new rooms, handshakes); measure steady audio.
            Line($"warming up {options.WarmupSeconds} s");
            await Task.Delay(TimeSpan.FromSeconds(options.WarmupSeconds), token);
        }
        var mediaStart = options.AdminKey is null ? null : await MediaNodes.ReadAsync(http, options.Urls[0], options.AdminKey, token);
        var ownCpuStart = Process.GetCurrentProcess().TotalProcessorTime;
        var serversStart = options.Pids.Select(ProcessLoad.Read).ToArray();
        long lateStart = clock.LateFrames, skippedStart = clock.SkippedFrames, runStart = clock.FramesRun;
        foreach (var seat in joined) seat.Member.ResetWindow();
        var window = Stopwatch.StartNew();
        Line($"measuring {options.Seconds} s");
        var disruption = options.Disrupt is { } d ? DisruptAsync(d, token) : Task.CompletedTask;
        while (window.Elapsed < TimeSpan.FromSeconds(options.Seconds))
        {
            var left = TimeSpan.FromSeconds(options.Seconds) - window.Elapsed;
            await Task.Delay(left < TimeSpan.FromSeconds(5) ? left : TimeSpan.FromSeconds(5), token);
            var now = joined.Select(s => s.Member.Stats).ToArray();
            Line(string.Create(CultureInfo.InvariantCulture,
                $"  {window.Elapsed.TotalSeconds,4:0} s: {now.Sum(s => s.PacketsReceived)} packets received, {now.Sum(s => s.PacketsLost)} lost, " +
                $"{now.Sum(s => s.Gaps.Count)} gaps, {now.Sum(s => s.Reconnects.Count)} media reconnects, " +
                $"{now.Sum(s => s.SignallingReconnects.Count)} signalling reconnects"));
        }
        await disruption;
        var elapsed = window.Elapsed;
        var stats = joined.ToDictionary(s => s, s => s.Member.Stats);
        var ownCpu = Process.GetCurrentProcess().TotalProcessorTime - ownCpuStart;
        var serversEnd = options.Pids.Select(ProcessLoad.Read).ToArray();
        var mediaEnd = options.AdminKey is null ? null : await MediaNodes.ReadAsync(http, options.Urls[0], options.AdminKey, token);

        Line("");
        Line("== join");
        var joinTimes = stats.Values.Where(s => s.JoinTime is not null).Select(s => s.JoinTime!.Value.TotalMilliseconds).ToArray();
        Line($"joined {joined.Count} of {seats.Count}; join to first audio (JoinVoice call to first audible frame" +
             (options.Analyse.IsEveryone ? "" : "; counted members: first packet with an audible level") + $") for {joinTimes.Length} members: " +
             Distribution(joinTimes, "ms"));
        var phases = stats.Values.Select(s => s.Join).OfType<JoinTimes>().ToArray();
        if (phases.Length > 0)
        {
            Line($"  session+hub+OpenChannel {Distribution(phases.Select(p => p.Signalling.TotalMilliseconds), "ms")}");
            Line($"  JoinVoice call          {Distribution(phases.Select(p => p.JoinVoiceCall.TotalMilliseconds), "ms")}");
            Line($"  ICE+DTLS                {Distribution(phases.Select(p => p.MediaConnect.TotalMilliseconds), "ms")}");
        }

        Line("");
        Line("== who heard what (window)");
        int wrong = joinFailures.Count + hearingFailures.Count;
        int analysedHearing = 0, analysedListening = 0, countedHearing = 0, countedListening = 0, ownChecked = 0;
        foreach (var room in seats.GroupBy(s => s.Room).OrderBy(g => g.Key))
        {
            var talkers = room.Where(s => s.FrequencyHz is not null).ToArray();
            var problems = new List<string>();
            foreach (var seat in room)
            {
                if (!stats.TryGetValue(seat, out var s))
                {
                    problems.Add($"{seat.Member.DisplayName}: not joined ({joinFailures[seat]})");
                    continue;
                }
                var expected = OthersTalking(seats, seat, joinFailures);
                var notes = new List<string>();
                if (!seat.Analysed)
                {
                    // Counted only: it can tell that audible audio arrived, not whose.
                    bool silent = expected.Length > 0 && s.AudibleFrames < seat.Member.Options.MinHeardFrames;
                    if (expected.Length > 0) countedListening++;
                    if (expected.Length > 0 && !silent) countedHearing++;
                    if (silent)
                    {
                        problems.Add($"{seat.Member.DisplayName} (counted): {s.AudibleFrames} audible packets in the window");
                        wrong++;
                    }
                    continue;
                }
                var missed = expected.Where(f => !s.Frequencies.Any(h => Math.Abs(h.FrequencyHz - f) < 0.5 && h.Heard)).ToArray();
                if (expected.Length > 0) analysedListening++;
                if (expected.Length > 0 && missed.Length == 0) analysedHearing++;
                if (seat.FrequencyHz is not null) ownChecked++;
                if (missed.Length > 0) notes.Add($"did not hear {string.Join(", ", missed.Select(f => $"{f:0} Hz"))}");
                bool ownPersistent = false;
                if (s.HeardOwnTone)
                {
                    var own = s.Frequencies.First(f => Math.Abs(f.FrequencyHz - seat.FrequencyHz!.Value) < 0.5);
                    ownPersistent = own.Frames >= Persistent(s);
                    var sporadic = ownPersistent ? "" : ": sporadic, under 5% of the audible frames";
                    notes.Add(string.Create(CultureInfo.InvariantCulture,
                        $"its own frequency in {own.Frames} of {s.AudibleFrames} frames (mean {own.MeanDb:0} dB){sporadic}"));
                }
                var foreign = hints ? ForeignTones(seats, seat, s) : [];
                // Only a hint: concealment bends a tone by a per cent or two, which can land it near another room's.
                if (foreign.Length > 0) notes.Add($"near other rooms' tones (a hint only): {string.Join(", ", foreign)}");
                bool leaked = seat.Room == options.Rooms && s.AudibleFrames >= seat.Member.Options.MinHeardFrames;
                if (leaked)
                {
                    var loudest = s.DominantFrequencies.FirstOrDefault();
                    notes.Add($"heard {s.AudibleFrames} audible frames where nobody talks (mostly {loudest?.FrequencyHz:0} Hz)");
                }
                if (notes.Count > 0)
                {
                    problems.Add($"{seat.Member.DisplayName}: {string.Join("; ", notes)}");
                    if (missed.Length > 0 || ownPersistent || leaked) wrong++;
                }
            }
            var talkerText = talkers.Length == 0 ? "no talkers" : "talkers " + string.Join(", ", talkers.Select(t => $"{t.Member.DisplayName} {t.FrequencyHz} Hz"));
            int counted = room.Count(s => !s.Analysed);
            var verdict = room.Key == options.Rooms ? "nobody heard anything"
                : counted == 0 ? "everyone heard every other talker and not themselves"
                : $"the {room.Count() - counted} analysed heard every other talker and not themselves, the {counted} counted heard audible audio";
            Line($"{room.First().Channel}: {room.Count()} members, {talkerText}: " +
                 (problems.Count == 0 ? verdict : $"{problems.Count} with findings"));
            foreach (var p in problems) Line($"  {p}");
        }

        if (!options.Analyse.IsEveryone)
        {
            Line($"sampled: heard every other talker of their room: {analysedHearing} of {analysedListening} analysed members; " +
                 $"own tone checked for {ownChecked} talkers; counted members (tones not checked) with audible audio: {countedHearing} of {countedListening}");
        }

        Line("");
        Line("== gaps (no audible audio for at least " + options.MinGapMs + " ms while others talked), window" +
             (options.Analyse.IsEveryone ? "" : ", every member (counted members: audible by the packets' RFC 6464 levels)"));
        var gaps = stats.Values.SelectMany(s => s.Gaps).Select(g => g.Duration.TotalMilliseconds).ToArray();
        Line($"{gaps.Length} gaps in {stats.Values.Count(s => s.Gaps.Count > 0)} of {stats.Count} members: {Distribution(gaps, "ms")}");
        var coverage = stats.Values.Where(s => s.ExpectedAudio > TimeSpan.Zero).Select(s => s.ExpectedCoverage).ToArray();
        if (coverage.Length > 0)
        {
            Line(string.Create(CultureInfo.InvariantCulture,
                $"expected audio heard: mean {coverage.Average() * 100:0.00}% of 20 ms slots, worst member {coverage.Min() * 100:0.00}%"));
        }

        Line("");
        Line("== packets, window");
        long received = stats.Values.Sum(s => s.PacketsReceived), lost = stats.Values.Sum(s => s.PacketsLost);
        if (options.Signal == "tone")
        {
            // With steady tones a listener's mix never pauses: 50 packets a second is what a mixer keeping time sends.
            var listeners = stats.Where(kv => OthersTalking(seats, kv.Key, joinFailures).Length > 0).ToArray();
            double due = listeners.Length * elapsed.TotalSeconds * AudioFormat.FramesPerSecond;
            if (due > 0)
            {
                Line(string.Create(CultureInfo.InvariantCulture,
                    $"the mixer delivered {listeners.Sum(kv => kv.Value.PacketsReceived) / due * 100:0.0}% of the packets a listener gets in real time"));
            }
        }
        var underruns = stats.Values.Where(v => v.PacketsReceived > 0).Select(v => v.PlayoutUnderruns / elapsed.TotalMinutes).ToArray();
        if (underruns.Length > 0)
        {
            Line(string.Create(CultureInfo.InvariantCulture,
                $"a listener with a 60 ms jitter buffer would run dry {underruns.Average():0.0} times a minute on average (worst member {underruns.Max():0.0})"));
        }
        Line(string.Create(CultureInfo.InvariantCulture,
            $"received {received}, lost {lost} ({(received + lost == 0 ? 0 : 100.0 * lost / (received + lost)):0.000}%), late {stats.Values.Sum(s => s.PacketsLate)}, " +
            $"duplicated {stats.Values.Sum(s => s.PacketsDuplicated)}, concealed frames {stats.Values.Sum(s => s.FramesConcealed)}; " +
            $"sent {stats.Values.Sum(s => s.PacketsSent)} ({stats.Values.Sum(s => s.PacketsSent) / elapsed.TotalSeconds:0}/s)"));
        int mediaReconnects = stats.Values.Sum(s => s.Reconnects.Count), signalling = stats.Values.Sum(s => s.SignallingReconnects.Count);
        if (mediaReconnects + signalling > 0 || stats.Values.Any(s => s.Ended is not null))
        {
            var audioGaps = stats.Values.SelectMany(s => s.Reconnects).Where(r => r.AudioGap is not null).Select(r => r.AudioGap!.Value.TotalMilliseconds);
            Line($"media reconnects {mediaReconnects} (audio gap {Distribution(audioGaps, "ms")}), signalling reconnects {signalling} " +
                 $"(voice state intact in {stats.Values.SelectMany(s => s.SignallingReconnects).Count(r => r.VoiceStateIntact)}), " +
                 $"voice ended by the server for {stats.Values.Count(s => s.Ended is not null)}");
        }

        if (options.Disrupt is { } disrupted)
        {
            // A member that moved: its longest silence in the window is the gap the move cost it (the same measure as
            // the cluster tests'); a renegotiation that never connected is a failed join.
            var moved = stats.Values.Where(s => s.Reconnects.Count > 0).ToArray();
            Line("");
            Line($"== {(disrupted.Signal == "kill" ? "crash (SIGKILL)" : "drain (SIGTERM)")} of process {disrupted.Pid}");
            Line($"{moved.Length} members moved; their longest gap in the window: {Distribution(moved.Select(s => s.LongestGap.TotalMilliseconds), "ms")}");
            Line($"  reconnect to new session connected: {Distribution(moved.SelectMany(s => s.Reconnects).Where(r => r.Connected is not null).Select(r => r.Connected!.Value.TotalMilliseconds), "ms")}");
            Line($"  renegotiations that did not connect: {moved.SelectMany(s => s.Reconnects).Count(r => r.Error is not null)}; " +
                 $"attempts per reconnect: max {moved.SelectMany(s => s.Reconnects).Select(r => r.Attempts).DefaultIfEmpty(0).Max()}");
            var unmoved = stats.Values.Where(s => s.Reconnects.Count == 0 && s.ExpectedAudio > TimeSpan.Zero).ToArray();
            Line($"{unmoved.Length} members not moved; their longest gap: {Distribution(unmoved.Select(s => s.LongestGap.TotalMilliseconds), "ms")}");
        }

        Line("");
        Line("== load");
        Line(string.Create(CultureInfo.InvariantCulture,
            $"LoadGen: {ownCpu.TotalSeconds / elapsed.TotalSeconds * 100:0}% of one core; clock ran {clock.FramesRun - runStart} frames, " +
            $"{clock.LateFrames - lateStart} late by over 5 ms, {clock.SkippedFrames - skippedStart} skipped, latest {clock.MaxLateness.TotalMilliseconds:0.0} ms"));
        for (int i = 0; i < options.Pids.Count; i++)
        {
            if (serversStart[i] is { } a && serversEnd[i] is { } b)
            {
                Line(string.Create(CultureInfo.InvariantCulture,
                    $"process {a.Pid}: {(b.CpuSeconds - a.CpuSeconds) / elapsed.TotalSeconds * 100:0}% of one core, RSS {b.RssKiB / 1024} MiB (peak {b.PeakRssKiB / 1024} MiB)"));
            }
            else
            {
                Line($"process {options.Pids[i]}: not readable");
            }
        }
        foreach (var node in mediaEnd ?? [])
        {
            // Late ticks are a running count; the window's share is the difference.
            long lateBefore = mediaStart?.FirstOrDefault(n => n.Node == node.Node)?.LateTicks ?? 0;
            Line(string.Create(CultureInfo.InvariantCulture,
                $"media node {node.Node}: {node.Rooms} rooms, {node.Members} of {node.MaxMembers} members, mixing {node.MixCpuPercent:0}% of a core, " +
                $"tick p99 {node.TickP99Ms:0.0} ms, {node.LateTicks - lateBefore} late ticks in the window{(node.Draining ? ", draining" : "")}"));
        }
        if (options.AdminKey is not null && mediaEnd is null) Line("media nodes: GET /api/admin/media did not answer");
        Line("");
        Line(wrong == 0 && !options.Analyse.IsEveryone
            ? "RESULT ok: every member joined and heard audible audio; every analysed member heard every other talker of its room and not itself"
            : wrong == 0 ? "RESULT ok: every member joined, heard every other talker of its room and not itself"
            : $"RESULT {wrong} problems (members not joined, not hearing a room-mate, hearing themselves persistently, or hearing audio in the quiet room)");
        return wrong == 0 ? 0 : 1;
    }

    private async Task DisruptAsync(Disruption disruption, CancellationToken token)
    {
        await Task.Delay(TimeSpan.FromSeconds(disruption.AfterSeconds), token);
        int result = SysKill(disruption.Pid, disruption.Number);
        Line($"  sent SIG{disruption.Signal.ToUpperInvariant()} to process {disruption.Pid}{(result == 0 ? "" : $": failed ({System.Runtime.InteropServices.Marshal.GetLastPInvokeError()})")}");
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int SysKill(int pid, int signal);

    private static double[] OthersTalking(List<Seat> seats, Seat seat, Dictionary<Seat, string> joinFailures) =>
        seat.Member.Deafened
            ? []
            : seats.Where(o => o.Room == seat.Room && o != seat && o.FrequencyHz is not null && !joinFailures.ContainsKey(o))
                .Select(o => (double)o.FrequencyHz!.Value).ToArray();

    /// <summary>
    /// Talkers of other rooms whose tone was the strongest frequency in a persistent share of the member's audible
    /// frames: perhaps audio leaking between rooms, perhaps not: a phase jump inside a frame (concealment, a dropped
    /// or repeated frame in the mixer) moves a tone's dominant-frequency estimate by up to about 60 Hz.
    /// </summary>
    private static string[] ForeignTones(List<Seat> seats, Seat seat, MemberStats stats)
    {
        var counts = new Dictionary<Seat, int>();
        foreach (var dominant in stats.DominantFrequencies)
        {
            var owner = seats.Where(o => o.FrequencyHz is not null && o.Room != seat.Room)
                .MinBy(o => Math.Abs(o.FrequencyHz!.Value - dominant.FrequencyHz));
            bool ownRoom = seats.Any(o => o.Room == seat.Room && o.FrequencyHz is { } f && Math.Abs(f - dominant.FrequencyHz) < FrequencyPlan.AttributableHz / 2.0);
            if (owner is null || ownRoom || Math.Abs(owner.FrequencyHz!.Value - dominant.FrequencyHz) >= FrequencyPlan.AttributableHz / 2.0) continue;
            counts[owner] = counts.GetValueOrDefault(owner) + dominant.Frames;
        }
        return counts.Where(kv => kv.Value >= Persistent(stats))
            .Select(kv => $"{kv.Key.FrequencyHz} Hz of {kv.Key.Member.DisplayName} in {kv.Value} frames").ToArray();
    }

    /// <summary>Frames that make a finding persistent rather than an artefact: 5% of the audible frames, at least 5.</summary>
    private static long Persistent(MemberStats stats) => Math.Max(5, stats.AudibleFrames / 20);

    private static string Distribution(IEnumerable<double> values, string unit)
    {
        var v = values.ToArray();
        if (v.Length == 0) return "none";
        return string.Create(CultureInfo.InvariantCulture,
            $"p50 {Percentiles.Of(v, 0.50):0} {unit}, p95 {Percentiles.Of(v, 0.95):0} {unit}, max {v.Max():0} {unit} (n={v.Length})");
    }

    private static async Task WaitReadyAsync(HttpClient http, string url, CancellationToken token)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                using var response = await http.GetAsync(url + "/healthz/ready", token);
                if (response.IsSuccessStatusCode) return;
            }
            catch (HttpRequestException) when (deadline.Elapsed < TimeSpan.FromSeconds(60))
            {
            }
            if (deadline.Elapsed > TimeSpan.FromSeconds(60)) throw new InvalidOperationException($"{url} is not ready after 60 s");
            await Task.Delay(500, token);
        }
    }

    private void Line(string text) => output.WriteLine(text);
}

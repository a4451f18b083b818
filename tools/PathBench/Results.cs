using System.Globalization;

namespace OpenChat.PathBench;

/// <summary>One join's timeline on the page's clock (ms since 1970).</summary>
/// <remarks><see cref="Gathered"/> is NaN when ICE gathering had not completed by the time the values were read.</remarks>
public sealed record Join(double Clicked, double Created, double Gathered, double Sent, double Answered, double Connected, double Heard, SelectedPair Pair)
{
    public double ToAudio => Heard - Clicked;

    public override string ToString() =>
        $"first audio {ToAudio:0} ms (after the click: peer connection {Created - Clicked:0}, offer sent {Sent - Clicked:0}, ICE gathering complete " +
        $"{(double.IsNaN(Gathered) ? "not yet" : (Gathered - Clicked).ToString("0", CultureInfo.InvariantCulture))}, answer applied {Answered - Clicked:0}, connected {Connected - Clicked:0} ms) over {Pair}";

    /// <summary>Whether the offer went out because gathering completed rather than because the client stopped waiting for it.</summary>
    public bool GatheredBeforeOffer => Gathered <= Sent;
}

/// <summary>A path's joins and what they add up to.</summary>
public sealed record PathResult(NetworkPath Path, IReadOnlyList<Join> Joins, SelectedPair BobPair, string? Dropped)
{
    /// <summary>The table's header; the phases' columns are medians.</summary>
    public const string TableHeader =
        "| path | joins | join to first audio p50 / p95 / max | click to offer sent | offer sent to answer applied | answer to connected | connected to first audio | gathering complete before the offer | selected pair (Alice) |\n" +
        "|---|---|---|---|---|---|---|---|---|";

    public string TableRow() =>
        $"| {Path.Name} ({Path.Title}) | {Joins.Count} | {Ms(Percentile(j => j.ToAudio, 50))} / {Ms(Percentile(j => j.ToAudio, 95))} / {Ms(Joins.Max(j => j.ToAudio))} ms " +
        $"| {Ms(Percentile(j => j.Sent - j.Clicked, 50))} ms | {Ms(Percentile(j => j.Answered - j.Sent, 50))} ms | {Ms(Percentile(j => j.Connected - j.Answered, 50))} ms " +
        $"| {Ms(Percentile(j => j.Heard - j.Connected, 50))} ms | {Joins.Count(j => j.GatheredBeforeOffer)} of {Joins.Count} | {Joins[^1].Pair} |";

    public string Summary() =>
        $"{Path.Name}: join to first audio p50 {Ms(Percentile(j => j.ToAudio, 50))} ms, p95 {Ms(Percentile(j => j.ToAudio, 95))} ms, max {Ms(Joins.Max(j => j.ToAudio))} ms " +
        $"over {Alice}; Bob over {BobPair}{(Dropped is null ? "" : $"; dropped in the browsers' namespace: {Dropped}")}";

    private string Alice => string.Join(", ", Joins.Select(j => j.Pair.ToString()).Distinct());

    /// <summary>The <paramref name="p"/>th percentile, interpolated linearly between the nearest ranks.</summary>
    public double Percentile(Func<Join, double> value, double p)
    {
        var sorted = Joins.Select(value).Order().ToArray();
        var rank = p / 100 * (sorted.Length - 1);
        var low = (int)Math.Floor(rank);
        var high = Math.Min(low + 1, sorted.Length - 1);
        return sorted[low] + (sorted[high] - sorted[low]) * (rank - low);
    }

    private static string Ms(double ms) => ms.ToString("#,0", CultureInfo.InvariantCulture);
}

/// <summary>The machine's load average (1, 5, 15 minutes) from /proc/loadavg.</summary>
public static class LoadAverage
{
    public static string Read() => File.Exists("/proc/loadavg") ? string.Join(" ", File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "unknown";
}

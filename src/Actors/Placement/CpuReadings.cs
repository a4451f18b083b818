using OpenChat.Protocol.Media;

namespace OpenChat.Channels.Placement;

/// <summary>
/// The last few mixing CPU readings of each media node, so that placement's CPU guard holds a node back only when
/// it stays busy: on a loaded host one report can read high because the scheduler preempted a tick, on a node
/// with two rooms as on an empty one.
/// </summary>
public sealed class CpuReadings(int keep = 3)
{
    private readonly Dictionary<string, List<(DateTimeOffset ReportedAt, double Cpu)>> _byNode = new();

    /// <summary>Takes the current reports: a newer report's reading is kept, nodes without a report are forgotten.</summary>
    public void Observe(IReadOnlyDictionary<string, MediaNodeLoad> loads)
    {
        foreach (var node in _byNode.Keys.Where(n => !loads.ContainsKey(n)).ToList()) _byNode.Remove(node);
        foreach (var load in loads.Values)
        {
            if (!_byNode.TryGetValue(load.Node, out var readings)) _byNode[load.Node] = readings = new();
            if (readings.Count > 0 && readings[^1].ReportedAt >= load.ReportedAt) continue;
            readings.Add((load.ReportedAt, load.MixCpuPercent));
            if (readings.Count > keep) readings.RemoveAt(0);
        }
    }

    /// <summary>
    /// The lowest of the node's last readings, this report's included: what the node has kept up; 0 until the node
    /// has reported as many readings as are kept (a node that just started reads its own warm-up and the host's
    /// scheduling, not its rooms).
    /// </summary>
    public double Sustained(MediaNodeLoad load) =>
        _byNode.TryGetValue(load.Node, out var readings) && readings.Count >= keep
            ? Math.Min(load.MixCpuPercent, readings.Min(r => r.Cpu))
            : 0;
}

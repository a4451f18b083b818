namespace OpenChat.Channels.Placement;

/// <summary>
/// Remembers the rooms this placer put on each node until the node's load reports can have counted them, so a
/// burst of placements between two reports spreads out instead of piling onto the node that looked emptiest.
/// </summary>
public sealed class PendingPlacements
{
    private readonly Dictionary<string, List<DateTimeOffset>> _byNode = new();
    private readonly TimeSpan _horizon;

    public PendingPlacements(TimeSpan horizon) => _horizon = horizon;

    public void Record(string node, DateTimeOffset at)
    {
        if (!_byNode.TryGetValue(node, out var list)) _byNode[node] = list = new List<DateTimeOffset>();
        list.Add(at);
    }

    /// <summary>Placements on <paramref name="node"/> made after its report of <paramref name="reportedAt"/>.</summary>
    public int CountAfter(string node, DateTimeOffset reportedAt) =>
        _byNode.TryGetValue(node, out var list) ? list.Count(t => t > reportedAt) : 0;

    /// <summary>Forgets placements older than the horizon: by then a report has counted them or the node is gone.</summary>
    public void Prune(DateTimeOffset now)
    {
        foreach (var (node, list) in _byNode.ToList())
        {
            list.RemoveAll(t => now - t > _horizon);
            if (list.Count == 0) _byNode.Remove(node);
        }
    }
}

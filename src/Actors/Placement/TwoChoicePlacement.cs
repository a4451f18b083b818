using OpenChat.Actors.Protocol.Media;

namespace OpenChat.Actors.Placement;

/// <summary>
/// Least loaded of two random choices ("power of two choices"): nearly as even as always taking the least loaded
/// node, without every placer herding onto the same node between two load reports. Nodes whose report is stale,
/// that are draining, unreachable or at their member limit are never chosen.
/// </summary>
public sealed class TwoChoicePlacement(TimeSpan maxReportAge, Random? random = null) : IMixerPlacement
{
    /// <summary>Members a newly placed room is assumed to bring before the node reports it.</summary>
    public const int AssumedMembersPerPendingRoom = 2;

    private readonly Random _random = random ?? Random.Shared;

    public static readonly TimeSpan DefaultMaxReportAge = TimeSpan.FromSeconds(5);

    public MediaNodeLoad? Choose(IEnumerable<MediaNodeLoad> loads, PlacementContext context)
    {
        var eligible = loads.Where(l => IsEligible(l, context)).ToList();
        switch (eligible.Count)
        {
            case 0:
                return null;
            case 1:
                return eligible[0];
        }
        var first = _random.Next(eligible.Count);
        var second = _random.Next(eligible.Count - 1);
        if (second >= first) second++;
        var a = eligible[first];
        var b = eligible[second];
        return Score(a, context).CompareTo(Score(b, context)) <= 0 ? a : b;
    }

    public bool IsEligible(MediaNodeLoad load, PlacementContext context) =>
        !load.Draining
        && context.Now - load.ReportedAt <= maxReportAge
        && !context.Unreachable.Contains(load.Node)
        && load.Members + context.PendingRooms(load) * AssumedMembersPerPendingRoom < load.MaxMembers;

    /// <summary>
    /// Lower is less loaded: the larger of the member share and the mixing CPU share, then the room count as a
    /// tie-breaker (an idle node with fewer rooms wins).
    /// </summary>
    public static (double Load, int Rooms) Score(MediaNodeLoad load, PlacementContext context)
    {
        var pending = context.PendingRooms(load);
        var members = (load.Members + pending * AssumedMembersPerPendingRoom) / (double)Math.Max(1, load.MaxMembers);
        var cpu = load.MixCpuPercent / 100.0;
        return (Math.Max(members, cpu), load.Rooms + pending);
    }
}

using OpenChat.Protocol.Media;

namespace OpenChat.Channels.Placement;

/// <summary>
/// The least loaded node, with two random choices among equals ("power of two choices"): a node clearly less
/// loaded than the rest (one that just joined) takes every new room until it has caught up, while equally loaded
/// nodes share new rooms between them instead of one of them taking every room until its next report. Loads are
/// compared in steps of <see cref="LoadStep"/> and then by rooms, counting placements the reports do not show yet.
/// Nodes whose report is stale, that are draining, unreachable or at their member limit are never chosen.
/// </summary>
public sealed class TwoChoicePlacement(TimeSpan maxReportAge, Random? random = null) : IMixerPlacement
{
    /// <summary>Loads (shares of capacity) closer than this count as equal.</summary>
    public const double LoadStep = 0.05;

    private readonly Random _random = random ?? Random.Shared;

    public MediaNodeLoad? Choose(IEnumerable<MediaNodeLoad> loads, PlacementContext context)
    {
        var eligible = loads.Where(l => IsEligible(l, context)).Select(l => (Load: l, Score: Score(l, context))).ToList();
        if (eligible.Count == 0) return null;
        var best = eligible.Min(e => (e.Score.Step, e.Score.Rooms));
        var least = eligible.Where(e => (e.Score.Step, e.Score.Rooms) == best).ToList();
        if (least.Count == 1) return least[0].Load;
        var first = _random.Next(least.Count);
        var second = _random.Next(least.Count - 1);
        if (second >= first) second++;
        var (a, b) = (least[first], least[second]);
        return a.Score.Load <= b.Score.Load ? a.Load : b.Load;
    }

    public bool IsEligible(MediaNodeLoad load, PlacementContext context) =>
        MediaLoadRules.CanTakeRoom(load, context.Now, maxReportAge, context.Unreachable.Contains(load.Node), context.PendingRooms(load));

    /// <summary>
    /// Lower is less loaded: the larger of the member share and the mixing CPU share (also in steps of
    /// <see cref="LoadStep"/>), then the room count.
    /// </summary>
    public static (int Step, int Rooms, double Load) Score(MediaNodeLoad load, PlacementContext context)
    {
        var pending = context.PendingRooms(load);
        var members = (load.Members + pending * MediaLoadRules.AssumedMembersPerPendingRoom) / (double)Math.Max(1, load.MaxMembers);
        var cpu = load.MixCpuPercent / 100.0;
        var share = Math.Max(members, cpu);
        return ((int)Math.Floor(share / LoadStep), load.Rooms + pending, share);
    }
}

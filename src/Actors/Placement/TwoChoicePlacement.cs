using OpenChat.Protocol.Media;

namespace OpenChat.Channels.Placement;

/// <summary>
/// The least loaded node, with two random choices among equals ("power of two choices"): a node clearly less
/// loaded than the rest (one that just joined) takes every new room until it has caught up, while equally loaded
/// nodes share new rooms between them instead of one of them taking every room until its next report. Load is
/// the member share, compared in steps of <see cref="LoadStep"/>, and then the rooms, both counting placements the
/// reports do not show yet. Mixing CPU is only a guard: a node that stays at <see cref="CpuGuard"/> or above (over
/// its last reports, <see cref="PlacementContext.SustainedCpuPercent"/>) takes rooms only when every node does,
/// since below it the reading follows the machine's scheduling more than the node's rooms (on a busy host a
/// preempted tick measures long, so a node that just joined can read busier than nodes with rooms).
/// Nodes whose report is stale, that are draining, unreachable or at their member limit are never chosen.
/// </summary>
public sealed class TwoChoicePlacement(TimeSpan maxReportAge, Random? random = null) : IMixerPlacement
{
    /// <summary>Member shares (of the node's member limit) closer than this count as equal.</summary>
    public const double LoadStep = 0.05;

    /// <summary>
    /// The mixing CPU share (of the tick budget) from which a node counts as saturated: its ticks leave it almost
    /// no time, so it goes last whatever its members.
    /// </summary>
    public const double CpuGuard = 0.8;

    private readonly Random _random = random ?? Random.Shared;

    public MediaNodeLoad? Choose(IEnumerable<MediaNodeLoad> loads, PlacementContext context)
    {
        var eligible = loads.Where(l => IsEligible(l, context)).Select(l => (Load: l, Score: Score(l, context))).ToList();
        if (eligible.Count == 0) return null;
        var best = eligible.Min(e => Rank(e.Score));
        var least = eligible.Where(e => Rank(e.Score) == best).ToList();
        if (least.Count == 1) return least[0].Load;
        var first = _random.Next(least.Count);
        var second = _random.Next(least.Count - 1);
        if (second >= first) second++;
        var (a, b) = (least[first], least[second]);
        return (a.Score.Members, a.Score.Cpu).CompareTo((b.Score.Members, b.Score.Cpu)) <= 0 ? a.Load : b.Load;
    }

    public bool IsEligible(MediaNodeLoad load, PlacementContext context) =>
        MediaLoadRules.CanTakeRoom(load, context.Now, maxReportAge, context.Unreachable.Contains(load.Node), context.PendingRooms(load));

    private static (bool, int, int) Rank(PlacementScore score) => (score.Saturated, score.Step, score.Rooms);

    /// <summary>
    /// Lower is less loaded: not <see cref="PlacementScore.Saturated"/> first, then the member share in steps of
    /// <see cref="LoadStep"/>, then the rooms; the exact member share and CPU only break ties between two choices.
    /// </summary>
    public static PlacementScore Score(MediaNodeLoad load, PlacementContext context)
    {
        var pending = context.PendingRooms(load);
        var members = (load.Members + pending * MediaLoadRules.AssumedMembersPerPendingRoom) / (double)Math.Max(1, load.MaxMembers);
        var cpu = (context.SustainedCpuPercent?.Invoke(load) ?? load.MixCpuPercent) / 100.0;
        // One room cannot fill a node's ticks: a node with at most one reads the host, not itself.
        var saturated = cpu >= CpuGuard && load.Rooms + pending >= 2;
        return new PlacementScore(saturated, (int)Math.Floor(members / LoadStep), load.Rooms + pending, members, cpu);
    }
}

/// <summary>
/// How loaded a node looks to placement: whether its mixing CPU is past the guard, its member share in steps, its
/// rooms (both counting pending placements), and the exact member and CPU shares.
/// </summary>
public readonly record struct PlacementScore(bool Saturated, int Step, int Rooms, double Members, double Cpu);

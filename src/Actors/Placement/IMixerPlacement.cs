using OpenChat.Protocol.Media;

namespace OpenChat.Channels.Placement;

/// <summary>Chooses the media node for a new room mixer from the nodes' published loads.</summary>
public interface IMixerPlacement
{
    /// <summary>The chosen node's load report, or null when no node can take a room.</summary>
    MediaNodeLoad? Choose(IEnumerable<MediaNodeLoad> loads, PlacementContext context);
}

/// <summary>
/// What placement knows besides the reports: the time, which nodes the cluster sees as unreachable, the rooms
/// placed on each node that its reports do not show yet, and the mixing CPU share a node has kept up over its
/// last reports (without it, the report's own reading).
/// </summary>
public sealed record PlacementContext(
    DateTimeOffset Now,
    IReadOnlySet<string> Unreachable,
    Func<MediaNodeLoad, int> PendingRooms,
    Func<MediaNodeLoad, double>? SustainedCpuPercent = null);

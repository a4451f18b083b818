namespace OpenChat.Protocol.Media;

/// <summary>
/// Whether a media node can take a new room, from its load report: the rule placement chooses by and a draining
/// node asks before it hands its rooms over, so both always agree on where a room could go.
/// </summary>
public static class MediaLoadRules
{
    /// <summary>A report older than this says nothing about the node any more.</summary>
    public static readonly TimeSpan MaxReportAge = TimeSpan.FromSeconds(5);

    /// <summary>Members a newly placed room is assumed to bring before the node reports it.</summary>
    public const int AssumedMembersPerPendingRoom = 2;

    /// <summary>
    /// A node can take a room when it is not draining, its report is fresh, the cluster does not see it as
    /// unreachable, and it stays under its member limit counting the rooms placed there that it has not reported yet.
    /// </summary>
    public static bool CanTakeRoom(MediaNodeLoad load, DateTimeOffset now, TimeSpan maxReportAge, bool unreachable, int pendingRooms) =>
        !load.Draining
        && now - load.ReportedAt <= maxReportAge
        && !unreachable
        && load.Members + pendingRooms * AssumedMembersPerPendingRoom < load.MaxMembers;
}

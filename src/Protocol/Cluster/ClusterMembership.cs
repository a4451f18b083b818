namespace OpenChat.Protocol.Cluster;

/// <summary>Asks a node whether it is a member of a cluster (the first seed asks this before it forms one).</summary>
public sealed record ClusterMembershipQuery : IProtocolMessage;

/// <summary>A node's answer: <paramref name="Member"/> when it is joining or up in a cluster.</summary>
public sealed record ClusterMembershipAnswer(bool Member) : IProtocolMessage;

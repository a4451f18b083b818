namespace OpenChat.Protocol.Cluster;

/// <summary>Actor registry key of the channel shard region (or its proxy on nodes without the channels role).</summary>
public sealed class ChannelRegion;

/// <summary>Actor registry key of the channel directory singleton proxy.</summary>
public sealed class ChannelDirectory;

/// <summary>Actor registry key of the mixer placement actor on channels nodes.</summary>
public sealed class MixerPlacement;

/// <summary>Actor registry key of the accounts singleton (or its proxy on nodes without the channels role).</summary>
public sealed class AccountsSingleton;

/// <summary>Actor registry key of the audit log singleton (or its proxy on nodes without the channels role).</summary>
public sealed class AuditLogSingleton;

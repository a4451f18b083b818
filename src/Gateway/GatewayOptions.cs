namespace OpenChat.Gateway;

/// <summary>Limits of the SignalR edge; bound from <c>OpenChat:Gateway</c>.</summary>
public sealed class GatewayOptions
{
    public const string Section = "OpenChat:Gateway";

    /// <summary>Posts one connection may make per <see cref="PostWindow"/>.</summary>
    public int PostsPerWindow { get; set; } = 5;

    public TimeSpan PostWindow { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Hub calls of any kind one connection may make per second (burst twice that).</summary>
    public int CallsPerSecond { get; set; } = 20;

    /// <summary>
    /// Hub calls of one connection that may run at once. Calls start in the order they arrive, so a client's posts
    /// keep their order; more than one lets a client pipeline posts instead of waiting for each to be stored.
    /// </summary>
    public int ParallelCallsPerConnection { get; set; } = 4;

    /// <summary>Largest hub frame a client may send; larger ones close the connection.</summary>
    public long MaxMessageBytes { get; set; } = 32 * 1024;

    /// <summary>
    /// How long the gateway waits for one request to the cluster before answering <c>unavailable</c>. Calls that make
    /// more than one, or wait on media nodes, wait longer: <see cref="CallBudgets"/> derives those waits.
    /// </summary>
    public TimeSpan ClusterTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Events queued for one slow client before it is disconnected.</summary>
    public int OutboundQueue { get; set; } = 2048;

    /// <summary>Channels one connection may have open at once.</summary>
    public int MaxOpenChannels { get; set; } = 100;

    /// <summary>Hub connections one user (one token's user id) may hold at once on this gateway.</summary>
    public int MaxConnectionsPerUser { get; set; } = 5;

    /// <summary>Hub connections one client address (an IPv6 /64) may hold at once on this gateway.</summary>
    public int MaxConnectionsPerAddress { get; set; } = 50;

    /// <summary>Posts one user may make per <see cref="PostWindow"/>, summed over all their connections.</summary>
    public int UserPostsPerWindow { get; set; } = 10;

    /// <summary>Channel opens one user may make per minute, over all their connections.</summary>
    public int UserChannelOpensPerMinute { get; set; } = 200;

    /// <summary>History pages one user may read per minute, over all their connections.</summary>
    public int UserHistoryPagesPerMinute { get; set; } = 60;

    /// <summary>Voice joins, resumes, leaves, mute/deafen and volume changes one user may make per minute.</summary>
    public int UserVoiceChangesPerMinute { get; set; } = 60;

    /// <summary>A client address gets this many times each per-user budget (many users may share one address).</summary>
    public int AddressBudgetFactor { get; set; } = 10;

    /// <summary>Reverse proxies whose <c>X-Forwarded-For</c> is believed (IP addresses); none by default.</summary>
    public string[] KnownProxies { get; set; } = [];

    /// <summary>Networks of such proxies in CIDR notation (<c>10.0.0.0/8</c>); none by default.</summary>
    public string[] KnownNetworks { get; set; } = [];

    /// <summary>Largest request body the HTTP API (<c>/api</c>) accepts; larger ones are answered 413.</summary>
    public long MaxApiBodyBytes { get; set; } = 16 * 1024;

    /// <summary>The server's name until someone with manage server changes it (then the stored one wins).</summary>
    public string ServerName { get; set; } = "OpenChat";

    /// <summary>The server's description until someone changes it.</summary>
    public string ServerDescription { get; set; } = "";

    /// <summary>Who may create an account (<c>Open</c> or <c>Invite</c>) until someone changes it.</summary>
    public Protocol.JoinPolicy JoinPolicy { get; set; } = Protocol.JoinPolicy.Open;

    public void Validate()
    {
        if (Protocol.Text.TextRules.NormalizeServerName(ServerName, out var reason) is null) throw new ArgumentException(reason, nameof(ServerName));
        if (Protocol.Text.TextRules.NormalizeServerDescription(ServerDescription, out reason) is null) throw new ArgumentException(reason, nameof(ServerDescription));
        if (!Enum.IsDefined(JoinPolicy)) throw new ArgumentOutOfRangeException(nameof(JoinPolicy), "Open or Invite");
        if (PostsPerWindow < 1) throw new ArgumentOutOfRangeException(nameof(PostsPerWindow), "at least 1");
        if (PostWindow <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(PostWindow), "must be positive");
        if (CallsPerSecond < 1) throw new ArgumentOutOfRangeException(nameof(CallsPerSecond), "at least 1");
        if (ParallelCallsPerConnection is < 1 or > 64) throw new ArgumentOutOfRangeException(nameof(ParallelCallsPerConnection), "1 to 64");
        if (MaxMessageBytes is < 4096 or > 1024 * 1024) throw new ArgumentOutOfRangeException(nameof(MaxMessageBytes), "4 KiB to 1 MiB");
        if (ClusterTimeout <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(ClusterTimeout), "must be positive");
        if (OutboundQueue < 16) throw new ArgumentOutOfRangeException(nameof(OutboundQueue), "at least 16");
        if (MaxOpenChannels < 1) throw new ArgumentOutOfRangeException(nameof(MaxOpenChannels), "at least 1");
        if (MaxConnectionsPerUser < 1) throw new ArgumentOutOfRangeException(nameof(MaxConnectionsPerUser), "at least 1");
        if (MaxConnectionsPerAddress < 1) throw new ArgumentOutOfRangeException(nameof(MaxConnectionsPerAddress), "at least 1");
        if (UserPostsPerWindow < 1) throw new ArgumentOutOfRangeException(nameof(UserPostsPerWindow), "at least 1");
        if (UserChannelOpensPerMinute < 1) throw new ArgumentOutOfRangeException(nameof(UserChannelOpensPerMinute), "at least 1");
        if (UserHistoryPagesPerMinute < 1) throw new ArgumentOutOfRangeException(nameof(UserHistoryPagesPerMinute), "at least 1");
        if (UserVoiceChangesPerMinute < 1) throw new ArgumentOutOfRangeException(nameof(UserVoiceChangesPerMinute), "at least 1");
        if (AddressBudgetFactor < 1) throw new ArgumentOutOfRangeException(nameof(AddressBudgetFactor), "at least 1");
        if (MaxApiBodyBytes is < 1024 or > 16 * 1024 * 1024) throw new ArgumentOutOfRangeException(nameof(MaxApiBodyBytes), "1 KiB to 16 MiB");
        Edge.ForwardedHeadersSetup.Parse(this);
    }
}

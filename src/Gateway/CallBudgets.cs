using Microsoft.Extensions.Configuration;

namespace OpenChat.Gateway;

/// <summary>
/// How long the gateway waits for each kind of call, derived in one place from two settings:
/// <c>OpenChat:Gateway:ClusterTimeout</c> (C, one request to the cluster) and <c>OpenChat:Channels:MediaTimeout</c>
/// (M, one answer of a media node). Every wait exceeds the waits inside it by one C, so the inner step gives up
/// first and its <c>unavailable</c> reaches the caller instead of a time-out of its own.
/// </summary>
public sealed class CallBudgets
{
    /// <summary>The key of the channels role's media timeout, read here so a gateway waits as long as its channels may take.</summary>
    public const string MediaTimeoutKey = "OpenChat:Channels:MediaTimeout";

    /// <summary>The channels role's default for <see cref="MediaTimeoutKey"/>.</summary>
    public static readonly TimeSpan DefaultMediaTimeout = TimeSpan.FromSeconds(5);

    public CallBudgets(TimeSpan clusterTimeout, TimeSpan mediaTimeout)
    {
        if (clusterTimeout <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(clusterTimeout), "must be positive");
        if (mediaTimeout <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(mediaTimeout), MediaTimeoutKey + " must be positive");
        Cluster = clusterTimeout;
        // A channel answers a join within 3 M: placement (2 M: the wait for a media node, then the node's M to
        // create the mixer), then the mixer's M to accept the offer. C more covers the way there and back.
        ChannelJoin = 3 * mediaTimeout + clusterTimeout;
        // The session subscribes first (C) when the channel is not open yet.
        OpenChannel = 2 * clusterTimeout;
        ResumeVoice = 3 * clusterTimeout;
        JoinVoice = clusterTimeout + ChannelJoin + clusterTimeout;
        VoiceCall = JoinVoice + clusterTimeout;
    }

    /// <summary>C: one request to a channel or the directory, and the hub calls that make just one (post, history, close; session start).</summary>
    public TimeSpan Cluster { get; }

    /// <summary>3 M + C: how long a session waits for a channel's answer to a join.</summary>
    public TimeSpan ChannelJoin { get; }

    /// <summary>2 C: the hub's wait for <c>OpenChannel</c>, the session's subscribe (C) and C.</summary>
    public TimeSpan OpenChannel { get; }

    /// <summary>3 C: the hub's wait for <c>ResumeVoice</c>, a subscribe (C) and the resume (C) in the session, and C.</summary>
    public TimeSpan ResumeVoice { get; }

    /// <summary>3 M + 3 C: the hub's wait for <c>JoinVoice</c>, a subscribe (C) and <see cref="ChannelJoin"/> in the session, and C.</summary>
    public TimeSpan JoinVoice { get; }

    /// <summary>
    /// 3 M + 4 C: the hub's wait for <c>LeaveVoice</c>, <c>SetVoiceState</c> and <c>SetMemberVolume</c>. A session handles
    /// voice requests in order, so these may wait for a join made just before them (<see cref="JoinVoice"/>), then C.
    /// </summary>
    public TimeSpan VoiceCall { get; }

    /// <summary>The budgets of this gateway's settings; the media timeout is the channels role's setting of the same configuration.</summary>
    public static CallBudgets From(GatewayOptions gateway, IConfiguration configuration) =>
        new(gateway.ClusterTimeout, configuration.GetValue<TimeSpan?>(MediaTimeoutKey) ?? DefaultMediaTimeout);
}

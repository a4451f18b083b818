using Akka.Cluster.Sharding;

namespace OpenChat.Protocol.Sharding;

/// <summary>Routes <see cref="IWithChannelId"/> messages to the channel entity of that id.</summary>
public sealed class ChannelMessageExtractor : HashCodeMessageExtractor
{
    public const int DefaultShardCount = 100;

    public ChannelMessageExtractor(int maxNumberOfShards = DefaultShardCount) : base(maxNumberOfShards)
    {
    }

    public override string? EntityId(object message) => message switch
    {
        IWithChannelId m => m.Channel.Value,
        _ => null,
    };
}

using Akka.DistributedData;

namespace OpenChat.Protocol.Media;

/// <summary>The distributed-data map of media node loads, keyed by node address.</summary>
public static class MediaLoad
{
    public static readonly LWWDictionaryKey<string, MediaNodeLoad> Key = new("media-load");
}

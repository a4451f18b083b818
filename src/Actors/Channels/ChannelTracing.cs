using System.Diagnostics;

namespace OpenChat.Channels;

/// <summary>The channels role's spans (<c>OpenChat.Channels</c>): a channel taking a voice join, placement choosing a media node.</summary>
public static class ChannelTracing
{
    public static readonly ActivitySource Source = new("OpenChat.Channels");
}

using System.Diagnostics;

namespace OpenChat.MediaNode;

/// <summary>The media role's spans (<c>OpenChat.Media</c>): a mixer created for a room, a member's media connected.</summary>
public static class MediaTracing
{
    public static readonly ActivitySource Source = new("OpenChat.Media");
}

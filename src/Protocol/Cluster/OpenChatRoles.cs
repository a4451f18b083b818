namespace OpenChat.Protocol.Cluster;

/// <summary>The cluster roles a process can take; all three make the all-in-one server.</summary>
public static class OpenChatRoles
{
    public const string Gateway = "gateway";
    public const string Channels = "channels";
    public const string Media = "media";

    public static readonly string[] All = [Gateway, Channels, Media];
}

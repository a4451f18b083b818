namespace OpenChat.Protocol;

/// <summary>What a channel is for: persistent text chat or a voice room.</summary>
public enum ChannelKind
{
    Text = 0,
    Voice = 1,
}

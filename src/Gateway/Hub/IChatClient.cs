namespace OpenChat.Gateway.Hub;

/// <summary>Events the server pushes to a connected client (documented in docs/protocol.md).</summary>
public interface IChatClient
{
    Task MessagePosted(MessageDto message);

    /// <summary>A message was edited: the whole message as it now reads.</summary>
    Task MessageEdited(MessageDto message);

    /// <summary>A message was deleted.</summary>
    Task MessageDeleted(string channelId, long messageId);

    /// <summary>A user is typing in the channel.</summary>
    Task Typing(string channelId, string userId, string displayName);

    Task MemberOnline(string channelId, MemberDto member);

    Task MemberOffline(string channelId, string userId);

    Task ChannelsChanged(ChannelDto[] channels);

    Task ChannelUpdated(ChannelDto channel);

    Task PermissionsChanged(PermissionsDto permissions);

    Task ChannelRemoved(string channelId);

    Task VoiceMemberJoined(string channelId, VoiceMemberDto member);

    Task VoiceMemberUpdated(string channelId, VoiceMemberDto member);

    Task VoiceMemberLeft(string channelId, string userId);

    Task VoiceSpeaking(string channelId, string userId, bool speaking);

    Task VoiceReconnect(string channelId, string reason);

    Task VoiceEnded(string channelId, string reason);

    Task VoiceMoved(string channelId, string toChannelId, string reason);

    /// <summary>The server's name, description or join policy changed (sent to every connection).</summary>
    Task ServerUpdated(ServerSettingsDto settings);
}

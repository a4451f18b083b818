namespace OpenChat.Protocol;

/// <summary>
/// Marks every message that may cross a node boundary or be stored; all of them are
/// bound to <see cref="Serialization.ProtocolSerializer"/>.
/// </summary>
public interface IProtocolMessage;

/// <summary>Routes a message to the channel entity it names.</summary>
public interface IWithChannelId : IProtocolMessage
{
    Ids.ChannelId Channel { get; }
}

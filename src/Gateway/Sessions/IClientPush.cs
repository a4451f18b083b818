namespace OpenChat.Gateway.Sessions;

/// <summary>Delivers channel events to one client connection, in order, without blocking the caller.</summary>
public interface IClientPush
{
    /// <summary>Queues an event; false (and the connection is closed) when the client has fallen too far behind.</summary>
    bool TryPush(object channelEvent);

    /// <summary>Closes the client's connection.</summary>
    void Abort();
}

namespace OpenChat.MediaNode.Engine;

/// <summary>Receives speaking changes of a room's members (rate-limited per room), on the mixing thread.</summary>
public interface ISpeakingListener
{
    /// <summary>Called on the mixing thread; must not block (post to an actor or a queue).</summary>
    void OnSpeakingChanged(RoomId room, MemberId member, bool speaking);
}

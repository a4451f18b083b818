namespace OpenChat.MediaNode.Engine;

/// <summary>What the engine did with an arriving packet.</summary>
public enum JitterInsertResult
{
    Accepted,

    /// <summary>Arrived after its frame was played (or concealed); dropped.</summary>
    Late,

    Duplicate,

    /// <summary>Empty or larger than an Opus frame can be; dropped.</summary>
    Invalid,

    /// <summary>Too far from the playout point (sender restart, long stall): the buffer restarted on this packet.</summary>
    Restarted,

    /// <summary>The room has no such member (left, or not yet added); dropped.</summary>
    UnknownMember,

    /// <summary>The member is muted; dropped without buffering.</summary>
    Muted,
}

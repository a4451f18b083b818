namespace OpenChat.MediaNode.Engine;

/// <summary>Identifies a mixer room within one engine; usually the voice channel's id.</summary>
public readonly record struct RoomId(string Value)
{
    public override string ToString() => Value;
}

namespace OpenChat.MediaNode.Engine;

/// <summary>Identifies a member of a mixer room; the media node maps its peers onto these.</summary>
public readonly record struct MemberId(long Value)
{
    public override string ToString() => $"m{Value}";
}

namespace OpenChat.MediaNode.Engine;

/// <summary>One tick's output of a <see cref="JitterBuffer"/>; the payload was copied into the caller's span.</summary>
public readonly record struct JitterFrame(JitterFrameKind Kind, int Length, byte? LevelDbov, int MissingRun)
{
    public static JitterFrame None => new(JitterFrameKind.None, 0, null, 0);
}

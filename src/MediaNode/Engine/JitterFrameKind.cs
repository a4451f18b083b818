namespace OpenChat.MediaNode.Engine;

/// <summary>What a jitter buffer hands out for one tick.</summary>
public enum JitterFrameKind
{
    /// <summary>Nothing to play: not started yet, or the stream has stopped.</summary>
    None,

    /// <summary>The frame's own packet.</summary>
    Packet,

    /// <summary>The frame is lost but the next packet carries its FEC copy; the payload is that next packet.</summary>
    Fec,

    /// <summary>The frame is lost (or a frame is inserted to grow the delay): conceal it.</summary>
    Missing,
}

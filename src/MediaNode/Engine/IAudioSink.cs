namespace OpenChat.MediaNode.Engine;

/// <summary>Receives one member's outbound Opus stream, one frame per tick, on the mixing thread.</summary>
public interface IAudioSink
{
    /// <summary>
    /// Called on the mixing thread; must not block. <paramref name="opus"/> is only valid during the call
    /// and may be shared by many members (the same shared-mix payload), so copy it if it must outlive the call.
    /// </summary>
    void OnFrame(ReadOnlySpan<byte> opus, uint rtpTimestamp, ushort sequenceNumber, bool marker);
}

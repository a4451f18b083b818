namespace OpenChat.MediaNode.Engine;

/// <summary>Receives one member's outbound Opus stream, one frame per tick, on the mixing thread.</summary>
public interface IAudioSink
{
    /// <summary>
    /// Called on the mixing thread; must not block. <paramref name="opus"/> is only valid during the call
    /// and may be shared by many members (the same shared-mix payload, or a talker's packet forwarded to them), so
    /// copy it if it must outlive the call. <paramref name="audioLevelDbov"/> is the frame's RFC 6464 level: the
    /// talker's own for a forwarded packet, the mix's for an encoded one.
    /// </summary>
    void OnFrame(ReadOnlySpan<byte> opus, uint rtpTimestamp, ushort sequenceNumber, bool marker, byte audioLevelDbov);
}

namespace OpenChat.MediaNode.Engine;

/// <summary>Reads what the mixer needs from an Opus packet without decoding it (RFC 6716).</summary>
public static class OpusPacket
{
    /// <summary>
    /// Whether the packet carries in-band FEC (SILK LBRR) for the frame before it, so a loss can be
    /// recovered instead of concealed. Only single-frame packets of 20 ms or less are inspected; for them the
    /// SILK header's first range-coded bits are the VAD flag and then the LBRR flag, both equiprobable,
    /// so they sit at the top of the first payload byte.
    /// </summary>
    public static bool HasFec(ReadOnlySpan<byte> packet)
    {
        if (packet.Length < 2) return false;
        byte toc = packet[0];
        int config = toc >> 3;
        // Configs 16..31 are CELT-only: no SILK layer, no LBRR.
        if (config >= 16) return false;
        // Only code 0 (one frame) is handled; browsers send single 20 ms frames.
        if ((toc & 0x3) != 0) return false;
        // SILK frames of 40 and 60 ms carry several VAD flags first; not handled.
        int durationCode = config & 0x3;
        bool silkOnly = config < 12;
        if (silkOnly && durationCode > 1) return false;
        bool stereo = (toc & 0x4) != 0;
        byte first = packet[1];
        bool lbrr = ((first >> 6) & 1) != 0;
        if (stereo) lbrr |= ((first >> 4) & 1) != 0;
        return lbrr;
    }
}

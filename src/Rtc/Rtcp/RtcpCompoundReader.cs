namespace OpenChat.Rtc.Rtcp;

/// <summary>Iterates the packets of a compound RTCP packet (RFC 3550 6.1) without allocating.</summary>
public ref struct RtcpCompoundReader
{
    private ReadOnlySpan<byte> _remaining;

    /// <summary>Starts reading <paramref name="compound"/>.</summary>
    public RtcpCompoundReader(ReadOnlySpan<byte> compound) => _remaining = compound;

    /// <summary>True when a malformed packet stopped the iteration before the end.</summary>
    public bool Malformed { get; private set; }

    /// <summary>Reads the next packet; false at the end or on malformed data (see <see cref="Malformed"/>).</summary>
    public bool TryReadNext(out RtcpPacket packet)
    {
        packet = default;
        if (_remaining.IsEmpty)
        {
            return false;
        }
        if (!RtcpPacket.TryRead(_remaining, out packet, out int length))
        {
            Malformed = true;
            _remaining = default;
            return false;
        }
        _remaining = _remaining[length..];
        return true;
    }
}

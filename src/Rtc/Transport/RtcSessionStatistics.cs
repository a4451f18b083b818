namespace OpenChat.Rtc.Transport;

/// <summary>Counters of one session. Written by the receive and send paths, read by anyone (values may lag slightly).</summary>
public sealed class RtcSessionStatistics
{
    internal long PacketsReceivedField;
    internal long PacketsSentField;
    internal long BytesSentField;
    internal long SrtpRejectedField;
    internal long RtcpReceivedField;
    internal long DtlsDiscardedField;

    /// <summary>Authenticated RTP packets received.</summary>
    public long PacketsReceived => Volatile.Read(ref PacketsReceivedField);

    /// <summary>RTP packets sent.</summary>
    public long PacketsSent => Volatile.Read(ref PacketsSentField);

    /// <summary>RTP payload bytes sent.</summary>
    public long BytesSent => Volatile.Read(ref BytesSentField);

    /// <summary>SRTP/SRTCP packets refused (authentication, replay, malformed).</summary>
    public long SrtpRejected => Volatile.Read(ref SrtpRejectedField);

    /// <summary>Authenticated RTCP compound packets received.</summary>
    public long RtcpReceived => Volatile.Read(ref RtcpReceivedField);

    /// <summary>DTLS datagrams discarded after the handshake because they were not well-formed records of the current epoch.</summary>
    public long DtlsDiscarded => Volatile.Read(ref DtlsDiscardedField);

    /// <summary>Fraction lost (0-255) the peer last reported for our stream.</summary>
    public int RemoteFractionLost { get; internal set; }

    /// <summary>Cumulative loss the peer last reported for our stream.</summary>
    public int RemoteCumulativeLost { get; internal set; }

    /// <summary>Jitter (RTP units) the peer last reported for our stream.</summary>
    public uint RemoteJitter { get; internal set; }
}

namespace OpenChat.Rtc.Rtcp;

/// <summary>
/// Reception statistics for one source (RFC 3550 appendix A.1, A.3, A.8): extended highest sequence,
/// cumulative and fractional loss, interarrival jitter. Feeds receiver report blocks.
/// </summary>
public sealed class RtpReceiveStatistics
{
    private const int MaxDropout = 3000;
    private const int MaxMisorder = 100;

    private ushort _maxSeq;
    private uint _cycles;
    private uint _baseSeq;
    private long _received;
    private long _expectedPrior;
    private long _receivedPrior;
    private bool _started;
    private bool _haveTransit;
    private long _lastTransit;
    private double _jitter;

    /// <summary>Creates statistics for <paramref name="ssrc"/> at <paramref name="clockRate"/> Hz.</summary>
    public RtpReceiveStatistics(uint ssrc, int clockRate = 48000)
    {
        Ssrc = ssrc;
        ClockRate = clockRate;
    }

    /// <summary>The source.</summary>
    public uint Ssrc { get; }

    /// <summary>RTP clock rate.</summary>
    public int ClockRate { get; }

    /// <summary>Packets received.</summary>
    public long Received => _received;

    /// <summary>Extended highest sequence number received.</summary>
    public uint ExtendedHighestSequence => _cycles + _maxSeq;

    /// <summary>Packets expected from the first to the highest sequence number.</summary>
    public long Expected => _started ? (long)ExtendedHighestSequence - _baseSeq + 1 : 0;

    /// <summary>Expected minus received (may be negative with duplicates).</summary>
    public long CumulativeLost => Expected - _received;

    /// <summary>Interarrival jitter in RTP timestamp units.</summary>
    public uint Jitter => (uint)_jitter;

    /// <summary>Records a packet; <paramref name="arrivalSeconds"/> is a monotonic arrival time.</summary>
    public void Update(ushort seq, uint rtpTimestamp, double arrivalSeconds)
    {
        if (!_started)
        {
            _started = true;
            _maxSeq = seq;
            _baseSeq = seq;
            _cycles = 0;
        }
        else
        {
            int delta = (ushort)(seq - _maxSeq);
            if (delta < MaxDropout)
            {
                if (seq < _maxSeq)
                {
                    _cycles += 65536;
                }
                _maxSeq = seq;
            }
            else if (delta <= 65536 - MaxMisorder)
            {
                // A large jump: RFC 3550 would wait for a second packet to confirm a restart; count it, keep state.
            }
        }
        _received++;

        // A.8: transit = arrival (in RTP units) - timestamp; jitter += (|D| - jitter) / 16.
        long arrival = (long)(arrivalSeconds * ClockRate);
        long transit = arrival - rtpTimestamp;
        if (_haveTransit)
        {
            long d = Math.Abs(transit - _lastTransit);
            _jitter += (d - _jitter) / 16.0;
        }
        _lastTransit = transit;
        _haveTransit = true;
    }

    /// <summary>Builds a report block and starts a new reporting interval for the fraction lost.</summary>
    public RtcpReportBlock CreateReportBlock(uint lastSenderReport = 0, uint delaySinceLastSenderReport = 0)
    {
        long expected = Expected;
        long expectedInterval = expected - _expectedPrior;
        long receivedInterval = _received - _receivedPrior;
        _expectedPrior = expected;
        _receivedPrior = _received;
        long lostInterval = expectedInterval - receivedInterval;
        byte fraction = expectedInterval == 0 || lostInterval <= 0 ? (byte)0 : (byte)Math.Min(255, (lostInterval << 8) / expectedInterval);
        return new RtcpReportBlock(Ssrc, fraction, (int)Math.Clamp(CumulativeLost, -0x800000, 0x7FFFFF),
            ExtendedHighestSequence, Jitter, lastSenderReport, delaySinceLastSenderReport);
    }
}

namespace OpenChat.MediaNode.Engine;

/// <summary>Node-wide counters of a <see cref="MixerEngine"/>: work per tick, losses, and tick timing.</summary>
public sealed class EngineCounters
{
    private long _ticks;
    private long _lateTicks;
    private long _missedTicks;
    private int _encodesLastTick;
    private int _decodesLastTick;
    private long _encodes;
    private long _decodes;
    private long _decodesSkipped;
    private long _concealed;
    private long _fecRecovered;
    private long _framesSent;
    private long _forwards;
    private long _speakingEvents;
    private long _packetsAccepted;
    private long _packetsLate;
    private long _packetsDuplicate;
    private long _packetsInvalid;
    private long _packetsUnknownMember;
    private long _packetsMuted;
    private long _jitterRestarts;
    private long _roomErrors;
    private long _inboundExpected;
    private long _inboundReceived;

    public long Ticks => Interlocked.Read(ref _ticks);

    /// <summary>Ticks that started later than <see cref="EngineOptions.LateTickThreshold"/> after their scheduled time.</summary>
    public long LateTicks => Interlocked.Read(ref _lateTicks);

    /// <summary>Ticks skipped altogether because the clock fell more than a few ticks behind.</summary>
    public long MissedTicks => Interlocked.Read(ref _missedTicks);

    /// <summary>Encoder runs in the last tick, all rooms together.</summary>
    public int EncodesLastTick => Volatile.Read(ref _encodesLastTick);

    public int DecodesLastTick => Volatile.Read(ref _decodesLastTick);

    public long Encodes => Interlocked.Read(ref _encodes);

    public long Decodes => Interlocked.Read(ref _decodes);

    /// <summary>Frames not decoded because their RFC 6464 level ruled their sender out of the mix.</summary>
    public long DecodesSkipped => Interlocked.Read(ref _decodesSkipped);

    public long Concealed => Interlocked.Read(ref _concealed);

    public long FecRecovered => Interlocked.Read(ref _fecRecovered);

    public long FramesSent => Interlocked.Read(ref _framesSent);

    /// <summary>Frames sent as the talker's own packet (no decode or encode for that listener); the rest of <see cref="FramesSent"/> were encoded.</summary>
    public long Forwards => Interlocked.Read(ref _forwards);

    public long SpeakingEvents => Interlocked.Read(ref _speakingEvents);

    public long PacketsAccepted => Interlocked.Read(ref _packetsAccepted);

    public long PacketsLate => Interlocked.Read(ref _packetsLate);

    public long PacketsDuplicate => Interlocked.Read(ref _packetsDuplicate);

    public long PacketsInvalid => Interlocked.Read(ref _packetsInvalid);

    public long PacketsUnknownMember => Interlocked.Read(ref _packetsUnknownMember);

    public long PacketsMuted => Interlocked.Read(ref _packetsMuted);

    public long JitterRestarts => Interlocked.Read(ref _jitterRestarts);

    /// <summary>Ticks in which a room threw; the room's frame was lost, other rooms were not affected.</summary>
    public long RoomErrors => Interlocked.Read(ref _roomErrors);

    /// <summary>How long each tick took (all rooms).</summary>
    public DurationHistogram TickDuration { get; } = new();

    /// <summary>How late each late tick started.</summary>
    public DurationHistogram Lateness { get; } = new();

    /// <summary>Clears tick timing (durations, lateness, late and missed ticks), e.g. after a warm-up.</summary>
    public void ResetTickStatistics()
    {
        TickDuration.Reset();
        Lateness.Reset();
        Interlocked.Exchange(ref _lateTicks, 0);
        Interlocked.Exchange(ref _missedTicks, 0);
    }

    /// <summary>Media packets members' RTP sequence numbers say were sent to this engine.</summary>
    public long InboundExpected => Interlocked.Read(ref _inboundExpected);

    /// <summary>Media packets that arrived from members (late and repeated ones too).</summary>
    public long InboundReceived => Interlocked.Read(ref _inboundReceived);

    /// <summary>One packet arrived; its sequence number moved the sender's count on by <paramref name="expectedAdvance"/>.</summary>
    internal void CountInbound(long expectedAdvance)
    {
        Interlocked.Increment(ref _inboundReceived);
        if (expectedAdvance != 0) Interlocked.Add(ref _inboundExpected, expectedAdvance);
    }

    internal void CountPacket(JitterInsertResult result)
    {
        switch (result)
        {
            case JitterInsertResult.Accepted: Interlocked.Increment(ref _packetsAccepted); break;
            case JitterInsertResult.Restarted:
                Interlocked.Increment(ref _packetsAccepted);
                Interlocked.Increment(ref _jitterRestarts);
                break;
            case JitterInsertResult.Late: Interlocked.Increment(ref _packetsLate); break;
            case JitterInsertResult.Duplicate: Interlocked.Increment(ref _packetsDuplicate); break;
            case JitterInsertResult.Invalid: Interlocked.Increment(ref _packetsInvalid); break;
            case JitterInsertResult.UnknownMember: Interlocked.Increment(ref _packetsUnknownMember); break;
            case JitterInsertResult.Muted: Interlocked.Increment(ref _packetsMuted); break;
        }
    }

    internal void CountTick(in RoomTickStats total, long durationTicks, long latenessTicks, bool late)
    {
        Interlocked.Increment(ref _ticks);
        Volatile.Write(ref _encodesLastTick, total.Encodes);
        Volatile.Write(ref _decodesLastTick, total.Decodes);
        Interlocked.Add(ref _encodes, total.Encodes);
        Interlocked.Add(ref _decodes, total.Decodes);
        Interlocked.Add(ref _decodesSkipped, total.DecodesSkipped);
        Interlocked.Add(ref _concealed, total.Concealed);
        Interlocked.Add(ref _fecRecovered, total.FecRecovered);
        Interlocked.Add(ref _framesSent, total.FramesSent);
        Interlocked.Add(ref _forwards, total.Forwards);
        Interlocked.Add(ref _speakingEvents, total.SpeakingEvents);
        TickDuration.Record(durationTicks);
        MediaMetrics.RecordTick(durationTicks);
        if (late)
        {
            Interlocked.Increment(ref _lateTicks);
            Lateness.Record(latenessTicks);
        }
    }

    internal void CountMissedTicks(long missed) => Interlocked.Add(ref _missedTicks, missed);

    internal void CountRoomError() => Interlocked.Increment(ref _roomErrors);
}

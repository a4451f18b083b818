using System.Diagnostics;

namespace OpenChat.MediaNode.Engine;

/// <summary>
/// One member's adaptive jitter buffer: reorders packets by RTP timestamp, plays one 20 ms frame per
/// tick, and keeps its delay near the 98th percentile of the measured packet delay variation, within
/// configured bounds. Memory is a ring of packet slots allocated up front, each of <see cref="InitialSlotBytes"/>
/// (a voice packet up to about 200 kb/s); the first larger packet widens every slot to the largest Opus packet,
/// once for the buffer's life.
/// </summary>
/// <remarks>
/// Thread-safe for one producer (the network receive thread calling <see cref="Insert"/>) and one consumer
/// (the mixing thread calling <see cref="Pull"/>). Both hold a per-buffer lock only to copy one payload.
/// Times are <see cref="Stopwatch"/> ticks supplied by the caller, so tests can simulate arrival jitter.
/// </remarks>
public sealed class JitterBuffer
{
    private const int FrameMs = AudioFormat.FrameMilliseconds;
    private const int FrameSamples = AudioFormat.FrameSamples;
    private const int MaxSlotBytes = AudioFormat.MaxOpusPacketBytes;

    /// <summary>Bytes of each slot until a larger packet arrives.</summary>
    internal const int InitialSlotBytes = 512;
    private const byte NoLevel = 0xFF;

    // Delay histogram: 2 ms buckets up to 200 ms, exponentially forgotten with a time constant of about
    // 150 packets (3 s): the delay rises within a few late packets and falls back over about ten seconds.
    private const int BucketMs = 2;
    private const int Buckets = 100;
    private const float Forget = 1f / 0.9933f;
    private const double DelayQuantile = 0.98;
    private const double DelayMarginMs = 4;

    // The earliest-arrival line is the minimum transit time over two windows of this length, so it
    // follows clock drift between sender and mixer instead of holding an old minimum forever.
    private const double TransitWindowMs = 4_000;

    // A packet this much later than the earliest-arrival line means the sender's timeline jumped.
    private const double TimelineJumpMs = 1_000;

    // Playout adjusts when the current frame is due this far from the tick (dead band wider than a tick,
    // so it never oscillates): drop a frame when playing too late, insert one when too early.
    private const double DropLagMs = 30;
    private const double StretchLagMs = -10;

    private readonly Lock _gate = new();
    private readonly int _mask;
    private byte[] _data;
    private int _slotBytes = InitialSlotBytes;
    private readonly long[] _slotFrame;
    private readonly short[] _slotLength;
    private readonly byte[] _slotLevel;
    private readonly float[] _histogram = new float[Buckets];
    private readonly double _minDelayMs;
    private readonly double _maxDelayMs;
    private readonly int _maxConcealedFrames;
    private readonly double _msPerTick = 1000.0 / Stopwatch.Frequency;

    private bool _hasBase;
    private long _baseTimestamp;
    private long _highestTimestamp;

    private bool _playing;
    private long _playFrame = long.MinValue;
    private int _buffered;
    private long _lowestBuffered = long.MaxValue;
    private int _missingRun;

    private double _windowStartMs;
    private double _minTransitCurrent;
    private double _minTransitPrevious;
    private float _histogramWeight = 1f;
    private float _histogramTotal;
    private double _targetDelayMs;

    public JitterBuffer(int slots, int minDelayMs, int maxDelayMs, int maxConcealedFrames)
    {
        if (slots < 4 || (slots & (slots - 1)) != 0) throw new ArgumentOutOfRangeException(nameof(slots), "a power of two >= 4");
        _mask = slots - 1;
        _data = new byte[slots * InitialSlotBytes];
        _slotFrame = new long[slots];
        _slotLength = new short[slots];
        _slotLevel = new byte[slots];
        Array.Fill(_slotFrame, long.MinValue);
        _minDelayMs = minDelayMs;
        _maxDelayMs = maxDelayMs;
        _maxConcealedFrames = maxConcealedFrames;
        _targetDelayMs = minDelayMs;
    }

    /// <summary>Current target delay in milliseconds (between the configured bounds).</summary>
    public double TargetDelayMs { get { lock (_gate) return _targetDelayMs; } }

    /// <summary>Packets currently held.</summary>
    public int Count { get { lock (_gate) return _buffered; } }

    public long FramesDropped { get; private set; }

    public long FramesInserted { get; private set; }

    /// <summary>Bytes each slot holds now: <see cref="InitialSlotBytes"/>, or the largest Opus packet once one larger arrived.</summary>
    internal int SlotBytes { get { lock (_gate) return _slotBytes; } }

    /// <summary>
    /// Stores a packet; called from the network receive thread. Allocates only once in the buffer's life: when the
    /// first packet larger than <see cref="InitialSlotBytes"/> arrives.
    /// </summary>
    public JitterInsertResult Insert(uint rtpTimestamp, ReadOnlySpan<byte> payload, byte? audioLevelDbov, long arrivalTicks)
    {
        if (payload.IsEmpty || payload.Length > MaxSlotBytes) return JitterInsertResult.Invalid;
        double arrivalMs = arrivalTicks * _msPerTick;
        lock (_gate)
        {
            long timestamp;
            if (!_hasBase)
            {
                _hasBase = true;
                timestamp = rtpTimestamp;
                _baseTimestamp = timestamp;
                _highestTimestamp = timestamp;
                ResetTransit(arrivalMs, arrivalMs);
            }
            else
            {
                // Unwrap the 32-bit timestamp around the highest one seen.
                timestamp = _highestTimestamp + unchecked((int)(rtpTimestamp - (uint)_highestTimestamp));
                if (timestamp > _highestTimestamp) _highestTimestamp = timestamp;
            }

            long frame = FloorDiv(timestamp - _baseTimestamp + FrameSamples / 2, FrameSamples);
            bool restarted = false;
            bool started = _playFrame != long.MinValue;

            // Far behind the playout point: the sender restarted its timeline.
            if (started && frame < _playFrame - _slotFrame.Length)
            {
                Restart(frame, arrivalMs);
                restarted = true;
            }

            // Far ahead of what is buffered: the buffer cannot hold it, so start over from this packet.
            long windowStart = _playing ? _playFrame : (_buffered > 0 ? _lowestBuffered : frame);
            if (!restarted && frame >= windowStart + _slotFrame.Length)
            {
                Restart(frame, arrivalMs);
                restarted = true;
            }

            // Late packets are measured too: leaving them out would hide exactly the delays the target must cover.
            ObserveTransit(arrivalMs - frame * (double)FrameMs, arrivalMs);
            if (!restarted && started && frame < _playFrame) return JitterInsertResult.Late;

            int slot = (int)(frame & _mask);
            if (_slotFrame[slot] == frame) return JitterInsertResult.Duplicate;
            if (_slotFrame[slot] != long.MinValue) _buffered--;

            if (payload.Length > _slotBytes) Widen();
            payload.CopyTo(_data.AsSpan(slot * _slotBytes, _slotBytes));
            _slotFrame[slot] = frame;
            _slotLength[slot] = (short)payload.Length;
            _slotLevel[slot] = audioLevelDbov is { } level ? Math.Min(level, AudioLevel.Silence) : NoLevel;
            _buffered++;
            if (!_playing && frame < _lowestBuffered) _lowestBuffered = frame;
            return restarted ? JitterInsertResult.Restarted : JitterInsertResult.Accepted;
        }
    }

    /// <summary>
    /// Hands out the frame to play at <paramref name="nowTicks"/>, copying its payload into
    /// <paramref name="payload"/> (at least 1,275 bytes). Called once per tick from the mixing thread.
    /// </summary>
    public JitterFrame Pull(long nowTicks, Span<byte> payload)
    {
        double nowMs = nowTicks * _msPerTick;
        lock (_gate)
        {
            if (!_playing)
            {
                if (_buffered == 0) return JitterFrame.None;
                long first = _lowestBuffered;
                if (nowMs < DueMs(first)) return JitterFrame.None;
                _playing = true;
                _playFrame = first;
                _missingRun = 0;
            }
            else
            {
                double lag = nowMs - DueMs(_playFrame);
                if (lag >= DropLagMs)
                {
                    // Playing later than the target: skip a frame to shorten the delay.
                    DiscardSlot(_playFrame);
                    _playFrame++;
                    FramesDropped++;
                }
                else if (lag < StretchLagMs)
                {
                    // Playing earlier than the target: repeat time (conceal) without consuming a frame.
                    FramesInserted++;
                    return new JitterFrame(JitterFrameKind.Missing, 0, null, 0);
                }
            }

            long frame = _playFrame++;
            int slot = (int)(frame & _mask);
            if (_slotFrame[slot] == frame)
            {
                int length = _slotLength[slot];
                _data.AsSpan(slot * _slotBytes, length).CopyTo(payload);
                byte level = _slotLevel[slot];
                ClearSlot(slot);
                _missingRun = 0;
                return new JitterFrame(JitterFrameKind.Packet, length, level == NoLevel ? null : level, 0);
            }

            _missingRun++;
            int next = (int)((frame + 1) & _mask);
            if (_slotFrame[next] == frame + 1)
            {
                int length = _slotLength[next];
                ReadOnlySpan<byte> nextPayload = _data.AsSpan(next * _slotBytes, length);
                if (OpusPacket.HasFec(nextPayload))
                {
                    nextPayload.CopyTo(payload);
                    byte level = _slotLevel[next];
                    return new JitterFrame(JitterFrameKind.Fec, length, level == NoLevel ? null : level, _missingRun);
                }
            }

            // Nothing left and nothing arriving: stop, so the next packet starts a fresh playout with the
            // full target delay instead of being played the instant it arrives.
            if (_buffered == 0 && _missingRun > _maxConcealedFrames)
            {
                _playing = false;
                _lowestBuffered = long.MaxValue;
            }
            return new JitterFrame(JitterFrameKind.Missing, 0, null, _missingRun);
        }
    }

    /// <summary>Drops everything (e.g. on mute), keeping the delay statistics.</summary>
    public void Clear()
    {
        lock (_gate)
        {
            for (int i = 0; i < _slotFrame.Length; i++) _slotFrame[i] = long.MinValue;
            _buffered = 0;
            _lowestBuffered = long.MaxValue;
            _playing = false;
        }
    }

    /// <summary>Gives every slot room for the largest Opus packet, keeping the packets held (under the lock).</summary>
    private void Widen()
    {
        var data = new byte[_slotFrame.Length * MaxSlotBytes];
        for (int slot = 0; slot < _slotFrame.Length; slot++)
        {
            if (_slotFrame[slot] != long.MinValue)
            {
                _data.AsSpan(slot * _slotBytes, _slotLength[slot]).CopyTo(data.AsSpan(slot * MaxSlotBytes));
            }
        }
        _data = data;
        _slotBytes = MaxSlotBytes;
    }

    private double DueMs(long frame) =>
        frame * (double)FrameMs + Math.Min(_minTransitCurrent, _minTransitPrevious) + _targetDelayMs;

    private void Restart(long frame, double arrivalMs)
    {
        for (int i = 0; i < _slotFrame.Length; i++) _slotFrame[i] = long.MinValue;
        _buffered = 0;
        _playing = false;
        _playFrame = long.MinValue;
        _lowestBuffered = long.MaxValue;
        ResetTransit(arrivalMs - frame * (double)FrameMs, arrivalMs);
    }

    private void DiscardSlot(long frame)
    {
        int slot = (int)(frame & _mask);
        if (_slotFrame[slot] == frame) ClearSlot(slot);
    }

    private void ClearSlot(int slot)
    {
        _slotFrame[slot] = long.MinValue;
        _buffered--;
    }

    private void ResetTransit(double transitMs, double arrivalMs)
    {
        _minTransitCurrent = transitMs;
        _minTransitPrevious = transitMs;
        _windowStartMs = arrivalMs;
    }

    private void ObserveTransit(double transitMs, double arrivalMs)
    {
        if (arrivalMs - _windowStartMs > TransitWindowMs)
        {
            _minTransitPrevious = _minTransitCurrent;
            _minTransitCurrent = transitMs;
            _windowStartMs = arrivalMs;
        }
        else if (transitMs < _minTransitCurrent)
        {
            _minTransitCurrent = transitMs;
        }

        double relative = transitMs - Math.Min(_minTransitCurrent, _minTransitPrevious);
        if (relative > TimelineJumpMs)
        {
            // The timeline moved under us (e.g. a long stall); measure afresh rather than play years late.
            ResetTransit(transitMs, arrivalMs);
            relative = 0;
        }

        int bucket = Math.Clamp((int)(relative / BucketMs), 0, Buckets - 1);
        _histogramWeight *= Forget;
        if (_histogramWeight > 1e6f)
        {
            for (int i = 0; i < Buckets; i++) _histogram[i] /= _histogramWeight;
            _histogramTotal /= _histogramWeight;
            _histogramWeight = 1f;
        }
        _histogram[bucket] += _histogramWeight;
        _histogramTotal += _histogramWeight;

        double wanted = _histogramTotal * DelayQuantile;
        double cumulative = 0;
        int quantileBucket = Buckets - 1;
        for (int i = 0; i < Buckets; i++)
        {
            cumulative += _histogram[i];
            if (cumulative >= wanted)
            {
                quantileBucket = i;
                break;
            }
        }
        double delay = (quantileBucket + 1) * BucketMs + DelayMarginMs;
        _targetDelayMs = Math.Clamp(delay, _minDelayMs, _maxDelayMs);
    }

    private static long FloorDiv(long a, long b)
    {
        long q = a / b;
        return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
    }
}

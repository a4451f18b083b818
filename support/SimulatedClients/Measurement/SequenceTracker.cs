namespace OpenChat.SimulatedClients.Measurement;

/// <summary>How a packet's sequence number relates to those before it.</summary>
public enum SequenceKind
{
    /// <summary>The first packet, or the first after the stream restarted.</summary>
    First,
    /// <summary>Newer than any before; <see cref="SequenceResult.Missing"/> numbers were skipped.</summary>
    InOrder,
    /// <summary>Older than the newest, not seen before: it arrived out of order and is no longer counted lost.</summary>
    Late,
    /// <summary>Seen before.</summary>
    Duplicate,
}

/// <summary>The verdict on one packet.</summary>
/// <param name="Kind">How it relates to the packets before it.</param>
/// <param name="LostChange">How the lost count changed: the numbers skipped for an in-order packet, -1 for a late one that had been counted lost.</param>
public readonly record struct SequenceResult(SequenceKind Kind, int LostChange)
{
    /// <summary>Sequence numbers skipped just before this packet.</summary>
    public int Missing => Kind == SequenceKind.InOrder ? LostChange : 0;
}

/// <summary>
/// Counts loss from one RTP stream's 16-bit sequence numbers (wrapping at 65,535): a skipped number is lost until
/// it arrives late; the last 64 numbers are remembered to tell late packets from duplicates.
/// </summary>
public sealed class SequenceTracker
{
    // A jump this large is a restarted stream, not loss.
    private const int MaxJump = 3000;

    private long _highest = -1;
    private ulong _seen;

    public long Received { get; private set; }

    public long Lost { get; private set; }

    public long Late { get; private set; }

    public long Duplicates { get; private set; }

    public SequenceResult Add(ushort sequence)
    {
        if (_highest < 0)
        {
            Start(sequence);
            return new SequenceResult(SequenceKind.First, 0);
        }
        int delta = (short)(sequence - (ushort)_highest);
        if (Math.Abs(delta) > MaxJump)
        {
            Start(sequence);
            return new SequenceResult(SequenceKind.First, 0);
        }
        if (delta > 0)
        {
            _seen = delta >= 64 ? 1UL : (_seen << delta) | 1UL;
            _highest += delta;
            Received++;
            Lost += delta - 1;
            return new SequenceResult(SequenceKind.InOrder, delta - 1);
        }
        int back = -delta;
        if (back < 64 && (_seen & (1UL << back)) != 0)
        {
            Duplicates++;
            return new SequenceResult(SequenceKind.Duplicate, 0);
        }
        Received++;
        Late++;
        if (back >= 64) return new SequenceResult(SequenceKind.Late, 0);
        _seen |= 1UL << back;
        Lost--;
        return new SequenceResult(SequenceKind.Late, -1);
    }

    private void Start(ushort sequence)
    {
        _highest = sequence;
        _seen = 1;
        Received++;
    }
}

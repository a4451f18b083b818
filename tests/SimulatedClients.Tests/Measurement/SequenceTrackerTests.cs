using OpenChat.SimulatedClients.Measurement;
using Xunit;

namespace OpenChat.SimulatedClients.Tests.Measurement;

public sealed class SequenceTrackerTests
{
    private static SequenceTracker Feed(params ushort[] sequence)
    {
        var tracker = new SequenceTracker();
        foreach (var s in sequence) tracker.Add(s);
        return tracker;
    }

    [Fact]
    public void In_order_packets_lose_nothing()
    {
        var t = Feed(10, 11, 12, 13, 14);
        Assert.Equal((5L, 0L, 0L, 0L), (t.Received, t.Lost, t.Late, t.Duplicates));
    }

    [Fact]
    public void Skipped_numbers_are_lost_and_reported_as_missing_before_the_next_packet()
    {
        var tracker = new SequenceTracker();
        tracker.Add(100);
        Assert.Equal(new SequenceResult(SequenceKind.InOrder, 0), tracker.Add(101));
        var result = tracker.Add(105);
        Assert.Equal(3, result.Missing);
        Assert.Equal(3, tracker.Lost);
    }

    [Fact]
    public void A_late_packet_is_no_longer_lost_and_a_repeat_is_a_duplicate()
    {
        var tracker = Feed(1, 2, 4, 5);
        Assert.Equal(1, tracker.Lost);
        Assert.Equal(new SequenceResult(SequenceKind.Late, -1), tracker.Add(3));
        Assert.Equal(SequenceKind.Duplicate, tracker.Add(3).Kind);
        Assert.Equal(SequenceKind.Duplicate, tracker.Add(5).Kind);
        Assert.Equal((5L, 0L, 1L, 2L), (tracker.Received, tracker.Lost, tracker.Late, tracker.Duplicates));
    }

    [Fact]
    public void Numbers_wrap_at_65535()
    {
        var t = Feed(65533, 65534, 65535, 0, 2, 3);
        Assert.Equal((6L, 1L), (t.Received, t.Lost));
    }

    [Fact]
    public void A_huge_jump_is_a_restarted_stream_not_loss()
    {
        var t = Feed(1, 2, 3, 20000, 20001);
        Assert.Equal((5L, 0L), (t.Received, t.Lost));
    }
}

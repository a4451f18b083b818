using OpenChat.SimulatedClients.Measurement;
using Xunit;

namespace OpenChat.SimulatedClients.Tests.Members;

/// <summary>
/// A member that only counts (<see cref="ListenerAnalysis.Count"/>), handed packets directly: what it makes of
/// sequence numbers and RFC 6464 levels, slot by slot, without a server.
/// </summary>
public sealed class CountingMemberTests : IAsyncLifetime
{
    private const uint Ssrc = 0x1234;
    private static readonly byte[] Payload = new byte[40];

    // A clock of its own that nobody subscribes to: the test ends the slots itself.
    private readonly FrameClock _clock = new();
    private SimulatedMember _member = null!;

    public Task InitializeAsync()
    {
        _member = new SimulatedMember(new SimulatedMemberOptions
        {
            Gateways = ["http://127.0.0.1:1"],
            DisplayName = "Counter",
            ChannelId = "counted",
            Analysis = ListenerAnalysis.Count,
            CandidateFrequencies = [1000],
            Clock = _clock,
            LeaveOnDispose = false,
        });
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await _member.DisposeAsync();
        _clock.Dispose();
    }

    /// <summary>Plays slots 0..n-1: <paramref name="packets"/> says which packets (sequence, level) arrive in a slot; every slot expects audio.</summary>
    private void Play(int slots, Func<int, (ushort Sequence, int Level)[]> packets)
    {
        var leg = _member.Media.OpenFirst();
        var measurement = _member.Measurement;
        for (int slot = 0; slot < slots; slot++)
        {
            foreach (var (sequence, level) in packets(slot))
                leg.Receive(Ssrc, sequence, (uint)(sequence * 960), marker: sequence == 0, level, Payload);
            var flags = SlotFlags.Expected | (measurement.TakeHeard() ? SlotFlags.Heard : SlotFlags.None);
            measurement.EndSlot(slot, flags);
        }
    }

    [Fact]
    public void A_counting_member_counts_delivered_lost_and_late_packets_from_their_sequence_numbers()
    {
        // Packets 30 to 32 are lost on the way; 31 turns up late, in slot 40.
        Play(100, slot => slot switch
        {
            >= 30 and <= 32 => [],
            40 => [(40, 20), (31, 20)],
            _ => [((ushort)slot, 20)],
        });

        var s = _member.Stats;
        Assert.Equal(ListenerAnalysis.Count, s.Analysis);
        Assert.Equal(98, s.PacketsReceived);
        Assert.Equal(2, s.PacketsLost);
        Assert.Equal(1, s.PacketsLate);
        Assert.Equal(0, s.PacketsDuplicated);
        // Nothing was decoded, nor concealed, nor measured as a tone.
        Assert.Equal(0, s.FramesDecoded);
        Assert.Equal(0, s.FramesConcealed);
        Assert.All(s.Frequencies, f => Assert.Equal(0, f.Frames));
        Assert.Empty(s.DominantFrequencies);
    }

    [Fact]
    public void A_counting_member_finds_gaps_where_no_packet_or_only_silent_ones_arrived()
    {
        Play(100, slot => slot switch
        {
            // Lost: a 60 ms gap.
            >= 30 and <= 32 => [],
            // Arrived, but at -127 dBov and -60 dBov: below the -50 dBFS threshold, so a 100 ms gap.
            >= 60 and <= 62 => [((ushort)slot, 127)],
            >= 63 and <= 64 => [((ushort)slot, 60)],
            // No level at all: the packet counts as audible.
            70 => [((ushort)slot, -1)],
            // Two missing slots only: jitter, under the 60 ms minimum.
            >= 80 and <= 81 => [],
            _ => [((ushort)slot, 20)],
        });

        var s = _member.Stats;
        Assert.Equal([60.0, 100.0], s.Gaps.Select(g => g.Duration.TotalMilliseconds));
        Assert.Equal([600.0, 1200.0], s.Gaps.Select(g => g.Start.TotalMilliseconds));
        // Audible: 100 slots, less 5 lost, less 5 silent.
        Assert.Equal(90, s.AudibleFrames);
        Assert.Equal(0.90, s.ExpectedCoverage, 6);
        // The mean level is of the packets that carried one (-20 dBov each).
        Assert.Equal(-20, s.MeanAudibleDbfs, 6);
        Assert.Equal(95, s.PacketsReceived);
        Assert.Equal(5, s.PacketsLost);
    }

    [Fact]
    public async Task A_counting_member_refuses_to_wait_for_frequencies_it_cannot_tell_apart()
    {
        await Assert.ThrowsAsync<InvalidOperationException>(() => _member.WaitUntilHearingAsync([1000], TimeSpan.FromSeconds(1)));
    }
}

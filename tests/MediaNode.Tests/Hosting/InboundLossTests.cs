using System.Diagnostics;
using Microsoft.Extensions.Options;
using OpenChat.MediaNode.Engine;
using Xunit;

namespace OpenChat.MediaNode.Tests.Hosting;

/// <summary>The load sample's inbound loss: packets members' sequence numbers say were sent but never arrived.</summary>
public sealed class InboundLossTests
{
    private static readonly byte[] Opus = [0xF8, 0xFF, 0xFE]; // a 20 ms CELT frame of silence

    private static void Send(MixerRoom room, MemberId member, params int[] sequences)
    {
        foreach (var sequence in sequences)
            room.OnPacket(member, (ushort)sequence, (uint)(sequence * 960), Opus, null, Stopwatch.GetTimestamp());
    }

    [Fact]
    public void Loss_is_counted_per_interval_across_members_and_sequence_wrap()
    {
        using var media = new MediaEngineService(Options.Create(new MediaNodeOptions()));
        var room = media.Engine.CreateRoom(new RoomId("loss"));
        var alice = room.AddMember(new MemberId(1)).Id;
        var bob = room.AddMember(new MemberId(2)).Id;

        // Alice: 1..10 without 4 and 7 (2 of 10 lost). Bob: 65530..65535, 0..3 across the wrap, all there.
        Send(room, alice, 1, 2, 3, 5, 6, 8, 9, 10);
        Send(room, bob, 65530, 65531, 65532, 65533, 65534, 65535, 0, 1, 2, 3);
        Assert.Equal(10.0, media.Sample().InboundLossPercent, 6);

        // Nothing sent since: nothing lost.
        Assert.Equal(0.0, media.Sample().InboundLossPercent);

        // Only this interval counts: Alice 11..20 complete, Bob 4..13 without 5 of them.
        Send(room, alice, Enumerable.Range(11, 10).ToArray());
        Send(room, bob, 4, 6, 8, 10, 12, 13);
        Assert.Equal(100.0 * 4 / 20, media.Sample().InboundLossPercent, 6);

        // A packet that arrives late (reordered) is not lost; a duplicate is not a loss either.
        Send(room, alice, 22, 21, 22, 23);
        Assert.Equal(0.0, media.Sample().InboundLossPercent);

        // Members who leave take their counts with them without making the next sample negative or lossy.
        room.RemoveMember(bob);
        Send(room, alice, 24, 25);
        Assert.Equal(0.0, media.Sample().InboundLossPercent);
    }
}

using System.Security.Cryptography;
using OpenChat.Rtc.Rtp;
using OpenChat.Rtc.Srtp;
using Xunit;

namespace OpenChat.Rtc.Tests.Srtp;

public class SrtpEdgeCaseTests
{
    private static (SrtpContext Tx, SrtpContext Rx) Pair(SrtpProfile profile)
    {
        var key = RandomNumberGenerator.GetBytes(SrtpProfileInfo.MasterKeyLength(profile));
        var salt = RandomNumberGenerator.GetBytes(SrtpProfileInfo.MasterSaltLength(profile));
        return (new SrtpContext(profile, key, salt), new SrtpContext(profile, key, salt));
    }

    /// <summary>A protected packet whose payload encodes its own sequence number and SSRC.</summary>
    private static byte[] Protect(SrtpContext tx, uint ssrc, ushort seq)
    {
        var buffer = new byte[200];
        int h = RtpWriter.WriteHeader(buffer, false, 111, seq, seq * 960u, ssrc);
        for (int i = 0; i < 100; i++)
        {
            buffer[h + i] = (byte)(seq + i + ssrc);
        }
        Assert.True(tx.ProtectRtp(buffer, h + 100, out int len));
        return buffer[..len];
    }

    private static bool Unprotect(SrtpContext rx, byte[] packet, out ushort seq)
    {
        var copy = (byte[])packet.Clone();
        seq = 0;
        if (!rx.UnprotectRtp(copy, out int len))
        {
            return false;
        }
        Assert.True(RtpPacket.TryParse(copy.AsSpan(0, len), out var rtp));
        seq = rtp.SequenceNumber;
        for (int i = 0; i < 100; i++)
        {
            Assert.Equal((byte)(rtp.SequenceNumber + i + rtp.Ssrc), rtp.Payload[i]);
        }
        return true;
    }

    [Theory]
    [InlineData(SrtpProfile.Aes128CmHmacSha1_80)]
    [InlineData(SrtpProfile.AeadAes128Gcm)]
    public void Sequence_wraps_at_65535_and_the_rollover_counter_follows(SrtpProfile profile)
    {
        var (tx, rx) = Pair(profile);
        ushort seq = 65530;
        for (int i = 0; i < 20; i++, seq++)
        {
            var packet = Protect(tx, 0x1234, seq);
            Assert.True(Unprotect(rx, packet, out var got), $"seq {seq} refused");
            Assert.Equal(seq, got);
        }
        Assert.Equal(1u, tx.GetRolloverCounter(0x1234));
        Assert.Equal(1u, rx.GetRolloverCounter(0x1234));
    }

    [Theory]
    [InlineData(SrtpProfile.Aes128CmHmacSha1_80)]
    [InlineData(SrtpProfile.AeadAes128Gcm)]
    public void Reordering_around_the_wrap_is_accepted_once(SrtpProfile profile)
    {
        var (tx, rx) = Pair(profile);
        var sent = new Dictionary<ushort, byte[]>();
        foreach (ushort s in new ushort[] { 65532, 65533, 65534, 65535, 0, 1, 2, 3 })
        {
            sent[s] = Protect(tx, 7, s);
        }
        // Arrival order crosses the wrap in both directions.
        ushort[] order = [65532, 65534, 0, 65533, 2, 65535, 1, 3];
        foreach (var s in order)
        {
            Assert.True(Unprotect(rx, sent[s], out var got), $"seq {s} refused");
            Assert.Equal(s, got);
        }
        Assert.Equal(1u, rx.GetRolloverCounter(7));
        foreach (var s in order)
        {
            Assert.False(Unprotect(rx, sent[s], out _), $"replay of {s} accepted");
        }
    }

    [Theory]
    [InlineData(SrtpProfile.Aes128CmHmacSha1_80)]
    [InlineData(SrtpProfile.AeadAes128Gcm)]
    public void Replayed_and_too_old_packets_are_refused(SrtpProfile profile)
    {
        var (tx, rx) = Pair(profile);
        var first = Protect(tx, 9, 100);
        Assert.True(Unprotect(rx, first, out _));
        Assert.False(Unprotect(rx, first, out _));
        Assert.Equal(1, rx.ReplaysRefused);

        var old = Protect(tx, 9, 101);
        for (ushort s = 102; s < 200; s++)
        {
            Assert.True(Unprotect(rx, Protect(tx, 9, s), out _));
        }
        // 101 was never received but is now 98 behind the highest: outside the 64-packet window.
        Assert.False(Unprotect(rx, old, out _));
    }

    [Theory]
    [InlineData(SrtpProfile.Aes128CmHmacSha1_80)]
    [InlineData(SrtpProfile.AeadAes128Gcm)]
    public void Two_ssrcs_keep_separate_counters_on_one_session(SrtpProfile profile)
    {
        var (tx, rx) = Pair(profile);
        ushort a = 65500;
        ushort b = 1000;
        for (int i = 0; i < 100; i++, a++, b++)
        {
            Assert.True(Unprotect(rx, Protect(tx, 0xAAAA, a), out var ga));
            Assert.Equal(a, ga);
            Assert.True(Unprotect(rx, Protect(tx, 0xBBBB, b), out var gb));
            Assert.Equal(b, gb);
        }
        Assert.Equal(1u, rx.GetRolloverCounter(0xAAAA));
        Assert.Equal(0u, rx.GetRolloverCounter(0xBBBB));
        // The same sequence number on another SSRC is not a replay.
        Assert.True(Unprotect(rx, Protect(tx, 0xCCCC, 500), out _));
        Assert.True(Unprotect(rx, Protect(tx, 0xDDDD, 500), out _));
    }

    [Theory]
    [InlineData(SrtpProfile.Aes128CmHmacSha1_80)]
    [InlineData(SrtpProfile.AeadAes128Gcm)]
    public void Tampered_packet_is_refused_and_changes_no_state(SrtpProfile profile)
    {
        var (tx, rx) = Pair(profile);
        for (ushort s = 65000; s < 65010; s++)
        {
            Assert.True(Unprotect(rx, Protect(tx, 5, s), out _));
        }
        // A packet just past the wrap (would move the ROC and slide the window) but with one bit flipped.
        var ahead = Protect(tx, 5, 200);
        foreach (int position in new[] { 2, 12, 50, ahead.Length - 1 })
        {
            var tampered = (byte[])ahead.Clone();
            tampered[position] ^= 0x01;
            var before = (byte[])tampered.Clone();
            Assert.False(rx.UnprotectRtp(tampered, out _));
            Assert.Equal(before, tampered);
        }
        Assert.Equal(4, rx.AuthenticationFailures);
        Assert.Equal(0u, rx.GetRolloverCounter(5));
        // Window untouched: the next in-order packet and a late one inside the window still pass.
        var late = Protect(tx, 5, 65010);
        Assert.True(Unprotect(rx, Protect(tx, 5, 65011), out _));
        Assert.True(Unprotect(rx, late, out _));
        // A forged packet for an unknown SSRC allocates no state.
        var unknown = Protect(tx, 6, 1);
        unknown[^1] ^= 0x80;
        Assert.False(rx.UnprotectRtp(unknown, out _));
        Assert.Null(rx.GetRolloverCounter(6));
    }

    [Theory]
    [InlineData(SrtpProfile.Aes128CmHmacSha1_80)]
    [InlineData(SrtpProfile.AeadAes128Gcm)]
    public void Srtcp_round_trips_and_refuses_replay_and_tampering(SrtpProfile profile)
    {
        var (tx, rx) = Pair(profile);
        var buffer = new byte[128];
        var rtcp = Hex.Parse("81c90007 00000001 00000002 00000000 00000064 00000000 00000000 00000000");
        rtcp.CopyTo(buffer, 0);
        Assert.True(tx.ProtectRtcp(buffer, rtcp.Length, out int len));
        var packet = buffer[..len];
        var tampered = (byte[])packet.Clone();
        tampered[10] ^= 4;
        Assert.False(rx.UnprotectRtcp(tampered, out _));
        var copy = (byte[])packet.Clone();
        Assert.True(rx.UnprotectRtcp(copy, out int plain));
        Assert.Equal(rtcp, copy[..plain]);
        Assert.False(rx.UnprotectRtcp((byte[])packet.Clone(), out _));
    }

    [Theory]
    [InlineData(SrtpProfile.Aes128CmHmacSha1_80)]
    [InlineData(SrtpProfile.AeadAes128Gcm)]
    public void A_context_keeps_no_packet_sized_buffer_of_its_own(SrtpProfile profile)
    {
        // A member holds two contexts for as long as it is connected; the buffers a packet is computed in belong to
        // the thread. The first pair and its packets allocate this thread's buffers, the second pair none of its own.
        var (tx, rx) = Pair(profile);
        Assert.True(Unprotect(rx, Protect(tx, 7, 1), out _));

        var key = RandomNumberGenerator.GetBytes(SrtpProfileInfo.MasterKeyLength(profile));
        var salt = RandomNumberGenerator.GetBytes(SrtpProfileInfo.MasterSaltLength(profile));
        long before = GC.GetAllocatedBytesForCurrentThread();
        var context = new SrtpContext(profile, key, salt);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        context.Dispose();
        Assert.True(allocated < SrtpCipher.MaxPacketLength / 2, $"a context allocated {allocated} bytes");
    }

    [Theory]
    [InlineData(SrtpProfile.Aes128CmHmacSha1_80)]
    [InlineData(SrtpProfile.AeadAes128Gcm)]
    public void Contexts_taking_turns_on_one_thread_keep_their_packets_apart(SrtpProfile profile)
    {
        var (txA, rxA) = Pair(profile);
        var (txB, rxB) = Pair(profile);
        for (ushort seq = 1; seq <= 20; seq++)
        {
            var a = Protect(txA, 1, seq);
            var b = Protect(txB, 2, seq);
            // A packet under the other pair's keys fails and leaves the packet as it was.
            var copy = (byte[])b.Clone();
            Assert.False(rxA.UnprotectRtp(copy, out _));
            Assert.Equal(b, copy);
            Assert.True(Unprotect(rxB, b, out var gotB));
            Assert.True(Unprotect(rxA, a, out var gotA));
            Assert.Equal(seq, gotA);
            Assert.Equal(seq, gotB);
        }
    }
}

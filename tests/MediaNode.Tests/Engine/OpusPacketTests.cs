using OpenChat.MediaNode.Engine;
using Xunit;

namespace OpenChat.MediaNode.Tests.Engine;

public sealed class OpusPacketTests
{
    [Fact]
    public void Fec_is_detected_only_in_packets_of_an_encoder_that_adds_it()
    {
        var withFec = new ToneSource(300, 0.2, fec: true);
        var without = new ToneSource(300, 0.2, fec: false);
        int fecSeen = 0, falsePositives = 0;
        for (int i = 0; i < 50; i++)
        {
            if (OpusPacket.HasFec(withFec.Next().Payload)) fecSeen++;
            if (OpusPacket.HasFec(without.Next().Payload)) falsePositives++;
        }
        // The encoder adds LBRR only after frames its VAD judged active, so not every packet has it.
        Assert.True(fecSeen >= 10, $"FEC seen in {fecSeen} of 50 packets");
        Assert.Equal(0, falsePositives);
    }

    [Fact]
    public void A_lost_packet_is_recovered_from_the_next_packets_fec()
    {
        using var sim = new Simulation();
        sim.Join(1);
        var listener = sim.Join(2);
        var source = new ToneSource(300, 0.2, fec: true);
        var packets = Enumerable.Range(0, 60).Select(_ => source.Next()).ToArray();
        // Lose four packets whose successor carries FEC, far enough apart to be separate losses.
        var lost = new HashSet<int>();
        for (int k = 10; k < 55 && lost.Count < 4; k++)
        {
            if (OpusPacket.HasFec(packets[k + 1].Payload) && !lost.Contains(k - 1) && !lost.Contains(k - 2)) lost.Add(k);
        }
        Assert.Equal(4, lost.Count);

        var silence = new ToneSource(0, 0);
        for (int k = 0; k < 60; k++)
        {
            if (!lost.Contains(k)) sim.Send(1, packets[k], withLevel: true, delayMs: 30);
            sim.Send(2, silence.Next(), withLevel: true, delayMs: 30);
            sim.Step();
        }
        var c = sim.Engine.Counters;
        Assert.True(c.FecRecovered == 4, $"recovered {c.FecRecovered}, concealed {c.Concealed}, decodes {c.Decodes}, late {c.PacketsLate}");
        Assert.Equal(0, c.Concealed);
        Assert.True(listener.Frames.Count >= 55);
    }
}

using OpenChat.MediaNode.Engine;
using Xunit;

namespace OpenChat.MediaNode.Tests.Engine;

public sealed class AudioLevelTests
{
    [Fact]
    public void Levels_follow_RFC_6464_dBov()
    {
        var pcm = new short[AudioFormat.FrameSamples];
        Assert.Equal(AudioLevel.Silence, AudioLevel.FromPcm(pcm));

        Array.Fill(pcm, short.MaxValue);
        Assert.Equal(0, AudioLevel.FromPcm(pcm));

        // A sine at amplitude 0.1 has an RMS of 0.0707 of full scale: -23 dBov.
        for (int i = 0; i < pcm.Length; i++) pcm[i] = (short)(3277 * Math.Sin(2 * Math.PI * 440 * i / 48_000.0));
        Assert.InRange(AudioLevel.FromPcm(pcm), 22, 24);
    }
}

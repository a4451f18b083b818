using Concentus;
using Concentus.Enums;
using OpenChat.MediaNode.Engine;
using Xunit;

namespace OpenChat.MediaNode.Tests.Engine;

/// <summary>
/// The system's libopus, for tests that are about it: Concentus loads it by the name <c>libopus.so</c> (Debian:
/// libopus-dev, which test.sh installs when run as root) and otherwise falls back to its C# codec without a word,
/// so these fail instead of quietly testing the other codec.
/// </summary>
internal static class LibOpus
{
    public static IOpusEncoder Encoder() =>
        Require(OpusCodecFactory.CreateEncoder(AudioFormat.SampleRate, 1, OpusApplication.OPUS_APPLICATION_VOIP));

    public static IOpusDecoder Decoder() => Require(OpusCodecFactory.CreateDecoder(AudioFormat.SampleRate, 1));

    private static T Require<T>(T codec)
        where T : notnull
    {
        var type = codec.GetType().Name;
        Assert.True(type.StartsWith("Native", StringComparison.Ordinal),
            $"Concentus gave its C# {type}, not libopus: libopus.so did not load (Debian: apt-get install libopus-dev)");
        return codec;
    }
}

using Concentus;
using Concentus.Enums;

namespace OpenChat.SimulatedClients.Audio;

/// <summary>
/// Concentus encoders and decoders set up as a browser's microphone track is: 48 kHz mono, VOIP, 32 kbps,
/// in-band FEC. The factory uses the system's libopus when it can load <c>libopus.so</c> and its C# code otherwise.
/// </summary>
public static class OpusCodecs
{
    public const int Bitrate = 32_000;
    public const int Complexity = 5;

    public static IOpusEncoder CreateEncoder()
    {
        var encoder = OpusCodecFactory.CreateEncoder(AudioFormat.SampleRate, 1, OpusApplication.OPUS_APPLICATION_VOIP);
        encoder.Bitrate = Bitrate;
        encoder.Complexity = Complexity;
        encoder.UseInbandFEC = true;
        encoder.PacketLossPercent = 5;
        encoder.SignalType = OpusSignal.OPUS_SIGNAL_VOICE;
        return encoder;
    }

    public static IOpusDecoder CreateDecoder() => OpusCodecFactory.CreateDecoder(AudioFormat.SampleRate, 1);

    /// <summary>Which implementation the factory hands out: "system libopus" or "Concentus C#".</summary>
    public static string Implementation()
    {
        var name = CreateDecoder().GetType().Name;
        return name.StartsWith("Native", StringComparison.Ordinal) ? "system libopus" : "Concentus C#";
    }
}

namespace OpenChat.MediaNode.Engine;

/// <summary>Opus settings for every stream the engine encodes.</summary>
public sealed record EncoderSettings
{
    /// <summary>Bits per second (6,000 to 510,000).</summary>
    public int Bitrate { get; init; } = 32_000;

    /// <summary>0 (cheapest) to 10 (best); the encoder dominates the engine's CPU, so this is the main capacity knob.</summary>
    public int Complexity { get; init; } = 5;

    /// <summary>In-band forward error correction (LBRR); only emitted when <see cref="ExpectedPacketLossPercent"/> is above zero.</summary>
    public bool Fec { get; init; } = true;

    /// <summary>Loss the encoder plans for; drives how much FEC it spends bits on.</summary>
    public int ExpectedPacketLossPercent { get; init; } = 5;

    /// <summary>
    /// Highest audio frequency to encode: 4,000, 6,000, 8,000 (wideband), 12,000 or 20,000 Hz (fullband).
    /// Wideband keeps Opus in its SILK-only mode, which costs markedly less CPU per encode than fullband.
    /// </summary>
    public int MaxBandwidthHz { get; init; } = 20_000;

    /// <summary>Discontinuous transmission: the encoder's own silence frames are not sent.</summary>
    public bool Dtx { get; init; }

    internal void Validate()
    {
        if (Bitrate is < 6_000 or > 510_000) throw new ArgumentOutOfRangeException(nameof(Bitrate), Bitrate, "6000..510000");
        if (Complexity is < 0 or > 10) throw new ArgumentOutOfRangeException(nameof(Complexity), Complexity, "0..10");
        if (MaxBandwidthHz is not (4_000 or 6_000 or 8_000 or 12_000 or 20_000))
            throw new ArgumentOutOfRangeException(nameof(MaxBandwidthHz), MaxBandwidthHz, "4000, 6000, 8000, 12000 or 20000");
        if (ExpectedPacketLossPercent is < 0 or > 100)
            throw new ArgumentOutOfRangeException(nameof(ExpectedPacketLossPercent), ExpectedPacketLossPercent, "0..100");
    }
}

namespace OpenChat.Rtc.Transport;

/// <summary>Per-session settings.</summary>
public sealed class RtcSessionOptions
{
    /// <summary>Announce <c>usedtx=1</c> in the Opus fmtp.</summary>
    public bool UseDtx { get; init; }

    /// <summary>Our SSRC; random when null.</summary>
    public uint? Ssrc { get; init; }

    /// <summary>RTCP CNAME; random when null.</summary>
    public string? Cname { get; init; }

    /// <summary>Called for every authenticated inbound audio packet, on the receive thread.</summary>
    public RtcAudioHandler? AudioReceived { get; init; }
}

using OpenChat.Rtc.Transport;

namespace OpenChat.SimulatedClients;

/// <summary>How much of what a <see cref="SimulatedMember"/> receives it examines.</summary>
public enum ListenerAnalysis
{
    /// <summary>Every received frame is decoded (with concealment and FEC) and analysed: level, candidate tones, dominant frequency.</summary>
    Full,

    /// <summary>
    /// Every received packet is authenticated (SRTP), numbered (loss, late, duplicates) and timed (jitter-buffer
    /// underruns), but not decoded: a packet is audible when its RFC 6464 level reaches
    /// <see cref="SimulatedMemberOptions.AudibleDbfs"/> (or, carrying no level, whenever it arrives). Slots, gaps and
    /// the join time follow from those packets; which frequencies were heard is not measured.
    /// </summary>
    Count,
}

/// <summary>Who a <see cref="SimulatedMember"/> is, what it says, and how it measures what it hears.</summary>
public sealed class SimulatedMemberOptions
{
    /// <summary>Gateway base URLs (<c>http://127.0.0.1:8080</c>); the first is used first, the others after a gateway is lost.</summary>
    public required IReadOnlyList<string> Gateways { get; init; }

    public required string DisplayName { get; init; }

    /// <summary>The voice channel to join.</summary>
    public required string ChannelId { get; init; }

    /// <summary>What the microphone sends.</summary>
    public VoiceSignal Signal { get; init; } = VoiceSignal.Silence;

    /// <summary>Frequencies whose level is measured in every received frame (typically every talker's tone); the member's own is always added.</summary>
    public IReadOnlyList<double> CandidateFrequencies { get; init; } = [];

    /// <summary>Share of the member's packets (0 to 1) lost on the way to the mixer, at random (seeded by the name).</summary>
    public double UplinkLoss { get; init; }

    public bool Muted { get; init; }

    public bool Deafened { get; init; }

    /// <summary>Where in its signal's period the member starts, in frames, so talkers do not pause in unison; derived from the name when null.</summary>
    public int? SignalOffsetFrames { get; init; }

    /// <summary>The clock that paces the microphone; <see cref="FrameClock.Shared"/> when null. Members that should count each other's talking as expected audio must share a clock.</summary>
    public FrameClock? Clock { get; init; }

    /// <summary>
    /// Media over ICE-TCP (<see cref="RtcClientOptions.UseTcp"/>): one TCP connection to the answer's passive TCP
    /// candidate, as a browser whose network drops UDP; the media node needs <c>OpenChat:Media:RtcTcpPort</c>. With
    /// <see cref="RtcClient"/> given, its own options decide and must agree. Not for a source address placed in a
    /// network namespace (the TCP socket is made in the process's namespace).
    /// </summary>
    public bool UseTcp { get; init; }

    /// <summary>The WebRTC client (its certificate plays the browser profile's); one shared by the process when null.</summary>
    public RtcClient? RtcClient { get; init; }

    /// <summary>For <c>POST /api/session</c>; one shared by the process (or one from <see cref="SourceAddress"/>) when null.</summary>
    public HttpClient? Http { get; init; }

    /// <summary>
    /// The loopback address this member's HTTP, hub and media traffic leaves from (see <see cref="Network.SourceAddress"/>),
    /// so that a server counts it as a client of its own; 127.0.0.1 (the process's default) when null. An address placed in
    /// a network namespace (<see cref="Network.SourceAddress.PlaceInNamespace"/>) makes the member a client there.
    /// </summary>
    public System.Net.IPAddress? SourceAddress { get; init; }

    /// <summary>Whether received frames are decoded and analysed (the default) or only counted; see <see cref="ListenerAnalysis"/>.</summary>
    public ListenerAnalysis Analysis { get; init; } = ListenerAnalysis.Full;

    /// <summary>A received frame at or above this RMS level (dBFS) is audible.</summary>
    public double AudibleDbfs { get; init; } = -50;

    /// <summary>
    /// A candidate frequency at or above this level (dB relative to a full-scale sine) in a frame is heard in that frame,
    /// if it is a tone there (10 dB above the level 100 Hz to one side; see <see cref="Audio.FrameAnalyzer"/>).
    /// </summary>
    public double HeardLevelDb { get; init; } = -40;

    /// <summary>A frequency counts as heard after this many frames in which it was heard; fewer are a transient.</summary>
    public int MinHeardFrames { get; init; } = 5;

    /// <summary>The fixed jitter buffer against which <see cref="MemberStats.PlayoutUnderruns"/> are counted.</summary>
    public TimeSpan PlayoutDelay { get; init; } = TimeSpan.FromMilliseconds(60);

    /// <summary>Shorter silences are arrival jitter, not gaps.</summary>
    public TimeSpan MinGap { get; init; } = TimeSpan.FromMilliseconds(60);

    /// <summary>
    /// How long (in frames) others must have been talking, and this member connected, before their audio is expected
    /// to be arriving; covers the path's delay (jitter buffer, mixer tick, network).
    /// </summary>
    public int ExpectationFrames { get; init; } = 10;

    /// <summary>How long a media renegotiation keeps retrying <c>JoinVoice</c> and connecting.</summary>
    public TimeSpan ReconnectTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>After a renegotiation connects, how long the old session is kept if the new one delivers nothing audible.</summary>
    public TimeSpan OldSessionGrace { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>How long the member keeps trying gateways after its signalling connection closed.</summary>
    public TimeSpan SignallingRetryTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Call <c>LeaveVoice</c> when disposed (otherwise the server notices when the media session times out).</summary>
    public bool LeaveOnDispose { get; init; } = true;

    internal void Validate()
    {
        if (Gateways is null || Gateways.Count == 0) throw new ArgumentException("At least one gateway URL is required.", nameof(Gateways));
        foreach (var url in Gateways)
        {
            if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || (uri.Scheme != "http" && uri.Scheme != "https"))
                throw new ArgumentException($"'{url}' is not an http(s) URL.", nameof(Gateways));
        }
        if (string.IsNullOrWhiteSpace(DisplayName)) throw new ArgumentException("A display name is required.", nameof(DisplayName));
        if (string.IsNullOrWhiteSpace(ChannelId)) throw new ArgumentException("A channel id is required.", nameof(ChannelId));
        ArgumentNullException.ThrowIfNull(Signal);
        if (UplinkLoss is < 0 or > 1 || double.IsNaN(UplinkLoss)) throw new ArgumentOutOfRangeException(nameof(UplinkLoss), "0 to 1");
        if (!Enum.IsDefined(Analysis)) throw new ArgumentOutOfRangeException(nameof(Analysis));
        if (MinHeardFrames < 1) throw new ArgumentOutOfRangeException(nameof(MinHeardFrames), "at least 1");
        if (ExpectationFrames < 0) throw new ArgumentOutOfRangeException(nameof(ExpectationFrames), "0 or more");
        if (MinGap < TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(MinGap));
        if (RtcClient is not null && RtcClient.Options.UseTcp != UseTcp)
            throw new ArgumentException("UseTcp differs from the given RtcClient's options.", nameof(UseTcp));
        if (UseTcp && SourceAddress is { } source && Network.SourceAddress.NamespaceOf(source) is not null)
            throw new ArgumentException("ICE-TCP from a source address placed in a network namespace is not supported.", nameof(UseTcp));
    }
}

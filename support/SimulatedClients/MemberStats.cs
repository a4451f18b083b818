using OpenChat.SimulatedClients.Measurement;

namespace OpenChat.SimulatedClients;

/// <summary>A member of the voice channel as this simulated member was told by the server.</summary>
public sealed record VoiceRosterEntry(string UserId, string DisplayName, bool Muted, bool Deafened, bool Speaking);

/// <summary>How loud one candidate frequency was in the received audio of the window.</summary>
/// <param name="FrequencyHz">The candidate.</param>
/// <param name="Frames">Received frames in which it reached the heard level.</param>
/// <param name="MeanDb">Its mean level over those frames (dB relative to a full-scale sine); NaN when none.</param>
/// <param name="PeakDb">Its highest level in any audible frame.</param>
/// <param name="Heard">Whether <paramref name="Frames"/> reached the minimum that counts as heard.</param>
public sealed record FrequencyStats(double FrequencyHz, int Frames, double MeanDb, double PeakDb, bool Heard);

/// <summary>A strongest frequency of received frames, rounded to 5 Hz, and in how many audible frames it was strongest.</summary>
public sealed record DominantFrequencyCount(double FrequencyHz, int Frames);

/// <summary>Where the time of joining went.</summary>
/// <param name="Signalling">Session, hub connection and <c>OpenChannel</c>.</param>
/// <param name="JoinVoiceCall">The <c>JoinVoice</c> call until its answer.</param>
/// <param name="MediaConnect">ICE and DTLS, from the answer until audio could flow.</param>
/// <param name="FirstPacket">From the start of the <c>JoinVoice</c> call to the first received packet.</param>
/// <param name="FirstAudible">From the start of the <c>JoinVoice</c> call to the first audible received frame (the join time).</param>
public sealed record JoinTimes(TimeSpan Signalling, TimeSpan JoinVoiceCall, TimeSpan MediaConnect, TimeSpan? FirstPacket, TimeSpan? FirstAudible);

/// <summary>A media renegotiation after <c>VoiceReconnect</c> (or after the media session closed by itself).</summary>
/// <param name="Reason">The server's reason, or why the session was renewed.</param>
/// <param name="At">When the request arrived.</param>
/// <param name="Attempts">How many <c>JoinVoice</c> + connect attempts it took.</param>
/// <param name="Connected">From the request until the new session could carry audio; null if it never did.</param>
/// <param name="FirstAudio">From the request until the new session delivered audible audio and replaced the old one.</param>
/// <param name="AudioGap">From the last audible frame before the switch to the first from the new session.</param>
/// <param name="Error">Why it failed, when it did.</param>
public sealed record MediaReconnect(string Reason, DateTimeOffset At, int Attempts, TimeSpan? Connected, TimeSpan? FirstAudio, TimeSpan? AudioGap, string? Error);

/// <summary>A move of the signalling connection to another gateway after the connection closed.</summary>
/// <param name="At">When the connection closed.</param>
/// <param name="FromGateway">The gateway that was lost.</param>
/// <param name="ToGateway">The gateway now used; null if none could be reached in time.</param>
/// <param name="Duration">From the close until <c>ResumeVoice</c> (or the channel reopened) answered.</param>
/// <param name="SameUser">Whether the session kept the user id.</param>
/// <param name="VoiceStateIntact">Whether <c>ResumeVoice</c> succeeded and listed this user with its muted and deafened state.</param>
/// <param name="Error">What went wrong, if anything (for instance <c>not_in_voice</c>, after which the member joined afresh).</param>
public sealed record SignallingReconnect(DateTimeOffset At, string FromGateway, string? ToGateway, TimeSpan? Duration, bool SameUser, bool VoiceStateIntact, string? Error);

/// <summary>The server ended this member's voice membership (<c>VoiceEnded</c>).</summary>
public sealed record VoiceEnd(DateTimeOffset At, string Reason);

/// <summary>
/// A snapshot of what a simulated member measured. Window fields cover the time since the member started or since
/// <see cref="SimulatedMember.ResetWindow"/>; the others cover its whole life.
/// </summary>
public sealed record MemberStats
{
    public required string DisplayName { get; init; }

    public string? UserId { get; init; }

    /// <summary>The gateway the signalling connection uses now.</summary>
    public string? Gateway { get; init; }

    public bool InVoice { get; init; }

    /// <summary>From the start of the first <c>JoinVoice</c> call to the first audible received frame (whole life).</summary>
    public TimeSpan? JoinTime { get; init; }

    /// <summary>Where the time of joining went (whole life).</summary>
    public JoinTimes? Join { get; init; }

    /// <summary>Length of the window.</summary>
    public TimeSpan Window { get; init; }

    /// <summary>
    /// How received audio was examined. With <see cref="ListenerAnalysis.Count"/> nothing is decoded: audible frames,
    /// their mean level, slots, gaps and the join time come from the packets' RFC 6464 levels, and
    /// <see cref="FramesDecoded"/>, <see cref="FramesConcealed"/>, the frequencies and the dominant frequencies stay empty.
    /// </summary>
    public ListenerAnalysis Analysis { get; init; }

    /// <summary>Received frames decoded in the window (concealed ones not included).</summary>
    public long FramesDecoded { get; init; }

    /// <summary>Frames synthesised for lost packets (Opus concealment or FEC) in the window.</summary>
    public long FramesConcealed { get; init; }

    /// <summary>Received frames at or above the audibility threshold in the window.</summary>
    public long AudibleFrames { get; init; }

    /// <summary>Mean RMS level of the audible frames (dBFS; for a counting member, of the levels their packets carried); NaN when there were none.</summary>
    public double MeanAudibleDbfs { get; init; }

    /// <summary>Time in the window during which audio was expected (others had been talking for a while).</summary>
    public TimeSpan ExpectedAudio { get; init; }

    /// <summary>Share of the expected 20 ms slots in which audible audio arrived (1 when nothing was expected).</summary>
    public double ExpectedCoverage { get; init; }

    /// <summary>Stretches of the window in which audible audio arrived, from the window's start.</summary>
    public IReadOnlyList<(TimeSpan Start, TimeSpan Duration)> HeardRuns { get; init; } = [];

    /// <summary>Gaps in the window (see <see cref="GapDetector"/>), oldest first.</summary>
    public IReadOnlyList<Gap> Gaps { get; init; } = [];

    public TimeSpan LongestGap { get; init; }

    /// <summary>Every candidate frequency with its energy in the window.</summary>
    public IReadOnlyList<FrequencyStats> Frequencies { get; init; } = [];

    /// <summary>The candidates that were heard in the window.</summary>
    public IReadOnlyList<FrequencyStats> HeardFrequencies { get; init; } = [];

    /// <summary>Whether this member's own frequency was heard in the window (it must not be: a mix never carries one's own voice).</summary>
    public bool HeardOwnTone { get; init; }

    /// <summary>The most frequent dominant frequencies of audible frames in the window, most frequent first.</summary>
    public IReadOnlyList<DominantFrequencyCount> DominantFrequencies { get; init; } = [];

    /// <summary>Audible frames in the window whose dominant frequency was none of the candidates (more than 20 Hz from each).</summary>
    public long UnexplainedFrames { get; init; }

    /// <summary>RTP packets received in the window, over every media session.</summary>
    public long PacketsReceived { get; init; }

    /// <summary>RTP sequence numbers skipped and not received later, in the window.</summary>
    public long PacketsLost { get; init; }

    public long PacketsLate { get; init; }

    public long PacketsDuplicated { get; init; }

    /// <summary>
    /// Times a listener with a fixed jitter buffer (<see cref="SimulatedMemberOptions.PlayoutDelay"/>) would have run
    /// dry in the window: a packet arrived after its RTP time said it should play. Catches a mixer that sends every
    /// packet but not in real time, which neither loss nor gaps show.
    /// </summary>
    public long PlayoutUnderruns { get; init; }

    /// <summary>Lost / (received + lost); 0 when nothing was expected.</summary>
    public double LossRatio => PacketsReceived + PacketsLost <= 0 ? 0 : (double)PacketsLost / (PacketsReceived + PacketsLost);

    /// <summary>Packets this member sent in the window, over every media session.</summary>
    public long PacketsSent { get; init; }

    /// <summary>Media renegotiations (whole life).</summary>
    public IReadOnlyList<MediaReconnect> Reconnects { get; init; } = [];

    /// <summary>Signalling moves to another gateway (whole life).</summary>
    public IReadOnlyList<SignallingReconnect> SignallingReconnects { get; init; } = [];

    /// <summary>The last signalling reconnect's verdict; null if there was none.</summary>
    public bool? VoiceStateIntact => SignallingReconnects.Count == 0 ? null : SignallingReconnects[^1].VoiceStateIntact;

    /// <summary>Set when the server ended the membership.</summary>
    public VoiceEnd? Ended { get; init; }
}

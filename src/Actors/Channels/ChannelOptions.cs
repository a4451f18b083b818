namespace OpenChat.Channels;

/// <summary>Tuning of channel entities; bound from <c>OpenChat:Channels</c>.</summary>
public sealed class ChannelOptions
{
    /// <summary>How many recent messages a channel keeps in memory to serve history without reading the journal.</summary>
    public int RecentCapacity { get; set; } = 200;

    /// <summary>A snapshot of the recent messages is saved every this many messages, so recovery stays short.</summary>
    public int SnapshotEvery { get; set; } = 500;

    /// <summary>A channel nobody has open is passivated after this long without traffic.</summary>
    public TimeSpan IdleTimeout { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>How long one lookup of the channel's settings in the directory may take before it is retried.</summary>
    public TimeSpan DirectoryTimeout { get; set; } = TimeSpan.FromSeconds(3);

    /// <summary>
    /// Posts one user may store in one channel per <see cref="PostUserWindow"/>, whatever connections and gateways
    /// they come through. A retry answered from its nonce does not count.
    /// </summary>
    public int PostsPerUserWindow { get; set; } = 10;

    public TimeSpan PostUserWindow { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Subscriptions (open sessions) one channel accepts.</summary>
    public int MaxSubscribers { get; set; } = 20_000;

    /// <summary>Members one voice channel accepts.</summary>
    public int MaxVoiceMembers { get; set; } = 100;

    /// <summary>
    /// How long a voice member's seat is held for its media to connect after the mixer accepted its offer. A seat
    /// is counted and announced only once its media connects; one that does not is removed after this long.
    /// </summary>
    public TimeSpan UnconnectedSeatExpiry { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>Seats (connected or connecting) one client address may hold in one voice channel.</summary>
    public int MaxVoiceSeatsPerAddress { get; set; } = 16;

    /// <summary>How often a voice room renews its mixer's lease.</summary>
    public TimeSpan MixerLeaseRenewal { get; set; } = TimeSpan.FromSeconds(3);

    /// <summary>How long a renewal keeps a mixer running: a mixer not renewed for this long stops itself.</summary>
    public TimeSpan MixerLeaseValidity { get; set; } = TimeSpan.FromSeconds(12);

    /// <summary>How long a voice room's mixer keeps running once its last member left, so a quick return needs no new placement.</summary>
    public TimeSpan MixerIdleGrace { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How long one answer of a media node may take: creating a room's mixer, or accepting a member's offer.
    /// Every wait of a voice join derives from it (see <see cref="PlacementTimeout"/>); gateways read the same
    /// setting to wait long enough for a channel's answer to a join.
    /// </summary>
    public TimeSpan MediaTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How long the node placement chose may take to create the mixer: <see cref="MediaTimeout"/>.</summary>
    public TimeSpan MixerCreateTimeout => MediaTimeout;

    /// <summary>
    /// How long placement waits for a media node that can take a room (a cluster that is starting, or whose only
    /// media node was just lost) before it refuses: three fifths of <see cref="MediaTimeout"/> (3 s by default),
    /// so that a node found at the last moment still has its whole <see cref="MixerCreateTimeout"/> (plus the
    /// placement's 250 ms retry tick) within the channel's <see cref="PlacementTimeout"/>.
    /// </summary>
    public TimeSpan PlacementNodeWait => MediaTimeout * 3 / 5;

    /// <summary>
    /// How long a channel waits for placement: twice <see cref="MediaTimeout"/>, more than the node wait and the
    /// mixer's creation together. A join then waits up to <see cref="MediaTimeout"/> more for the mixer to accept
    /// the member's offer, so a channel answers a join within three times <see cref="MediaTimeout"/>.
    /// </summary>
    public TimeSpan PlacementTimeout => MediaTimeout * 2;

    /// <summary>How long a draining mixer is kept for its members to move before it is stopped anyway.</summary>
    public TimeSpan DrainHandover { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How long a voice member whose connection was lost is kept for the client to resume it from a new connection.</summary>
    public TimeSpan ResumeGrace { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>The persistence query plugin used to read history older than what is kept in memory.</summary>
    public string ReadJournalPluginId { get; set; } = "akka.persistence.query.journal.sql";

    public void Validate()
    {
        if (RecentCapacity is < 1 or > 10_000) throw new ArgumentOutOfRangeException(nameof(RecentCapacity), "1 to 10000");
        if (SnapshotEvery < 10) throw new ArgumentOutOfRangeException(nameof(SnapshotEvery), "at least 10");
        if (IdleTimeout <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(IdleTimeout), "must be positive");
        if (DirectoryTimeout <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(DirectoryTimeout), "must be positive");
        if (PostsPerUserWindow < 1) throw new ArgumentOutOfRangeException(nameof(PostsPerUserWindow), "at least 1");
        if (PostUserWindow <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(PostUserWindow), "must be positive");
        if (MaxSubscribers < 1) throw new ArgumentOutOfRangeException(nameof(MaxSubscribers), "at least 1");
        if (MaxVoiceMembers is < 1 or > 1000) throw new ArgumentOutOfRangeException(nameof(MaxVoiceMembers), "1 to 1000");
        if (MixerIdleGrace < TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(MixerIdleGrace), "must not be negative");
        if (MediaTimeout <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(MediaTimeout), "must be positive");
        if (DrainHandover <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(DrainHandover), "must be positive");
        if (ResumeGrace <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(ResumeGrace), "must be positive");
        if (UnconnectedSeatExpiry <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(UnconnectedSeatExpiry), "must be positive");
        if (MaxVoiceSeatsPerAddress < 1) throw new ArgumentOutOfRangeException(nameof(MaxVoiceSeatsPerAddress), "at least 1");
        if (MixerLeaseRenewal <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(MixerLeaseRenewal), "must be positive");
        if (MixerLeaseValidity < MixerLeaseRenewal * 2)
            throw new ArgumentOutOfRangeException(nameof(MixerLeaseValidity), "at least twice MixerLeaseRenewal, so one lost renewal does not stop a mixer");
    }
}

using OpenChat.MediaNode.Engine;

namespace OpenChat.MediaNode;

/// <summary>Media node settings; bound from <c>OpenChat:Media</c>.</summary>
public sealed class MediaNodeOptions
{
    public const string Section = "OpenChat:Media";

    /// <summary>How often the node publishes its load.</summary>
    public TimeSpan LoadReportInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// A member's media session ends when nothing valid has come from its browser for this long. A live browser
    /// sends audio every 20 ms and ICE consent checks every few seconds, so a short time is safe, and a browser
    /// that vanished without closing its connection leaves the room soon.
    /// </summary>
    public TimeSpan PeerTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How long a node shutting down waits for its rooms to move to other nodes before it leaves anyway.</summary>
    public TimeSpan DrainTimeout { get; set; } = TimeSpan.FromSeconds(20);

    /// <summary>Members this node accepts in all its rooms together; placement skips a node at its limit.</summary>
    public int MaxMembers { get; set; } = 500;

    /// <summary>Loudest talkers mixed per room.</summary>
    public int MaxTalkers { get; set; } = 4;

    /// <summary>Opus encoder bitrate of the mixes, bits per second.</summary>
    public int Bitrate { get; set; } = 32_000;

    /// <summary>Opus encoder complexity, 0 to 10.</summary>
    public int Complexity { get; set; } = 5;

    /// <summary>
    /// <c>Auto</c> (default): the system libopus when it loads, else Concentus's C# code; <c>Managed</c>: always the C# code.
    /// </summary>
    public OpusCodecChoice Codec { get; set; } = OpusCodecChoice.Auto;

    /// <summary>The address the node's one WebRTC UDP socket binds to.</summary>
    public string RtcBindAddress { get; set; } = "127.0.0.1";

    /// <summary>The WebRTC UDP port; 0 picks a free one.</summary>
    public int RtcPort { get; set; }

    /// <summary>
    /// The TCP port of the node's passive ICE-TCP candidate (RFC 6544), on <see cref="RtcBindAddress"/>, for browsers
    /// whose network blocks UDP; 0 (default) for none. Answers offer it next to the UDP candidate, ranked below it.
    /// </summary>
    public int RtcTcpPort { get; set; }

    /// <summary>The address browsers are told to send media to (the node's public address); defaults to the bind address.</summary>
    public string? RtcAdvertisedAddress { get; set; }

    /// <summary>
    /// A file holding the advertised address (one IP address; surrounding white space ignored), read at start, for
    /// deployments that give each machine its own public address without templating each node's configuration: on
    /// Kubernetes, a ConfigMap of node name to address mounted as files, and this path built from the node's name
    /// (<c>/run/openchat/node-addresses/$(NODE_NAME)</c>). Set this or <see cref="RtcAdvertisedAddress"/>, not both.
    /// </summary>
    public string? RtcAdvertisedAddressFile { get; set; }

    /// <summary>
    /// DTLS handshakes the WebRTC endpoint runs at once for one client address (an IPv4 address or an IPv6 /64); each
    /// can hold about 0.6 MiB until it completes or times out.
    /// </summary>
    public int RtcMaxHandshakesPerAddress { get; set; } = 4;

    /// <summary>Threads that mix rooms on each tick.</summary>
    public int Workers { get; set; } = 1;

    /// <summary>
    /// The TURN servers the gateways hand to clients (<c>OpenChat:Media:TurnServers</c>): a session whose media comes
    /// from the address of one named by IP address counts as relayed (<see cref="MediaPathClassifier"/>).
    /// </summary>
    public string[] TurnServers { get; set; } = [];

    /// <summary>
    /// Further addresses TURN relays send from, where a URL names a host rather than its address, or the relay's
    /// address is not the one clients connect to (a load balancer in front of coturn).
    /// </summary>
    public string[] TurnRelayAddresses { get; set; } = [];

    /// <summary>At most this many <see cref="TurnRelayAddresses"/>.</summary>
    public const int MaxTurnRelayAddresses = 32;

    public void Validate()
    {
        if (RtcAdvertisedAddressFile is not null)
        {
            if (RtcAdvertisedAddress is not null)
                throw new ArgumentException("Set OpenChat:Media:RtcAdvertisedAddress or OpenChat:Media:RtcAdvertisedAddressFile, not both.");
            RtcAdvertisedAddress = ReadAddressFile(RtcAdvertisedAddressFile);
            RtcAdvertisedAddressFile = null;
        }
        if (LoadReportInterval < TimeSpan.FromMilliseconds(100)) throw new ArgumentOutOfRangeException(nameof(LoadReportInterval), "at least 100 ms");
        if (PeerTimeout < TimeSpan.FromSeconds(3) || PeerTimeout > TimeSpan.FromSeconds(60)) throw new ArgumentOutOfRangeException(nameof(PeerTimeout), "3 to 60 seconds");
        if (DrainTimeout < TimeSpan.Zero || DrainTimeout > TimeSpan.FromMinutes(10)) throw new ArgumentOutOfRangeException(nameof(DrainTimeout), "0 to 10 minutes");
        if (MaxMembers < 1) throw new ArgumentOutOfRangeException(nameof(MaxMembers), "at least 1");
        if (MaxTalkers is < 1 or > 16) throw new ArgumentOutOfRangeException(nameof(MaxTalkers), "1 to 16");
        if (Bitrate is < 6_000 or > 510_000) throw new ArgumentOutOfRangeException(nameof(Bitrate), "6000 to 510000");
        if (Complexity is < 0 or > 10) throw new ArgumentOutOfRangeException(nameof(Complexity), "0 to 10");
        if (!System.Net.IPAddress.TryParse(RtcBindAddress, out _)) throw new ArgumentException("OpenChat:Media:RtcBindAddress must be an IP address.");
        if (RtcAdvertisedAddress is not null && !System.Net.IPAddress.TryParse(RtcAdvertisedAddress, out _))
            throw new ArgumentException("OpenChat:Media:RtcAdvertisedAddress must be an IP address.");
        if (RtcPort is < 0 or > 65535) throw new ArgumentOutOfRangeException(nameof(RtcPort), "0 to 65535");
        if (RtcTcpPort is < 0 or > 65535) throw new ArgumentOutOfRangeException(nameof(RtcTcpPort), "OpenChat:Media:RtcTcpPort must be 0 (no ICE-TCP) to 65535");
        if (RtcMaxHandshakesPerAddress is < 1 or > 1000)
            throw new ArgumentOutOfRangeException(nameof(RtcMaxHandshakesPerAddress), "OpenChat:Media:RtcMaxHandshakesPerAddress must be 1 to 1000");
        if (Workers is < 1 or > 64) throw new ArgumentOutOfRangeException(nameof(Workers), "1 to 64");
        if (TurnRelayAddresses.Length > MaxTurnRelayAddresses)
            throw new ArgumentException($"OpenChat:Media:TurnRelayAddresses has {TurnRelayAddresses.Length} addresses; at most {MaxTurnRelayAddresses}.");
        for (var i = 0; i < TurnRelayAddresses.Length; i++)
        {
            if (!System.Net.IPAddress.TryParse(TurnRelayAddresses[i], out _))
                throw new ArgumentException($"OpenChat:Media:TurnRelayAddresses:{i} must be an IP address.");
        }
    }

    private static string ReadAddressFile(string path)
    {
        string text;
        try
        {
            // An address is a few dozen bytes; anything much larger is not the file meant.
            if (new FileInfo(path).Length > 256) throw new ArgumentException($"OpenChat:Media:RtcAdvertisedAddressFile: {path} is not a single IP address.");
            text = File.ReadAllText(path).Trim();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ArgumentException($"OpenChat:Media:RtcAdvertisedAddressFile: cannot read {path} ({e.Message}). On Kubernetes, add this node's name and address to the media node address ConfigMap.");
        }
        if (!System.Net.IPAddress.TryParse(text, out _))
            throw new ArgumentException($"OpenChat:Media:RtcAdvertisedAddressFile: {path} holds '{(text.Length > 64 ? text[..64] + "…" : text)}', not an IP address.");
        return text;
    }

    public EngineOptions ToEngineOptions() => new()
    {
        MaxTalkers = MaxTalkers,
        Workers = Workers,
        Encoder = new EncoderSettings { Bitrate = Bitrate, Complexity = Complexity },
    };
}

/// <summary>Which Opus implementation the media node uses.</summary>
public enum OpusCodecChoice
{
    Auto = 0,
    Managed = 1,
}

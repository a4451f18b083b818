using System.Net;
using System.Net.Sockets;
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

    /// <summary>
    /// Members a draining node hands over at once: rooms move in turns of about this many members, so that each
    /// room's members connect to their new mixer close together (a room is split between two mixers until the last
    /// of them has) instead of queuing behind every other room's handshakes. Raised by itself when the node holds
    /// more members than turns of this size can move in half of <see cref="DrainTimeout"/>.
    /// </summary>
    public int DrainMembersAtOnce { get; set; } = 20;

    /// <summary>How long a room being handed over holds its turn; a room still moving after this lets the next ones start.</summary>
    public TimeSpan DrainTurn { get; set; } = TimeSpan.FromSeconds(2);

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

    /// <summary>The address the node's WebRTC UDP socket (and ICE-TCP listener) binds to.</summary>
    public string RtcBindAddress { get; set; } = "127.0.0.1";

    /// <summary>
    /// Addresses to bind instead of <see cref="RtcBindAddress"/>, at most one per address family, all on
    /// <see cref="RtcPort"/>: <c>["0.0.0.0", "::"]</c> for a node advertising both IPv4 and IPv6 addresses.
    /// </summary>
    public List<string>? RtcBindAddresses { get; set; }

    /// <summary>The WebRTC UDP port; 0 picks a free one.</summary>
    public int RtcPort { get; set; }

    /// <summary>
    /// The TCP port of the node's passive ICE-TCP candidates (RFC 6544), on the bind addresses, for browsers whose
    /// network blocks UDP; 0 (default) for none. Answers offer them next to the UDP candidates, ranked below them.
    /// </summary>
    public int RtcTcpPort { get; set; }

    /// <summary>The address browsers are told to send media to (the node's public address); defaults to the bind address.</summary>
    public string? RtcAdvertisedAddress { get; set; }

    /// <summary>
    /// Several addresses browsers may send media to instead of one <see cref="RtcAdvertisedAddress"/>, most preferred
    /// first (for example the LAN address, then the public IPv4 address, then the public IPv6 address); at most
    /// <see cref="MaxAdvertisedAddresses"/>. Each becomes a host candidate in every answer.
    /// </summary>
    public List<string>? RtcAdvertisedAddresses { get; set; }

    /// <summary>
    /// A file holding the advertised addresses (one IP address per line or comma-separated, most preferred first;
    /// blank lines and surrounding white space ignored), read at start, for deployments that give each machine its own public address
    /// without templating each node's configuration: on Kubernetes, a ConfigMap of node name to addresses mounted as
    /// files, and this path built from the node's name (<c>/run/openchat/node-addresses/$(NODE_NAME)</c>). Set this,
    /// <see cref="RtcAdvertisedAddress"/> or <see cref="RtcAdvertisedAddresses"/>, only one.
    /// </summary>
    public string? RtcAdvertisedAddressFile { get; set; }

    /// <summary>Most addresses a node advertises (each adds candidates to every answer and ICE checks to every browser).</summary>
    public const int MaxAdvertisedAddresses = OpenChat.Rtc.Transport.RtcEndpoint.MaxAdvertisedAddresses;

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
        ResolveAddresses();
        if (LoadReportInterval < TimeSpan.FromMilliseconds(100)) throw new ArgumentOutOfRangeException(nameof(LoadReportInterval), "at least 100 ms");
        if (PeerTimeout < TimeSpan.FromSeconds(3) || PeerTimeout > TimeSpan.FromSeconds(60)) throw new ArgumentOutOfRangeException(nameof(PeerTimeout), "3 to 60 seconds");
        if (DrainTimeout < TimeSpan.Zero || DrainTimeout > TimeSpan.FromMinutes(10)) throw new ArgumentOutOfRangeException(nameof(DrainTimeout), "0 to 10 minutes");
        if (MaxMembers < 1) throw new ArgumentOutOfRangeException(nameof(MaxMembers), "at least 1");
        if (DrainMembersAtOnce < 1) throw new ArgumentOutOfRangeException(nameof(DrainMembersAtOnce), "at least 1");
        if (DrainTurn <= TimeSpan.Zero || DrainTurn > TimeSpan.FromMinutes(1)) throw new ArgumentOutOfRangeException(nameof(DrainTurn), "above 0, at most a minute");
        if (MaxTalkers is < 1 or > 16) throw new ArgumentOutOfRangeException(nameof(MaxTalkers), "1 to 16");
        if (Bitrate is < 6_000 or > 510_000) throw new ArgumentOutOfRangeException(nameof(Bitrate), "6000 to 510000");
        if (Complexity is < 0 or > 10) throw new ArgumentOutOfRangeException(nameof(Complexity), "0 to 10");
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

    /// <summary>The addresses the endpoint binds (after <see cref="Validate"/>).</summary>
    public IReadOnlyList<IPAddress> BindAddresses() => [.. (RtcBindAddresses ?? [RtcBindAddress]).Select(IPAddress.Parse)];

    /// <summary>The addresses the endpoint advertises, most preferred first, or null for the bind addresses (after <see cref="Validate"/>).</summary>
    public IReadOnlyList<IPAddress>? AdvertisedAddresses() => RtcAdvertisedAddresses?.Select(IPAddress.Parse).ToList();

    /// <summary>
    /// Checks the bind and advertised addresses and brings the three ways of giving the latter to one list,
    /// <see cref="RtcAdvertisedAddresses"/> (the single address becomes a list of one).
    /// </summary>
    private void ResolveAddresses()
    {
        int given = (RtcAdvertisedAddress is null ? 0 : 1) + (RtcAdvertisedAddresses is null ? 0 : 1) + (RtcAdvertisedAddressFile is null ? 0 : 1);
        if (given > 1)
            throw new ArgumentException("Set only one of OpenChat:Media:RtcAdvertisedAddress, RtcAdvertisedAddresses and RtcAdvertisedAddressFile, not both or all.");
        if (RtcAdvertisedAddressFile is not null)
        {
            RtcAdvertisedAddresses = ReadAddressFile(RtcAdvertisedAddressFile);
            RtcAdvertisedAddressFile = null;
        }
        else if (RtcAdvertisedAddress is not null)
        {
            RtcAdvertisedAddresses = [RtcAdvertisedAddress];
            RtcAdvertisedAddress = null;
        }

        var bind = ParseList("OpenChat:Media:" + (RtcBindAddresses is null ? nameof(RtcBindAddress) : nameof(RtcBindAddresses)), RtcBindAddresses ?? [RtcBindAddress], 2);
        if (bind.Select(a => a.AddressFamily).Distinct().Count() != bind.Count)
            throw new ArgumentException("OpenChat:Media:RtcBindAddresses takes at most one address per family (an IPv4 and an IPv6 one, such as 0.0.0.0 and ::).");
        RtcBindAddresses = [.. bind.Select(a => a.ToString())];
        if (RtcAdvertisedAddresses is null)
        {
            return;
        }
        var advertised = ParseList("OpenChat:Media:RtcAdvertisedAddresses", RtcAdvertisedAddresses, MaxAdvertisedAddresses);
        foreach (var address in advertised)
        {
            if (address.Equals(IPAddress.Any) || address.Equals(IPAddress.IPv6Any))
                throw new ArgumentException($"OpenChat:Media:RtcAdvertisedAddresses: {address} is not an address browsers can reach; give the node's own address.");
            if (!bind.Any(b => b.AddressFamily == address.AddressFamily))
            {
                bool v6 = address.AddressFamily == AddressFamily.InterNetworkV6;
                throw new ArgumentException($"OpenChat:Media:RtcAdvertisedAddresses: {address} is {(v6 ? "IPv6" : "IPv4")} but no {(v6 ? "IPv6" : "IPv4")} address is bound; "
                    + $"set OpenChat:Media:RtcBindAddresses to both families (for example [\"0.0.0.0\", \"::\"]).");
            }
        }
        RtcAdvertisedAddresses = [.. advertised.Select(a => a.ToString())];
    }

    /// <summary>Parses a list of IP addresses: each one an address (IPv4-mapped IPv6 ones taken as IPv4), none twice, 1 to <paramref name="max"/> of them.</summary>
    private static List<IPAddress> ParseList(string setting, IReadOnlyList<string> texts, int max)
    {
        if (texts.Count == 0 || texts.Count > max)
            throw new ArgumentException($"{setting} takes 1 to {max} addresses, not {texts.Count}.");
        var addresses = new List<IPAddress>(texts.Count);
        foreach (var text in texts)
        {
            if (!IPAddress.TryParse(text?.Trim(), out var address))
                throw new ArgumentException($"{setting}: '{Shorten(text ?? "")}' is not an IP address.");
            if (address.IsIPv4MappedToIPv6)
            {
                address = address.MapToIPv4();
            }
            if (addresses.Contains(address))
                throw new ArgumentException($"{setting}: {address} is listed twice.");
            addresses.Add(address);
        }
        return addresses;
    }

    /// <summary>Largest advertised address file read: 8 addresses of at most 45 characters, with room for white space.</summary>
    private const int MaxAddressFileBytes = 1024;

    private static List<string> ReadAddressFile(string path)
    {
        string text;
        try
        {
            // Addresses are a few dozen bytes each; anything much larger is not the file meant.
            if (new FileInfo(path).Length > MaxAddressFileBytes)
                throw new ArgumentException($"OpenChat:Media:RtcAdvertisedAddressFile: {path} is larger than {MaxAddressFileBytes} bytes, not a list of IP addresses.");
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ArgumentException($"OpenChat:Media:RtcAdvertisedAddressFile: cannot read {path} ({e.Message}). On Kubernetes, add this node's name and address to the media node address ConfigMap.");
        }
        // One per line, or comma-separated on one line (a ConfigMap generated from an env file has one-line values).
        var lines = text.Split(['\n', ','], StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        foreach (var line in lines)
        {
            if (!IPAddress.TryParse(line, out _))
                throw new ArgumentException($"OpenChat:Media:RtcAdvertisedAddressFile: {path} holds '{Shorten(line)}', not an IP address.");
        }
        if (lines.Length is 0 or > MaxAdvertisedAddresses)
            throw new ArgumentException($"OpenChat:Media:RtcAdvertisedAddressFile: {path} holds {lines.Length} addresses; give 1 to {MaxAdvertisedAddresses}, one per line.");
        return [.. lines];
    }

    private static string Shorten(string text) => text.Length > 64 ? text[..64] + "…" : text;

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

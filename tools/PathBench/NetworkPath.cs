using System.Net;

namespace OpenChat.PathBench;

/// <summary>Where the server and coturn are, and their ports.</summary>
public sealed record Addresses(IPAddress Server, IPAddress ServerV6, IPAddress Turn)
{
    public const int HttpPort = 443;
    public const int RtcPort = 40000;
    public const int RtcTcpPort = 40001;
    public const int TurnPort = 3478;
    public const int TurnTlsPort = 443;
}

/// <summary>The selected candidate pair of a page's voice peer connection (<c>getStats()</c>).</summary>
public sealed record SelectedPair(string Protocol, string CandidateType, string? RelayProtocol, string RemoteAddress, int RemotePort)
{
    public override string ToString() =>
        $"{Protocol} {CandidateType}{(RelayProtocol is null ? "" : "/" + RelayProtocol)} -> {(RemoteAddress.Contains(':') ? $"[{RemoteAddress}]" : RemoteAddress)}:{RemotePort}";
}

/// <summary>
/// A network path: the rules (nftables, in the browsers' namespace) that leave the browsers only that path, and the
/// selected candidate pair a join over it must have.
/// </summary>
public sealed record NetworkPath(string Name, string Title, Func<Addresses, string?> Rules, bool Ipv6Only, Func<SelectedPair, Addresses, bool> IsExpected)
{
    private const string Table = "table inet pathbench";

    public static readonly NetworkPath Udp = new("udp", "direct UDP", _ => null, false,
        (p, a) => p is { Protocol: "udp", CandidateType: not "relay", RemotePort: Addresses.RtcPort } && p.RemoteAddress == a.Server.ToString());

    public static readonly NetworkPath Tcp = new("tcp", "direct ICE-TCP (UDP dropped)",
        a => $$"""
            {{Table}} {
              chain out {
                type filter hook output priority 0; policy accept;
                meta l4proto udp counter drop
              }
            }
            """, false,
        (p, a) => p is { Protocol: "tcp", CandidateType: not "relay", RemotePort: Addresses.RtcTcpPort } && p.RemoteAddress == a.Server.ToString());

    public static readonly NetworkPath TurnUdp = new("turn-udp", "relayed by coturn over UDP",
        a => OnlyTo(a, $"ip daddr {a.Turn} udp dport {Addresses.TurnPort} accept"), false,
        (p, a) => p is { CandidateType: "relay", RelayProtocol: "udp", RemotePort: Addresses.RtcPort } && p.RemoteAddress == a.Server.ToString());

    public static readonly NetworkPath TurnTls = new("turn-tls", "relayed by coturn over TLS on 443",
        a => OnlyTo(a), false,
        (p, a) => p is { CandidateType: "relay", RelayProtocol: "tls", RemotePort: Addresses.RtcPort } && p.RemoteAddress == a.Server.ToString());

    public static readonly NetworkPath Udp6 = new("udp6", "direct UDP over IPv6", _ => null, true,
        (p, a) => p is { Protocol: "udp", CandidateType: not "relay", RemotePort: Addresses.RtcPort } && IPAddress.Parse(p.RemoteAddress).Equals(a.ServerV6));

    public static readonly IReadOnlyList<NetworkPath> All = [Udp, Tcp, TurnUdp, TurnTls, Udp6];

    /// <summary>
    /// Every packet out is dropped except loopback, replies within connections already made, TCP to port 443 of the
    /// server (the page and its hub) and of coturn (TURN over TLS), and <paramref name="more"/>.
    /// </summary>
    private static string OnlyTo(Addresses a, string more = "") => $$"""
        {{Table}} {
          chain out {
            type filter hook output priority 0; policy drop;
            oif "lo" accept
            ct state established,related accept
            ip daddr { {{a.Server}}, {{a.Turn}} } tcp dport 443 accept
            {{more}}
            counter
          }
        }
        """;
}

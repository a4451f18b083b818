using System.Text;

namespace OpenChat.Gateway.Turn;

/// <summary>
/// The ICE servers (STUN and TURN) the gateway hands to clients, and the secret it signs TURN credentials with; bound
/// from <c>OpenChat:Media</c> (the media settings), but read by the gateway, which is where clients ask for them.
/// </summary>
public sealed class TurnOptions
{
    public const string Section = "OpenChat:Media";

    /// <summary>The shortest credential lifetime accepted: a client renews its session before expiry, so shorter would mean constant renewals.</summary>
    public static readonly TimeSpan MinLifetime = TimeSpan.FromSeconds(10);

    public static readonly TimeSpan MaxLifetime = TimeSpan.FromDays(1);

    /// <summary>At most this many URLs; a browser tries every one, so a long list only slows its gathering.</summary>
    public const int MaxServers = 8;

    public const int MaxUrlLength = 256;

    /// <summary>The shortest secret accepted, in bytes; coturn's <c>static-auth-secret</c> must be the same string.</summary>
    public const int MinSecretBytes = 16;

    private const int MaxSecretBytes = 1024;

    /// <summary>
    /// STUN and TURN URLs as RFC 7064/7065 write them (<c>turn:turn.example.org:3478?transport=udp</c>,
    /// <c>turns:turn.example.org:443?transport=tcp</c>, <c>stun:stun.example.org:3478</c>); none by default, and then
    /// clients use host candidates only.
    /// </summary>
    public string[] TurnServers { get; set; } = [];

    /// <summary>The secret shared with the TURN server (coturn's <c>static-auth-secret</c>). Never logged, never sent to a client.</summary>
    public string? TurnSecret { get; set; }

    /// <summary>A file holding <see cref="TurnSecret"/> (surrounding white space ignored), e.g. a mounted Kubernetes Secret. Set one of the two, not both.</summary>
    public string? TurnSecretFile { get; set; }

    /// <summary>How long a TURN credential is valid; clients renew their media session before it runs out.</summary>
    public TimeSpan TurnCredentialLifetime { get; set; } = TimeSpan.FromHours(1);

    /// <summary>True when at least one <c>turn:</c> or <c>turns:</c> URL is configured.</summary>
    public bool HasTurn => TurnServers.Any(IsTurnUrl);

    /// <summary>Checks every setting, reads <see cref="TurnSecretFile"/>; errors name the setting and never show the secret.</summary>
    public void Validate()
    {
        if (TurnSecretFile is not null)
        {
            if (TurnSecret is not null)
                throw new ArgumentException($"Set {Section}:TurnSecret or {Section}:TurnSecretFile, not both.");
            TurnSecret = ReadSecretFile(TurnSecretFile);
            TurnSecretFile = null;
        }
        if (TurnServers.Length > MaxServers)
            throw new ArgumentException($"{Section}:TurnServers has {TurnServers.Length} URLs; at most {MaxServers}.");
        for (var i = 0; i < TurnServers.Length; i++)
        {
            if (CheckUrl(TurnServers[i]) is { } problem)
                throw new ArgumentException($"{Section}:TurnServers:{i} ('{Shorten(TurnServers[i])}') {problem}");
        }
        if (TurnCredentialLifetime < MinLifetime || TurnCredentialLifetime > MaxLifetime)
            throw new ArgumentOutOfRangeException(nameof(TurnCredentialLifetime),
                $"{Section}:TurnCredentialLifetime must be {MinLifetime.TotalSeconds:0} seconds to {MaxLifetime.TotalHours:0} hours.");
        if (TurnSecret is not null)
        {
            var bytes = Encoding.UTF8.GetByteCount(TurnSecret);
            if (bytes is < MinSecretBytes or > MaxSecretBytes)
                throw new ArgumentException($"{Section}:TurnSecret must be {MinSecretBytes} to {MaxSecretBytes} bytes (it has {bytes}).");
            if (TurnSecret.Any(char.IsControl) || TurnSecret != TurnSecret.Trim())
                throw new ArgumentException($"{Section}:TurnSecret must not contain control characters or surrounding white space (coturn reads it from one line).");
        }
        if (HasTurn && string.IsNullOrEmpty(TurnSecret))
            throw new ArgumentException($"{Section}:TurnServers has a turn: or turns: URL, so {Section}:TurnSecret (or {Section}:TurnSecretFile) must be set to coturn's static-auth-secret.");
    }

    /// <summary>
    /// Settings that are valid but will not work for every browser, one sentence each (logged at start): a
    /// <c>turns:</c> URL with an IP address, which Firefox never connects to (it uses <c>turns:</c> only by host name,
    /// the name the TLS certificate must cover).
    /// </summary>
    public IReadOnlyList<string> Warnings()
    {
        var warnings = new List<string>();
        for (var i = 0; i < TurnServers.Length; i++)
        {
            var url = TurnServers[i];
            if (!url.StartsWith("turns:", StringComparison.Ordinal)) continue;
            var hostPort = url["turns:".Length..].Split('?')[0];
            var host = hostPort.StartsWith('[') ? hostPort : hostPort.Split(':')[0];
            if (hostPort.StartsWith('[') || System.Net.IPAddress.TryParse(host, out _))
                warnings.Add($"{Section}:TurnServers:{i} ('{Shorten(url)}') names an IP address: Firefox never connects to a turns: server " +
                    "given by address; give a host name its TLS certificate covers.");
        }
        return warnings;
    }

    public static bool IsTurnUrl(string url) =>
        url.StartsWith("turn:", StringComparison.Ordinal) || url.StartsWith("turns:", StringComparison.Ordinal);

    /// <summary>Why <paramref name="url"/> is not a STUN or TURN URL a browser accepts, or null when it is.</summary>
    public static string? CheckUrl(string? url)
    {
        if (string.IsNullOrEmpty(url)) return "is empty.";
        if (url.Length > MaxUrlLength) return $"is longer than {MaxUrlLength} characters.";
        if (url.Any(c => c <= ' ' || c >= 0x7f)) return "contains white space, control or non-ASCII characters.";
        var colon = url.IndexOf(':');
        var scheme = colon > 0 ? url[..colon] : "";
        if (scheme is not ("stun" or "stuns" or "turn" or "turns"))
            return "must start with stun:, stuns:, turn: or turns:.";
        var rest = url[(colon + 1)..];
        string? query = null;
        var q = rest.IndexOf('?');
        if (q >= 0)
        {
            query = rest[(q + 1)..];
            rest = rest[..q];
        }
        if (rest.StartsWith("//", StringComparison.Ordinal)) return "must not have '//' after the scheme (turn:host:port).";
        if (HostAndPort(rest) is { } hostProblem) return hostProblem;
        if (query is not null)
        {
            if (scheme is "stun" or "stuns") return "a STUN URL takes no ?transport= parameter.";
            if (query is not ("transport=udp" or "transport=tcp")) return "may end only in ?transport=udp or ?transport=tcp.";
        }
        return null;
    }

    private static string? HostAndPort(string hostPort)
    {
        string host;
        string? port = null;
        if (hostPort.StartsWith('['))
        {
            var end = hostPort.IndexOf(']');
            if (end < 0) return "has an unclosed '[' around an IPv6 address.";
            host = hostPort[1..end];
            if (!System.Net.IPAddress.TryParse(host, out var v6) || v6.AddressFamily != System.Net.Sockets.AddressFamily.InterNetworkV6)
                return "has no IPv6 address inside '[ ]'.";
            var after = hostPort[(end + 1)..];
            if (after.Length > 0)
            {
                if (after[0] != ':') return "has something other than ':port' after ']'.";
                port = after[1..];
            }
        }
        else
        {
            var colon = hostPort.LastIndexOf(':');
            host = colon >= 0 ? hostPort[..colon] : hostPort;
            if (colon >= 0) port = hostPort[(colon + 1)..];
            if (Uri.CheckHostName(host) is not (UriHostNameType.Dns or UriHostNameType.IPv4))
                return "has no valid host name or IPv4 address (write an IPv6 address in [ ]).";
        }
        if (port is not null && (!int.TryParse(port, System.Globalization.NumberStyles.None, null, out var p) || p is < 1 or > 65535))
            return "has a port that is not 1 to 65535.";
        return null;
    }

    private static string ReadSecretFile(string path)
    {
        string text;
        try
        {
            if (new FileInfo(path).Length > 4096) throw new ArgumentException($"{Section}:TurnSecretFile: {path} is larger than 4 KiB; it should hold one secret.");
            text = File.ReadAllText(path).Trim();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ArgumentException($"{Section}:TurnSecretFile: cannot read {path} ({e.Message}).");
        }
        if (text.Length == 0) throw new ArgumentException($"{Section}:TurnSecretFile: {path} is empty.");
        return text;
    }

    private static string Shorten(string? url) => url is null ? "" : url.Length > 64 ? url[..64] + "…" : url;
}

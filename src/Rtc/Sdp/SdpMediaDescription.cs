namespace OpenChat.Rtc.Sdp;

/// <summary>One <c>m=</c> section with its attributes.</summary>
public sealed class SdpMediaDescription
{
    /// <summary>Creates a section.</summary>
    public SdpMediaDescription(string media, int port, string protocol, IReadOnlyList<string> formats)
    {
        Media = media;
        Port = port;
        Protocol = protocol;
        Formats = formats;
    }

    /// <summary><c>audio</c>, <c>video</c>, <c>application</c>, ...</summary>
    public string Media { get; }

    /// <summary>Port of the m-line (0 means rejected or bundle-only).</summary>
    public int Port { get; }

    /// <summary>Transport protocol, e.g. <c>UDP/TLS/RTP/SAVPF</c>.</summary>
    public string Protocol { get; }

    /// <summary>Format list (payload types for RTP).</summary>
    public IReadOnlyList<string> Formats { get; }

    /// <summary>The <c>c=</c> line value, if any.</summary>
    public string? Connection { get; internal set; }

    /// <summary>Attributes in order.</summary>
    public List<SdpAttribute> Attributes { get; } = [];

    /// <summary>First value of attribute <paramref name="name"/>, or null.</summary>
    public string? Get(string name) => Attributes.FirstOrDefault(a => a.Name == name)?.Value;

    /// <summary>True if attribute <paramref name="name"/> is present.</summary>
    public bool Has(string name) => Attributes.Any(a => a.Name == name);

    /// <summary>All values of attribute <paramref name="name"/>.</summary>
    public IEnumerable<string> GetAll(string name) => Attributes.Where(a => a.Name == name && a.Value is not null).Select(a => a.Value!);

    /// <summary><c>a=mid</c>.</summary>
    public string? Mid => Get("mid");

    /// <summary>Direction attribute (<c>sendrecv</c> when none is given).</summary>
    public string Direction =>
        Attributes.Select(a => a.Name).FirstOrDefault(n => n is "sendrecv" or "sendonly" or "recvonly" or "inactive") ?? "sendrecv";

    /// <summary>Parsed <c>a=rtpmap</c> lines.</summary>
    public IReadOnlyList<SdpRtpMap> RtpMaps { get; internal set; } = [];

    /// <summary>Parsed <c>a=extmap</c> lines.</summary>
    public IReadOnlyList<SdpExtMap> ExtMaps { get; internal set; } = [];

    /// <summary>SSRCs named by <c>a=ssrc</c> lines.</summary>
    public IReadOnlyList<uint> Ssrcs { get; internal set; } = [];

    /// <summary>The <c>a=fmtp</c> parameters for <paramref name="payloadType"/>, or null.</summary>
    public string? GetFormatParameters(int payloadType)
    {
        string prefix = payloadType.ToString(System.Globalization.CultureInfo.InvariantCulture) + " ";
        return GetAll("fmtp").FirstOrDefault(v => v.StartsWith(prefix, StringComparison.Ordinal))?[prefix.Length..].Trim();
    }
}

/// <summary>An <c>a=rtpmap:PT encoding/clock[/channels]</c> line.</summary>
public sealed record SdpRtpMap(int PayloadType, string Encoding, int ClockRate, int Channels);

/// <summary>An <c>a=extmap:ID[/direction] URI</c> line.</summary>
public sealed record SdpExtMap(int Id, string Uri);

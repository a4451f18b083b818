using System.Globalization;

namespace OpenChat.Rtc.Sdp;

/// <summary>A parsed SDP session description (RFC 8866) with the WebRTC attributes this library needs.</summary>
public sealed class SdpSessionDescription
{
    /// <summary>Largest SDP accepted, in characters; browser offers are a few kilobytes.</summary>
    public const int MaxLength = 64 * 1024;

    /// <summary>Most lines accepted.</summary>
    public const int MaxLines = 4096;

    /// <summary>Most media sections accepted.</summary>
    public const int MaxMediaSections = 64;

    /// <summary>The <c>o=</c> line value.</summary>
    public string Origin { get; private set; } = "";

    /// <summary>Session-level attributes.</summary>
    public List<SdpAttribute> Attributes { get; } = [];

    /// <summary>Media sections in order.</summary>
    public List<SdpMediaDescription> Media { get; } = [];

    /// <summary>First session-level value of <paramref name="name"/>.</summary>
    public string? Get(string name) => Attributes.FirstOrDefault(a => a.Name == name)?.Value;

    /// <summary>True if the session-level attribute is present.</summary>
    public bool Has(string name) => Attributes.Any(a => a.Name == name);

    /// <summary>An attribute value from the media section, falling back to session level (ICE and DTLS attributes may sit at either).</summary>
    public string? Resolve(SdpMediaDescription media, string name) => media.Get(name) ?? Get(name);

    /// <summary>Mids listed in <c>a=group:BUNDLE</c>, empty if none.</summary>
    public IReadOnlyList<string> BundleMids =>
        Attributes.Where(a => a.Name == "group" && a.Value is not null && a.Value.StartsWith("BUNDLE", StringComparison.Ordinal))
            .SelectMany(a => a.Value!.Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1)).ToList();

    /// <summary>Parses SDP text; throws <see cref="SdpException"/> with a clear reason.</summary>
    public static SdpSessionDescription Parse(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            throw new SdpException("SDP is empty.");
        }
        if (text.Length > MaxLength)
        {
            throw new SdpException($"SDP is too large ({text.Length} characters; the limit is {MaxLength}).");
        }
        var lines = text.Split('\n');
        if (lines.Length > MaxLines)
        {
            throw new SdpException($"SDP has too many lines ({lines.Length}; the limit is {MaxLines}).");
        }

        var sdp = new SdpSessionDescription();
        SdpMediaDescription? media = null;
        bool sawVersion = false;
        bool sawOrigin = false;
        int lineNumber = 0;
        foreach (var raw in lines)
        {
            lineNumber++;
            var line = raw.TrimEnd('\r');
            if (line.Length == 0)
            {
                continue;
            }
            if (line.Length < 2 || line[1] != '=' || !char.IsAsciiLetterLower(line[0]))
            {
                throw new SdpException($"Line {lineNumber}: not of the form <letter>=<value>: \"{Truncate(line)}\".");
            }
            char type = line[0];
            string value = line[2..];
            if (!sawVersion)
            {
                if (type != 'v' || value != "0")
                {
                    throw new SdpException($"Line {lineNumber}: SDP must start with v=0.");
                }
                sawVersion = true;
                continue;
            }
            switch (type)
            {
                case 'o':
                    if (value.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length != 6)
                    {
                        throw new SdpException($"Line {lineNumber}: o= needs six fields.");
                    }
                    sdp.Origin = value;
                    sawOrigin = true;
                    break;
                case 'm':
                    if (sdp.Media.Count == MaxMediaSections)
                    {
                        throw new SdpException($"SDP has more than {MaxMediaSections} media sections.");
                    }
                    media = ParseMediaLine(value, lineNumber);
                    sdp.Media.Add(media);
                    break;
                case 'c':
                    if (media is not null)
                    {
                        media.Connection = value;
                    }
                    break;
                case 'a':
                    var attribute = ParseAttribute(value, lineNumber);
                    (media?.Attributes ?? sdp.Attributes).Add(attribute);
                    break;
                default:
                    // s=, t=, b=, i=, u=, e=, p=, k=, r=, z= carry nothing we use.
                    break;
            }
        }
        if (!sawVersion)
        {
            throw new SdpException("SDP must start with v=0.");
        }
        if (!sawOrigin)
        {
            throw new SdpException("SDP has no o= line.");
        }
        foreach (var m in sdp.Media)
        {
            ParseMediaAttributes(m);
        }
        return sdp;
    }

    private static string Truncate(string s) => s.Length > 60 ? s[..60] + "..." : s;

    private static SdpMediaDescription ParseMediaLine(string value, int lineNumber)
    {
        var parts = value.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length < 4)
        {
            throw new SdpException($"Line {lineNumber}: m= needs media, port, protocol and at least one format.");
        }
        var portText = parts[1].Split('/')[0];
        if (!int.TryParse(portText, NumberStyles.None, CultureInfo.InvariantCulture, out int port) || port > 65535)
        {
            throw new SdpException($"Line {lineNumber}: m= port \"{Truncate(parts[1])}\" is not a port number.");
        }
        return new SdpMediaDescription(parts[0], port, parts[2], parts[3..]);
    }

    private static SdpAttribute ParseAttribute(string value, int lineNumber)
    {
        int colon = value.IndexOf(':');
        string name = colon < 0 ? value : value[..colon];
        if (name.Length == 0 || name.Any(c => char.IsWhiteSpace(c)))
        {
            throw new SdpException($"Line {lineNumber}: malformed attribute name \"{Truncate(value)}\".");
        }
        return new SdpAttribute(name, colon < 0 ? null : value[(colon + 1)..]);
    }

    private static void ParseMediaAttributes(SdpMediaDescription m)
    {
        var rtpMaps = new List<SdpRtpMap>();
        foreach (var v in m.GetAll("rtpmap"))
        {
            // PT encoding/clock[/channels]
            var parts = v.Split(' ', 2, StringSplitOptions.RemoveEmptyEntries);
            var codec = parts.Length == 2 ? parts[1].Split('/') : [];
            if (parts.Length != 2 || codec.Length is < 2 or > 3
                || !int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out int pt) || pt > 127
                || !int.TryParse(codec[1], NumberStyles.None, CultureInfo.InvariantCulture, out int clock) || clock == 0)
            {
                throw new SdpException($"Malformed a=rtpmap:{Truncate(v)} (expected \"<payload type 0-127> <encoding>/<clock rate>[/<channels>]\").");
            }
            int channels = 1;
            if (codec.Length == 3 && (!int.TryParse(codec[2], NumberStyles.None, CultureInfo.InvariantCulture, out channels) || channels is < 1 or > 255))
            {
                throw new SdpException($"Malformed a=rtpmap:{Truncate(v)} (bad channel count).");
            }
            rtpMaps.Add(new SdpRtpMap(pt, codec[0], clock, channels));
        }
        m.RtpMaps = rtpMaps;

        var extMaps = new List<SdpExtMap>();
        foreach (var v in m.GetAll("extmap"))
        {
            var parts = v.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            var idText = parts.Length >= 2 ? parts[0].Split('/')[0] : "";
            if (parts.Length < 2 || !int.TryParse(idText, NumberStyles.None, CultureInfo.InvariantCulture, out int id) || id is < 1 or > 255)
            {
                throw new SdpException($"Malformed a=extmap:{Truncate(v)} (expected \"<id 1-255>[/<direction>] <uri>\").");
            }
            extMaps.Add(new SdpExtMap(id, parts[1]));
        }
        m.ExtMaps = extMaps;

        var ssrcs = new List<uint>();
        foreach (var v in m.GetAll("ssrc"))
        {
            var idText = v.Split(' ', 2)[0];
            if (!uint.TryParse(idText, NumberStyles.None, CultureInfo.InvariantCulture, out uint ssrc))
            {
                throw new SdpException($"Malformed a=ssrc:{Truncate(v)} (SSRC must be a 32-bit unsigned number).");
            }
            if (!ssrcs.Contains(ssrc))
            {
                ssrcs.Add(ssrc);
            }
        }
        m.Ssrcs = ssrcs;
    }
}

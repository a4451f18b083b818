using System.Globalization;
using System.Net;

namespace OpenChat.Rtc.Ice;

/// <summary>An ICE candidate as carried in <c>a=candidate</c> (RFC 8839); host candidates, UDP or TCP (RFC 6544).</summary>
public sealed record IceCandidate(string Foundation, int Component, string Transport, uint Priority, IPAddress Address, int Port, string Type)
{
    /// <summary>For a TCP candidate: <c>active</c>, <c>passive</c> or <c>so</c> (RFC 6544 4.5); null for UDP.</summary>
    public string? TcpType { get; init; }

    /// <summary>RFC 8445 5.1.2.1 priority: type preference, local preference, component.</summary>
    public static uint ComputePriority(int typePreference, int localPreference, int component) =>
        (uint)((typePreference << 24) + (localPreference << 8) + (256 - component));

    /// <summary>A host candidate for component 1 (RTP, rtcp-mux).</summary>
    public static IceCandidate Host(IPAddress address, int port, string foundation = "1") =>
        new(foundation, 1, "udp", ComputePriority(126, 65535, 1), address, port, "host");

    /// <summary>Parses <c>candidate:...</c> (with or without the <c>candidate:</c> prefix); unresolvable addresses (mDNS) fail.</summary>
    public static bool TryParse(string text, out IceCandidate? candidate)
    {
        candidate = null;
        if (text.StartsWith("candidate:", StringComparison.Ordinal))
        {
            text = text["candidate:".Length..];
        }
        var p = text.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (p.Length < 8 || p[6] != "typ"
            || !int.TryParse(p[1], NumberStyles.None, CultureInfo.InvariantCulture, out int component)
            || !uint.TryParse(p[3], NumberStyles.None, CultureInfo.InvariantCulture, out uint priority)
            || !IPAddress.TryParse(p[4], out var address)
            || !int.TryParse(p[5], NumberStyles.None, CultureInfo.InvariantCulture, out int port) || port > 65535)
        {
            return false;
        }
        string? tcpType = null;
        for (int i = 8; i + 1 < p.Length; i += 2)
        {
            if (p[i] == "tcptype")
            {
                tcpType = p[i + 1];
            }
        }
        candidate = new IceCandidate(p[0], component, p[2].ToLowerInvariant(), priority, address, port, p[7]) { TcpType = tcpType };
        return true;
    }

    /// <summary>The attribute value (without <c>a=</c>).</summary>
    public string ToSdpValue() =>
        string.Create(CultureInfo.InvariantCulture, $"candidate:{Foundation} {Component} {Transport} {Priority} {Address} {Port} typ {Type}{(TcpType is null ? "" : " tcptype " + TcpType)}");
}

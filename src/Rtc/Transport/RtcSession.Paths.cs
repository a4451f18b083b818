using System.Net;
using System.Security.Cryptography;
using OpenChat.Rtc.Dtls;
using OpenChat.Rtc.Ice;
using OpenChat.Rtc.Stun;

namespace OpenChat.Rtc.Transport;

/// <summary>
/// Which address the session sends to. A member knows its own ICE password, so it can sign a check with
/// USE-CANDIDATE from any source address it forges; the session therefore moves its media to a new address only
/// once that address has shown it receives: it answered a check the node sent it (a fresh transaction id only the
/// receiver learns), or it returned the DTLS cookie. Authenticated SRTP from an address proves nothing about
/// receiving there (the member has the keys), so it never moves the path.
/// </summary>
public partial class RtcSession
{
    /// <summary>At most one path check per session per this interval, however many nominations arrive.</summary>
    internal const int PathCheckIntervalMilliseconds = 200;

    private readonly ulong _tieBreaker = BitConverter.ToUInt64(RandomNumberGenerator.GetBytes(8));
    private SocketAddress? _pathCandidate;
    private IPEndPoint? _pathCandidateEndPoint;
    private StunTransactionId _pathCheckId;
    private long _lastPathCheckTicks = long.MinValue / 2;
    private ulong _pathCandidatePriority;

    /// <summary>The peer's candidates from its offer with a literal address, and their priorities.</summary>
    internal (IPEndPoint EndPoint, uint Priority)[] SignaledCandidates { get; set; } = [];

    /// <summary>
    /// The peer's priority for a check from <paramref name="source"/> (RFC 8445 7.3.1.4): that of the candidate it
    /// signalled at that address, else the check's PRIORITY (a peer-reflexive candidate).
    /// </summary>
    internal uint RemotePriority(IPEndPoint source, uint checkPriority)
    {
        foreach (var (endPoint, priority) in SignaledCandidates)
        {
            if (endPoint.Equals(source))
            {
                return priority;
            }
        }
        return checkPriority;
    }

    /// <summary>The priority of the selected pair (RFC 8445 6.1.2.3); 0 when unknown. Receive thread only.</summary>
    internal ulong SelectedPairPriority { get; set; }

    /// <summary>
    /// The pair priority of RFC 8445 6.1.2.3 with the peer (the controlling agent) at <paramref name="controlling"/>
    /// (the check's PRIORITY) and our candidate at <paramref name="controlled"/>.
    /// </summary>
    internal static ulong PairPriority(uint controlling, uint controlled) =>
        ((ulong)Math.Min(controlling, controlled) << 32) + 2UL * Math.Max(controlling, controlled) + (controlling > controlled ? 1UL : 0UL);

    /// <summary>
    /// Whether a nominated pair of <paramref name="pairPriority"/> may replace the selected one: it outranks it, or
    /// nothing valid has arrived on the selected path for <paramref name="quietMilliseconds"/>.
    /// </summary>
    internal bool MayReplaceSelected(ulong pairPriority, long quietMilliseconds) =>
        pairPriority > SelectedPairPriority || Environment.TickCount64 - LastReceivedTicks > quietMilliseconds;

    /// <summary>The transport of the selected path (UDP, or a TCP connection to the passive candidate); null before ICE selects one.</summary>
    public RtcTransport? Transport => RemoteAddress is { } remote ? (TcpPathKey.IsTcp(remote) ? RtcTransport.Tcp : RtcTransport.Udp) : null;

    /// <summary>Reassembles a fragmented ClientHello before the cookie exchange (receive thread only).</summary>
    internal ClientHelloAssembler? HelloAssembler { get; set; }

    /// <summary>True if <paramref name="address"/> is the selected remote address.</summary>
    internal bool IsSelected(SocketAddress address)
    {
        var remote = RemoteAddress;
        return remote is not null && remote.Equals(address);
    }

    /// <summary>
    /// A valid nomination from a known address that is not the selected one: sends the node's own check there
    /// (rate-limited) and switches only when it is answered. Receive thread only.
    /// </summary>
    internal bool RequestPathCheck(SocketAddress address, IPEndPoint endPoint, ulong pairPriority, Span<byte> scratch, out int length)
    {
        length = 0;
        long now = Environment.TickCount64;
        // The candidate is the address the outstanding check went to: a nomination between checks changes nothing.
        if (now - _lastPathCheckTicks < PathCheckIntervalMilliseconds)
        {
            return false;
        }
        _pathCandidate = address;
        _pathCandidateEndPoint = endPoint;
        _pathCandidatePriority = pairPriority;
        _lastPathCheckTicks = now;
        _pathCheckId = StunTransactionId.NewRandom();
        length = IceBinding.WriteControlledRequest(scratch, _pathCheckId, LocalIce, RemoteIce, _tieBreaker);
        return true;
    }

    /// <summary>
    /// A binding success response from a known address: if it answers the outstanding path check from the address it
    /// was sent to, that address becomes the selected one. Receive thread only.
    /// </summary>
    internal bool TryCompletePathCheck(StunMessage response, ReadOnlySpan<byte> raw, SocketAddress address)
    {
        var candidate = _pathCandidate;
        if (candidate is null || !candidate.Equals(address) || !IceBinding.IsValidResponse(response, raw, _pathCheckId, RemoteIce))
        {
            return false;
        }
        _pathCandidate = null;
        OnIceSucceeded(candidate, _pathCandidateEndPoint!);
        SelectedPairPriority = _pathCandidatePriority;
        return true;
    }

    /// <summary>The peer at <paramref name="address"/> returned our DTLS cookie: it receives there.</summary>
    internal void OnCookieReturned(SocketAddress address, IPEndPoint endPoint)
    {
        if (!IsSelected(address))
        {
            // The pair's priority is that of the outstanding check's, if the cookie came from there.
            SelectedPairPriority = _pathCandidate is { } candidate && candidate.Equals(address) ? _pathCandidatePriority : 0;
            _pathCandidate = null;
            OnIceSucceeded(address, endPoint);
        }
    }
}

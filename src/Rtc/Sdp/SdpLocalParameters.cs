using OpenChat.Rtc.Ice;

namespace OpenChat.Rtc.Sdp;

/// <summary>
/// Our side of a negotiation: ICE credentials, DTLS fingerprint, candidates and media identity. <see cref="Candidate"/>
/// goes in the <c>c=</c> line; the candidates written are <see cref="Candidates"/> when set (an answer listing several
/// addresses), else <see cref="Candidate"/> and <see cref="TcpCandidate"/>.
/// </summary>
public sealed record SdpLocalParameters(
    IceCredentials Ice,
    SdpFingerprint Fingerprint,
    IceCandidate? Candidate,
    uint Ssrc,
    string Cname,
    bool UseDtx = false,
    IceCandidate? TcpCandidate = null,
    IReadOnlyList<IceCandidate>? Candidates = null)
{
    /// <summary>The candidates the description lists, in order.</summary>
    public IEnumerable<IceCandidate> AllCandidates =>
        Candidates ?? new[] { Candidate, TcpCandidate }.OfType<IceCandidate>();
}

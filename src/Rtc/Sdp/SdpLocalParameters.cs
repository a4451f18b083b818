using OpenChat.Rtc.Ice;

namespace OpenChat.Rtc.Sdp;

/// <summary>Our side of a negotiation: ICE credentials, DTLS fingerprint, candidates (UDP, and optionally passive TCP) and media identity.</summary>
public sealed record SdpLocalParameters(
    IceCredentials Ice,
    SdpFingerprint Fingerprint,
    IceCandidate? Candidate,
    uint Ssrc,
    string Cname,
    bool UseDtx = false,
    IceCandidate? TcpCandidate = null);

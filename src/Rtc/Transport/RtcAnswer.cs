namespace OpenChat.Rtc.Transport;

/// <summary>The result of accepting an offer: the new session and the SDP answer to send back to the browser.</summary>
public sealed record RtcAnswer(RtcSession Session, string Sdp);

namespace OpenChat.Rtc.Rtcp;

/// <summary>RTCP packet types (RFC 3550, RFC 4585).</summary>
public enum RtcpPacketType : byte
{
    SenderReport = 200,
    ReceiverReport = 201,
    SourceDescription = 202,
    Goodbye = 203,
    ApplicationDefined = 204,
    TransportFeedback = 205,
    PayloadFeedback = 206,
}

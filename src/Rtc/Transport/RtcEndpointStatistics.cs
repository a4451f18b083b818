namespace OpenChat.Rtc.Transport;

/// <summary>Endpoint-wide counters (written by the receive thread; reads may lag slightly).</summary>
public sealed class RtcEndpointStatistics
{
    internal long DatagramsReceivedField;
    internal long DroppedUnknownSourceField;
    internal long DroppedUnclassifiedField;
    internal long StunMalformedField;
    internal long StunRejectedField;
    internal long StunFilteredField;
    internal long StunAnsweredField;
    internal long DtlsCookieExchangesField;
    internal long HandshakesRefusedField;
    internal long HandshakesQueuedField;
    internal long ReceiveErrorsField;
    internal long PathChecksSentField;
    internal long PathsValidatedField;
    internal long NominationsKeptField;
    internal long DtlsOffPathField;
    internal long DtlsMalformedField;
    internal long SendErrorsField;
    internal long TcpAcceptedField;
    internal long TcpRefusedField;
    internal long TcpFramesReceivedField;
    internal long TcpFramesTooLongField;
    internal long TcpUnverifiedClosedField;
    internal long TcpSendDroppedField;

    /// <summary>Datagrams read from the socket.</summary>
    public long DatagramsReceived => Volatile.Read(ref DatagramsReceivedField);

    /// <summary>Non-STUN datagrams from addresses no session has authorised.</summary>
    public long DroppedUnknownSource => Volatile.Read(ref DroppedUnknownSourceField);

    /// <summary>Datagrams whose first byte is not STUN, DTLS, RTP or RTCP (RFC 7983).</summary>
    public long DroppedUnclassified => Volatile.Read(ref DroppedUnclassifiedField);

    /// <summary>STUN datagrams that did not parse.</summary>
    public long StunMalformed => Volatile.Read(ref StunMalformedField);

    /// <summary>STUN requests refused: unknown ufrag, bad integrity or fingerprint, not a binding request.</summary>
    public long StunRejected => Volatile.Read(ref StunRejectedField);

    /// <summary>Valid checks refused by <see cref="RtcEndpointOptions.AcceptRemote"/>.</summary>
    public long StunFiltered => Volatile.Read(ref StunFilteredField);

    /// <summary>Binding requests answered.</summary>
    public long StunAnswered => Volatile.Read(ref StunAnsweredField);

    /// <summary>ClientHellos answered with a HelloVerifyRequest or refused by the cookie check.</summary>
    public long DtlsCookieExchanges => Volatile.Read(ref DtlsCookieExchangesField);

    /// <summary>ClientHellos with a valid cookie dropped because the node's or the client address's handshake cap was reached.</summary>
    public long HandshakesRefused => Volatile.Read(ref HandshakesRefusedField);

    /// <summary>Handshakes that waited for a slot under <see cref="RtcEndpointOptions.MaxConcurrentHandshakes"/> before they started.</summary>
    public long HandshakesQueued => Volatile.Read(ref HandshakesQueuedField);

    /// <summary>Checks the node sent to a newly nominated address to learn whether it receives there.</summary>
    public long PathChecksSent => Volatile.Read(ref PathChecksSentField);

    /// <summary>Nominated addresses that answered the node's check and became the selected address.</summary>
    public long PathsValidated => Volatile.Read(ref PathsValidatedField);

    /// <summary>Nominations of a lower-priority pair that left the selected path in place (it was not quiet).</summary>
    public long NominationsKept => Volatile.Read(ref NominationsKeptField);

    /// <summary>DTLS records dropped because they came from a session's address other than the selected one once its handshake ran.</summary>
    public long DtlsOffPath => Volatile.Read(ref DtlsOffPathField);

    /// <summary>ClientHello fragments refused: malformed, or declaring more than <see cref="RtcEndpointOptions.MaxClientHelloLength"/>.</summary>
    public long DtlsMalformed => Volatile.Read(ref DtlsMalformedField);

    /// <summary>Exceptions caught in the receive loop (should stay 0).</summary>
    public long ReceiveErrors => Volatile.Read(ref ReceiveErrorsField);

    /// <summary>Socket send failures.</summary>
    public long SendErrors => Volatile.Read(ref SendErrorsField);

    /// <summary>TCP connections accepted.</summary>
    public long TcpAccepted => Volatile.Read(ref TcpAcceptedField);

    /// <summary>TCP connections closed on accept: over a connection limit, or refused by <see cref="RtcEndpointOptions.AcceptRemote"/>.</summary>
    public long TcpRefused => Volatile.Read(ref TcpRefusedField);

    /// <summary>RFC 4571 frames read from TCP connections.</summary>
    public long TcpFramesReceived => Volatile.Read(ref TcpFramesReceivedField);

    /// <summary>TCP connections closed for a frame longer than <see cref="RtcEndpointOptions.MaxTcpFrameLength"/>.</summary>
    public long TcpFramesTooLong => Volatile.Read(ref TcpFramesTooLongField);

    /// <summary>TCP connections closed because their first frame was not a valid ICE check, or none came in time.</summary>
    public long TcpUnverifiedClosed => Volatile.Read(ref TcpUnverifiedClosedField);

    /// <summary>Packets dropped because a TCP connection's send queue was full.</summary>
    public long TcpSendDropped => Volatile.Read(ref TcpSendDroppedField);
}

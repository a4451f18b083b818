using System.Net;
using Org.BouncyCastle.Tls;
using OpenChat.Rtc.Dtls;
using OpenChat.Rtc.Ice;
using OpenChat.Rtc.Stun;

namespace OpenChat.Rtc.Transport;

/// <summary>How the endpoint answers ICE checks and runs DTLS handshakes: the only paths by which an address or a peer becomes known.</summary>
public sealed partial class RtcEndpoint
{
    private void HandleStun(ReadOnlySpan<byte> datagram, SocketAddress address, RtcSession? known)
    {
        if (!StunMessage.TryParse(datagram, out var message))
        {
            Statistics.StunMalformedField++;
            return;
        }
        if (message.MessageType != StunMessageType.BindingRequest
            || !IceBinding.TrySplitUsername(message.Username, out var recipient, out _))
        {
            // ICE-lite never sends checks, so responses are unexpected; indications are keepalives.
            Statistics.StunRejectedField++;
            return;
        }
        var session = known;
        if (session is null && !_byUfrag.TryGetValue(recipient, out session))
        {
            Statistics.StunRejectedField++;
            return;
        }
        if (session.IsClosed || !IceBinding.IsValidRequest(message, datagram, session.LocalIce, session.RemoteIce.Ufrag))
        {
            Statistics.StunRejectedField++;
            return;
        }
        var endPoint = address.ToIPEndPoint();
        SocketAddress key = address;
        if (known is null)
        {
            if (_options.AcceptRemote is not null && !_options.AcceptRemote(endPoint))
            {
                Statistics.StunFilteredField++;
                return;
            }
            lock (session.KnownAddresses)
            {
                if (session.KnownAddresses.Count >= MaxAddressesPerSession)
                {
                    Statistics.StunRejectedField++;
                    return;
                }
                key = address.Clone();
                session.KnownAddresses.Add(key);
            }
            _byAddress[key] = session;
        }
        else
        {
            key = FindKnown(session, address) ?? address.Clone();
        }

        int length = IceBinding.WriteSuccessResponse(_stunResponse, message.TransactionId, endPoint, session.LocalIce);
        Send(_stunResponse.AsSpan(0, length), address);
        Statistics.StunAnsweredField++;

        // A lite agent takes the pair the controlling agent nominates; the first valid check also selects a pair.
        if (session.RemoteAddress is null || message.UseCandidate)
        {
            session.OnIceSucceeded(key, endPoint);
        }
        else
        {
            session.Touch();
        }
    }

    private static SocketAddress? FindKnown(RtcSession session, SocketAddress address)
    {
        lock (session.KnownAddresses)
        {
            foreach (var a in session.KnownAddresses)
            {
                if (a.Equals(address))
                {
                    return a;
                }
            }
        }
        return null;
    }

    private void HandleDtls(ReadOnlySpan<byte> datagram, SocketAddress address, RtcSession session)
    {
        if (session.IsClosed)
        {
            return;
        }
        if (session.HandshakeStarted)
        {
            session.HandleDtls(datagram);
            return;
        }
        DtlsRequest? request = null;
        bool fragmented = IsFragmentedClientHello(datagram);
        if (!fragmented)
        {
            // Cookie exchange first (RFC 6347 4.2.1): nothing is allocated for the handshake until the peer
            // proves it receives at its claimed address.
            Statistics.DtlsCookieExchangesField++;
            var data = datagram.ToArray();
            try
            {
                request = _verifier.VerifyRequest(address.ToClientId(), data, 0, data.Length, new Sender(this, address.Clone()));
            }
            catch (Exception)
            {
                request = null;
            }
            if (request is null)
            {
                return;
            }
        }
        if (Interlocked.Increment(ref _handshakes) > _options.MaxConcurrentHandshakes)
        {
            Interlocked.Decrement(ref _handshakes);
            Statistics.HandshakesRefusedField++;
            return;
        }
        // A ClientHello too big for one datagram (post-quantum key shares) cannot go through the stateless
        // verifier; the address has already passed an ICE check with the session's password, so the handshake
        // starts directly and reassembles the fragments itself.
        session.StartDtlsServer(request, fragmented ? datagram : default);
    }

    /// <summary>True for a DTLS handshake record carrying the first fragment of a ClientHello that does not fit in it.</summary>
    internal static bool IsFragmentedClientHello(ReadOnlySpan<byte> datagram)
    {
        const int RecordHeader = 13;
        if (datagram.Length < RecordHeader + 12 || datagram[0] != 22 || datagram[RecordHeader] != 1)
        {
            return false;
        }
        var hs = datagram[RecordHeader..];
        int length = (hs[1] << 16) | (hs[2] << 8) | hs[3];
        int fragmentOffset = (hs[6] << 16) | (hs[7] << 8) | hs[8];
        int fragmentLength = (hs[9] << 16) | (hs[10] << 8) | hs[11];
        return fragmentLength < length || fragmentOffset != 0;
    }
}

using System.Net;
using Org.BouncyCastle.Tls;
using OpenChat.Rtc.Dtls;
using OpenChat.Rtc.Ice;
using OpenChat.Rtc.Stun;

namespace OpenChat.Rtc.Transport;

/// <summary>How the endpoint answers ICE checks, validates paths and runs DTLS handshakes: the only paths by which an address or a peer becomes known.</summary>
public sealed partial class RtcEndpoint
{
    // Handshakes each client address holds (running or waiting for a slot), and the sessions waiting, oldest first;
    // both under the dictionary's lock.
    private readonly Dictionary<ClientAddress, int> _handshakesByAddress = [];
    private readonly Queue<RtcSession> _waitingHandshakes = new();

    private void HandleStun(ReadOnlySpan<byte> datagram, SocketAddress address, RtcSession? known)
    {
        if (!StunMessage.TryParse(datagram, out var message))
        {
            Statistics.StunMalformedField++;
            Interlocked.Increment(ref RtcMetrics.DroppedMalformed);
            return;
        }
        if (message.MessageType == StunMessageType.BindingSuccessResponse && known is not null)
        {
            // The only responses we expect answer our own path checks.
            if (known.TryCompletePathCheck(message, datagram, address))
            {
                Statistics.PathsValidatedField++;
            }
            else
            {
                Statistics.StunRejectedField++;
            }
            return;
        }
        if (message.MessageType != StunMessageType.BindingRequest
            || !IceBinding.TrySplitUsername(message.Username, out var recipient, out _))
        {
            // Indications are keepalives; anything else is unexpected.
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
                // An address another session already uses stays with it: a member signing checks from a forged
                // source must not take over someone else's address.
                if (!_byAddress.TryAdd(key, session))
                {
                    Statistics.StunRejectedField++;
                    return;
                }
                session.KnownAddresses.Add(key);
            }
        }
        else
        {
            key = FindKnown(session, address) ?? address.Clone();
        }

        int length = IceBinding.WriteSuccessResponse(_stunResponse, message.TransactionId, endPoint, session.LocalIce);
        // Counted before the answer leaves, so whoever receives it already sees it counted.
        Statistics.StunAnsweredField++;
        Send(_stunResponse.AsSpan(0, length), address);

        ulong pairPriority = RtcSession.PairPriority(session.RemotePriority(endPoint, message.Priority ?? 0), LocalCandidatePriority(address));
        if (session.RemoteAddress is null)
        {
            // The first valid check selects the pair. Nothing is sent there but STUN answers until the DTLS handshake,
            // which goes through the cookie exchange, so a forged first address gets no media.
            session.OnIceSucceeded(key, endPoint);
            session.SelectedPairPriority = pairPriority;
        }
        else if (session.IsSelected(address))
        {
            // Consent is refreshed only by the selected address.
            session.Touch();
            if (message.UseCandidate)
            {
                session.SelectedPairPriority = pairPriority;
            }
        }
        else if (message.UseCandidate)
        {
            // A nomination of another address moves the media only if its pair outranks the selected one or the
            // selected path has gone quiet, and only once that address answers our own check.
            if (!session.MayReplaceSelected(pairPriority, (long)_options.PathQuietThreshold.TotalMilliseconds))
            {
                Statistics.NominationsKeptField++;
            }
            else if (session.RequestPathCheck(key, endPoint, pairPriority, _stunResponse, out int checkLength))
            {
                Statistics.PathChecksSentField++;
                Send(_stunResponse.AsSpan(0, checkLength), address);
            }
        }
    }

    /// <summary>
    /// The priority of our candidate a check reached (RFC 8445 5.1.2): the passive TCP one for a TCP path, the UDP one
    /// otherwise. The first address's rank is used for all: it orders UDP and TCP, which is what the pair comparison needs.
    /// </summary>
    private static uint LocalCandidatePriority(SocketAddress address) =>
        TcpPathKey.IsTcp(address) ? TcpCandidatePriority(0) : UdpCandidatePriority(0);

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
        bool selected = session.IsSelected(address);
        if (session.HandshakeStarted)
        {
            if (selected)
            {
                session.HandleDtls(datagram);
            }
            else
            {
                Statistics.DtlsOffPathField++;
            }
            return;
        }
        var hello = datagram;
        if (IsFragmentedClientHello(datagram) || session.HelloAssembler is not null)
        {
            // A ClientHello too big for one datagram (post-quantum key shares) is put back together first, within
            // MaxClientHelloLength, then takes the cookie exchange like any other.
            var assembler = session.HelloAssembler ??= new ClientHelloAssembler(_options.MaxClientHelloLength);
            if (!assembler.TryAdd(datagram, address, out hello, out bool refused))
            {
                if (refused)
                {
                    Statistics.DtlsMalformedField++;
                    Interlocked.Increment(ref RtcMetrics.DroppedMalformed);
                }
                return;
            }
        }

        // Cookie exchange first (RFC 6347 4.2.1): nothing is allocated for the handshake until the peer proves it
        // receives at its claimed address.
        Statistics.DtlsCookieExchangesField++;
        var data = hello.ToArray();
        DtlsRequest? request;
        try
        {
            request = _verifier.VerifyRequest(address.ToClientId(), data, 0, data.Length, new Sender(this, address.Clone()));
        }
        catch (Exception)
        {
            request = null;
        }
        if (request is null || session.WaitingHandshake is not null)
        {
            // A session waiting for a handshake slot starts from its first cookie-bearing ClientHello; a retransmission adds nothing.
            return;
        }
        var endPoint = address.ToIPEndPoint();
        var client = ClientAddress.From(endPoint.Address);
        if (!TryReserveHandshake(client))
        {
            Statistics.HandshakesRefusedField++;
            Interlocked.Increment(ref RtcMetrics.HandshakesRefused);
            return;
        }
        session.HelloAssembler = null;
        session.OnCookieReturned(FindKnown(session, address) ?? address.Clone(), endPoint);
        // The path is chosen before the session can be started from another thread (a handshake ending there).
        if (StartOrWait(session, request, client))
        {
            session.StartDtlsServer(request, client);
        }
        else
        {
            Statistics.HandshakesQueuedField++;
        }
    }

    /// <summary>
    /// Counts a handshake against its client address's cap, if that address is under it and either a slot is free or
    /// fewer than <see cref="RtcEndpointOptions.MaxWaitingHandshakes"/> sessions wait for one.
    /// </summary>
    private bool TryReserveHandshake(ClientAddress client)
    {
        lock (_handshakesByAddress)
        {
            _handshakesByAddress.TryGetValue(client, out int held);
            if (held >= _options.MaxHandshakesPerAddress
                || (_handshakes >= _options.MaxConcurrentHandshakes && _waitingHandshakes.Count >= _options.MaxWaitingHandshakes))
            {
                return false;
            }
            _handshakesByAddress[client] = held + 1;
            return true;
        }
    }

    /// <summary>
    /// Takes a slot under the node cap (true: start now), or puts the session in line with its request: a join storm's
    /// handshakes start as soon as others end instead of when each peer's retransmission timer (a second, then two)
    /// happens to fire.
    /// </summary>
    private bool StartOrWait(RtcSession session, DtlsRequest request, ClientAddress client)
    {
        lock (_handshakesByAddress)
        {
            if (_handshakes < _options.MaxConcurrentHandshakes)
            {
                _handshakes++;
                return true;
            }
            session.WaitingHandshake = new PendingHandshake(request, client);
            _waitingHandshakes.Enqueue(session);
            return false;
        }
    }

    void IRtcSessionHost.OnHandshakeFinished(RtcSession session)
    {
        if (session.HandshakeClient is not { } client)
        {
            return;
        }
        RtcSession? next = null;
        PendingHandshake? waiting = null;
        lock (_handshakesByAddress)
        {
            _handshakes--;
            Release(client);
            // The slot goes to the oldest waiting session still open; closed ones give their address's share back.
            while (_waitingHandshakes.TryDequeue(out var candidate))
            {
                if (candidate.WaitingHandshake is not { } w)
                {
                    continue;
                }
                if (candidate.IsClosed)
                {
                    candidate.WaitingHandshake = null;
                    Release(w.Client);
                    continue;
                }
                _handshakes++;
                next = candidate;
                waiting = w;
                break;
            }
        }
        if (next is not null && waiting is not null)
        {
            // The handshake starts before the session stops counting as waiting, so that a ClientHello read meanwhile
            // is either dropped (waiting) or handed to the handshake (started).
            next.StartDtlsServer(waiting.Request, waiting.Client);
            next.WaitingHandshake = null;
        }
    }

    private void Release(ClientAddress client)
    {
        if (_handshakesByAddress.TryGetValue(client, out int held) && held > 1)
        {
            _handshakesByAddress[client] = held - 1;
        }
        else
        {
            _handshakesByAddress.Remove(client);
        }
    }

    /// <summary>True for a DTLS handshake record carrying a fragment of a ClientHello that does not fit in it.</summary>
    internal static bool IsFragmentedClientHello(ReadOnlySpan<byte> datagram)
    {
        const int RecordHeader = 13;
        if (datagram.Length < RecordHeader + 12 || datagram[0] != 22 || datagram[RecordHeader] != 1)
        {
            return false;
        }
        var hs = datagram[RecordHeader..];
        return ClientHelloAssembler.ReadUInt24(hs[9..]) < ClientHelloAssembler.ReadUInt24(hs[1..]) || ClientHelloAssembler.ReadUInt24(hs[6..]) != 0;
    }
}

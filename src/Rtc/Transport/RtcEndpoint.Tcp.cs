using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using OpenChat.Rtc.Ice;

namespace OpenChat.Rtc.Transport;

/// <summary>
/// ICE over TCP (RFC 6544): a passive host candidate next to the UDP one. Each accepted connection carries RFC 4571
/// frames, and each frame goes through exactly the demultiplexing and checks a UDP datagram goes through, to the
/// same sessions. A connection is kept only if its first frame is a valid ICE check for a session; until one arrives
/// it is closed after <see cref="RtcEndpointOptions.TcpIdleTimeout"/>.
/// </summary>
public sealed partial class RtcEndpoint
{
    private readonly List<Socket> _tcpListeners = [];
    private readonly ConcurrentDictionary<SocketAddress, RtcTcpConnection> _tcpConnections = new();
    private readonly Dictionary<ClientAddress, int> _tcpByClient = [];

    /// <summary>The first bound TCP listener's address, or null when ICE-TCP is off.</summary>
    public IPEndPoint? TcpLocalEndPoint => TcpLocalEndPoints.Count > 0 ? TcpLocalEndPoints[0] : null;

    /// <summary>The bound TCP listeners' addresses (one per address family bound); empty when ICE-TCP is off.</summary>
    public IReadOnlyList<IPEndPoint> TcpLocalEndPoints { get; private set; } = [];

    /// <summary>The address and port of answers' first passive TCP candidate, or null when ICE-TCP is off.</summary>
    public IPEndPoint? TcpAdvertisedEndPoint => TcpAdvertisedEndPoints.Count > 0 ? TcpAdvertisedEndPoints[0] : null;

    /// <summary>The addresses and port of answers' passive TCP candidates, most preferred first; empty when ICE-TCP is off.</summary>
    public IReadOnlyList<IPEndPoint> TcpAdvertisedEndPoints { get; private set; } = [];

    /// <summary>Open TCP connections (bound to a session or still waiting for their first check).</summary>
    public int TcpConnectionCount => _tcpConnections.Count;

    /// <summary>
    /// The priority of the passive candidate on the advertised address at <paramref name="index"/> (RFC 6544 4.2): host
    /// type preference, local preference with the passive direction preference (4 of 7) in its top bits and the
    /// address's rank below them, so every TCP candidate ranks below every UDP one and UDP wins when it works.
    /// </summary>
    internal static uint TcpCandidatePriority(int index) => IceCandidate.ComputePriority(126, (4 << 13) | (8191 - index), 1);

    private void StartTcp(IReadOnlyList<IPAddress> bind)
    {
        if (_options.TcpPort is not { } port)
        {
            return;
        }
        ArgumentOutOfRangeException.ThrowIfLessThan(_options.MaxTcpFrameLength, 1500, nameof(RtcEndpointOptions.MaxTcpFrameLength));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(_options.MaxTcpFrameLength, ushort.MaxValue, nameof(RtcEndpointOptions.MaxTcpFrameLength));
        ArgumentOutOfRangeException.ThrowIfLessThan(_options.TcpSendQueueBytes, 4 * 1024, nameof(RtcEndpointOptions.TcpSendQueueBytes));
        _tcpListeners.AddRange(BindAll(bind, port, family => new Socket(family, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true }));
        try
        {
            foreach (var listener in _tcpListeners)
            {
                listener.Listen(128);
            }
        }
        catch
        {
            StopTcp();
            throw;
        }
        port = ((IPEndPoint)_tcpListeners[0].LocalEndPoint!).Port;
        TcpLocalEndPoints = [.. _tcpListeners.Select(l => (IPEndPoint)l.LocalEndPoint!)];
        int advertisedPort = _options.AdvertisedTcpPort ?? port;
        TcpAdvertisedEndPoints = [.. AdvertisedEndPoints.Select(e => new IPEndPoint(e.Address, advertisedPort))];
        foreach (var listener in _tcpListeners)
        {
            _ = AcceptLoopAsync(listener);
        }
    }

    private static IceCandidate TcpCandidate(IPEndPoint tcp, int index) =>
        new((2 * index + 2).ToString(System.Globalization.CultureInfo.InvariantCulture), 1, "tcp", TcpCandidatePriority(index), tcp.Address, tcp.Port, "host")
        {
            TcpType = "passive",
        };

    private async Task AcceptLoopAsync(Socket listener)
    {
        while (!_disposed)
        {
            Socket socket;
            try
            {
                socket = await listener.AcceptAsync().ConfigureAwait(false);
            }
            catch (ObjectDisposedException)
            {
                return;
            }
            catch (SocketException)
            {
                if (_disposed)
                {
                    return;
                }
                continue;
            }
            try
            {
                Admit(socket);
            }
            catch (Exception)
            {
                socket.Dispose();
                Interlocked.Increment(ref Statistics.ReceiveErrorsField);
            }
        }
    }

    /// <summary>Takes a connection in under the limits, or closes it at once.</summary>
    private void Admit(Socket socket)
    {
        var remote = (IPEndPoint)socket.RemoteEndPoint!;
        if (_options.AcceptRemote is not null && !_options.AcceptRemote(remote))
        {
            Interlocked.Increment(ref Statistics.TcpRefusedField);
            socket.Dispose();
            return;
        }
        // The limits are checked before anything is allocated for the connection: a flood of connections costs no buffers.
        RtcTcpConnection? connection = null;
        var client = ClientAddress.From(remote.Address);
        lock (_tcpByClient)
        {
            _tcpByClient.TryGetValue(client, out int open);
            if (!_disposed && _tcpConnections.Count < _options.MaxTcpConnections && open < _options.MaxTcpConnectionsPerAddress)
            {
                socket.NoDelay = true;
                var admitted = new RtcTcpConnection(this, socket, remote, _options.MaxTcpFrameLength, _options.TcpSendQueueBytes);
                if (_tcpConnections.TryAdd(admitted.Key, admitted))
                {
                    _tcpByClient[client] = open + 1;
                    connection = admitted;
                }
            }
        }
        if (connection is null)
        {
            Interlocked.Increment(ref Statistics.TcpRefusedField);
            socket.Dispose();
            return;
        }
        Interlocked.Increment(ref Statistics.TcpAcceptedField);
        Interlocked.Increment(ref RtcMetrics.TcpConnectionsOpen);
        _ = connection.ReceiveLoopAsync();
    }

    /// <summary>
    /// One frame from a connection: processed exactly as a UDP datagram from the connection's key. The first frame
    /// must be an ICE check that binds the connection to a session; otherwise the connection is closed. Returns false
    /// when the connection was closed.
    /// </summary>
    internal bool OnTcpFrame(RtcTcpConnection connection, Span<byte> frame)
    {
        Interlocked.Increment(ref Statistics.TcpFramesReceivedField);
        Interlocked.Add(ref RtcMetrics.BytesReceived, frame.Length);
        if (!connection.Bound && PacketClassifier.Classify(frame) != PacketKind.Stun)
        {
            Interlocked.Increment(ref Statistics.TcpUnverifiedClosedField);
            connection.Close("first frame is not an ICE check");
            return false;
        }
        ProcessGuarded(frame, connection.Key);
        if (!connection.Bound)
        {
            if (!_byAddress.ContainsKey(connection.Key))
            {
                Interlocked.Increment(ref Statistics.TcpUnverifiedClosedField);
                connection.Close("first frame is not a valid ICE check for a session");
                return false;
            }
            connection.Bound = true;
        }
        return !connection.IsClosed;
    }

    internal void OnTcpFrameTooLong() => Interlocked.Increment(ref Statistics.TcpFramesTooLongField);

    /// <summary>A connection closed: forget it, and end the session whose selected path it was (its media has nowhere to go).</summary>
    internal void OnTcpConnectionClosed(RtcTcpConnection connection, string reason)
    {
        lock (_tcpByClient)
        {
            if (!_tcpConnections.TryRemove(new KeyValuePair<SocketAddress, RtcTcpConnection>(connection.Key, connection)))
            {
                return;
            }
            Interlocked.Decrement(ref RtcMetrics.TcpConnectionsOpen);
            if (_tcpByClient.TryGetValue(connection.Client, out int open))
            {
                if (open > 1)
                {
                    _tcpByClient[connection.Client] = open - 1;
                }
                else
                {
                    _tcpByClient.Remove(connection.Client);
                }
            }
        }
        if (_byAddress.TryRemove(connection.Key, out var session) && session.IsSelected(connection.Key))
        {
            session.Close("TCP connection ended: " + reason);
        }
    }

    /// <summary>Closes connections that have not shown a valid check within the idle timeout (endpoint timer).</summary>
    private void CloseIdleTcpConnections(long now)
    {
        foreach (var connection in _tcpConnections.Values)
        {
            if (!connection.Bound && now - connection.AcceptedTicks > _options.TcpIdleTimeout.TotalMilliseconds)
            {
                Interlocked.Increment(ref Statistics.TcpUnverifiedClosedField);
                connection.Close("no ICE check in time");
            }
        }
    }

    /// <summary>Sends on the TCP connection a key names; drops the packet if its queue is full.</summary>
    private void SendTcp(ReadOnlySpan<byte> packet, SocketAddress key)
    {
        if (!_tcpConnections.TryGetValue(key, out var connection))
        {
            return;
        }
        if (connection.TryEnqueue(packet))
        {
            Interlocked.Add(ref RtcMetrics.BytesSent, packet.Length);
        }
        else
        {
            Interlocked.Increment(ref Statistics.TcpSendDroppedField);
        }
    }

    private void CloseTcpConnectionsOf(RtcSession session)
    {
        lock (session.KnownAddresses)
        {
            foreach (var a in session.KnownAddresses)
            {
                if (TcpPathKey.IsTcp(a) && _tcpConnections.TryGetValue(a, out var connection))
                {
                    connection.Close("session closed");
                }
            }
        }
    }

    private void StopTcp()
    {
        foreach (var listener in _tcpListeners)
        {
            listener.Dispose();
        }
        foreach (var connection in _tcpConnections.Values)
        {
            connection.Close("endpoint disposed");
        }
    }
}

using System.Net;
using System.Net.Sockets;

namespace OpenChat.Rtc.Transport;

/// <summary>
/// One TCP connection to the endpoint's passive candidate (RFC 6544), carrying RFC 4571 frames: a 2-byte big-endian
/// length, then a packet that is exactly what a UDP datagram would have carried.
/// </summary>
/// <remarks>
/// Frames are read by an async loop (no thread per connection) and handed to the endpoint one by one. Outgoing packets
/// are framed into a fixed ring buffer and written by one <see cref="SocketAsyncEventArgs"/> reused for the life of
/// the connection, so <see cref="TryEnqueue"/> never blocks its caller (the mixer's tick) and allocates nothing; when
/// the ring is full the packet is dropped, as a congested UDP path would drop it.
/// </remarks>
internal sealed class RtcTcpConnection
{
    private readonly RtcEndpoint _endpoint;
    private readonly Socket _socket;
    private readonly int _maxFrameLength;
    private readonly object _sendLock = new();
    private readonly byte[] _ring;
    private readonly SocketAsyncEventArgs _sendArgs = new();
    private readonly CancellationTokenSource _stop = new();
    private int _head;
    private int _count;
    private bool _sending;
    private int _closed;

    public RtcTcpConnection(RtcEndpoint endpoint, Socket socket, IPEndPoint remote, int maxFrameLength, int sendQueueBytes)
    {
        _endpoint = endpoint;
        _socket = socket;
        _maxFrameLength = maxFrameLength;
        _ring = GC.AllocateUninitializedArray<byte>(sendQueueBytes, pinned: true);
        _sendArgs.SetBuffer(_ring, 0, 0);
        _sendArgs.Completed += (_, _) =>
        {
            if (AfterSend())
            {
                PumpSend();
            }
        };
        RemoteEndPoint = remote;
        Key = TcpPathKey.Create(remote);
        Client = ClientAddress.From(remote.Address);
    }

    /// <summary>The connection's key in the endpoint's address tables (see <see cref="TcpPathKey"/>).</summary>
    public SocketAddress Key { get; }

    public IPEndPoint RemoteEndPoint { get; }

    public ClientAddress Client { get; }

    public long AcceptedTicks { get; } = Environment.TickCount64;

    /// <summary>Set once a valid ICE check has bound the connection to a session.</summary>
    public bool Bound { get; set; }

    public bool IsClosed => Volatile.Read(ref _closed) != 0;

    /// <summary>Reads frames until the peer closes, a frame is malformed or the endpoint closes the connection.</summary>
    public async Task ReceiveLoopAsync()
    {
        // Room for one largest frame and its header after any partial frame is moved to the front.
        var buffer = GC.AllocateUninitializedArray<byte>(2 * (2 + _maxFrameLength), pinned: true);
        int filled = 0;
        try
        {
            while (!IsClosed)
            {
                int received = await _socket.ReceiveAsync(buffer.AsMemory(filled), SocketFlags.None, _stop.Token).ConfigureAwait(false);
                if (received == 0)
                {
                    Close("closed by the peer");
                    return;
                }
                filled += received;
                int offset = 0;
                while (filled - offset >= 2)
                {
                    int length = (buffer[offset] << 8) | buffer[offset + 1];
                    if (length > _maxFrameLength)
                    {
                        _endpoint.OnTcpFrameTooLong();
                        Close($"frame of {length} bytes (at most {_maxFrameLength})");
                        return;
                    }
                    if (filled - offset - 2 < length)
                    {
                        break;
                    }
                    if (!_endpoint.OnTcpFrame(this, buffer.AsSpan(offset + 2, length)))
                    {
                        return;
                    }
                    offset += 2 + length;
                }
                buffer.AsSpan(offset, filled - offset).CopyTo(buffer);
                filled -= offset;
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException or OperationCanceledException)
        {
            Close("connection failed: " + e.Message);
        }
    }

    /// <summary>Frames <paramref name="packet"/> into the send ring and starts writing it; false if the ring is full or the connection closed.</summary>
    public bool TryEnqueue(ReadOnlySpan<byte> packet)
    {
        int needed = packet.Length + 2;
        if (packet.Length > ushort.MaxValue)
        {
            return false;
        }
        lock (_sendLock)
        {
            if (IsClosed || _count + needed > _ring.Length)
            {
                return false;
            }
            int tail = (_head + _count) % _ring.Length;
            Span<byte> header = [(byte)(packet.Length >> 8), (byte)packet.Length];
            tail = Write(header, tail);
            Write(packet, tail);
            _count += needed;
            if (_sending)
            {
                return true;
            }
            _sending = true;
        }
        PumpSend();
        return true;
    }

    private int Write(ReadOnlySpan<byte> data, int at)
    {
        int first = Math.Min(data.Length, _ring.Length - at);
        data[..first].CopyTo(_ring.AsSpan(at));
        data[first..].CopyTo(_ring);
        return (at + data.Length) % _ring.Length;
    }

    /// <summary>Writes the ring's contiguous bytes until it is empty or a write is pending (then the completion continues).</summary>
    private void PumpSend()
    {
        while (true)
        {
            lock (_sendLock)
            {
                if (_count == 0 || IsClosed)
                {
                    _sending = false;
                    return;
                }
                _sendArgs.SetBuffer(_head, Math.Min(_count, _ring.Length - _head));
            }
            bool pending;
            try
            {
                pending = _socket.SendAsync(_sendArgs);
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException or InvalidOperationException)
            {
                Close("send failed: " + e.Message);
                return;
            }
            if (pending || !AfterSend())
            {
                return;
            }
        }
    }

    private bool AfterSend()
    {
        if (_sendArgs.SocketError != SocketError.Success || _sendArgs.BytesTransferred == 0)
        {
            Close("send failed: " + _sendArgs.SocketError);
            return false;
        }
        lock (_sendLock)
        {
            _head = (_head + _sendArgs.BytesTransferred) % _ring.Length;
            _count -= _sendArgs.BytesTransferred;
        }
        return true;
    }

    /// <summary>Closes the socket once and tells the endpoint, which forgets the connection.</summary>
    public void Close(string reason)
    {
        if (Interlocked.Exchange(ref _closed, 1) != 0)
        {
            return;
        }
        _stop.Cancel();
        try
        {
            _socket.Dispose();
        }
        catch (Exception)
        {
        }
        _endpoint.OnTcpConnectionClosed(this, reason);
    }
}

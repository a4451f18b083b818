using System.Collections.Concurrent;
using Org.BouncyCastle.Tls;

namespace OpenChat.Rtc.Dtls;

/// <summary>
/// The datagram transport BouncyCastle's blocking DTLS runs on: the receive loop pushes datagrams in,
/// <see cref="Receive(Span{byte}, int)"/> waits for them with a timeout, and sends go straight to the shared socket.
/// </summary>
/// <remarks>The queue is bounded; when full, new datagrams are dropped (DTLS retransmits).</remarks>
internal sealed class QueuedDatagramTransport : DatagramTransport
{
    private readonly ConcurrentQueue<byte[]> _queue = new();
    private readonly SemaphoreSlim _available = new(0);
    private readonly Action<ReadOnlySpan<byte>> _send;
    private readonly int _capacity;
    private volatile bool _closed;
    private volatile bool _nonBlocking;

    public QueuedDatagramTransport(Action<ReadOnlySpan<byte>> send, int capacity = 32)
    {
        _send = send;
        _capacity = capacity;
    }

    /// <summary>Largest datagram we accept.</summary>
    public const int ReceiveLimit = 1500;

    /// <summary>Keeps DTLS records under typical path MTUs (browsers use 1200).</summary>
    public const int SendLimit = 1150;

    /// <summary>Queued datagrams not yet read.</summary>
    public int Pending => _queue.Count;

    /// <summary>After the handshake, reads must never wait: they run on a shared thread.</summary>
    public void SwitchToNonBlocking() => _nonBlocking = true;

    /// <summary>Queues a datagram; false if full or closed.</summary>
    public bool Enqueue(ReadOnlySpan<byte> datagram)
    {
        if (_closed || _queue.Count >= _capacity || datagram.Length > ReceiveLimit)
        {
            return false;
        }
        _queue.Enqueue(datagram.ToArray());
        _available.Release();
        return true;
    }

    public int GetReceiveLimit() => ReceiveLimit;

    public int GetSendLimit() => SendLimit;

    public int Receive(byte[] buf, int off, int len, int waitMillis) => Receive(buf.AsSpan(off, len), waitMillis);

    public int Receive(Span<byte> buffer, int waitMillis)
    {
        if (_closed)
        {
            throw new IOException("DTLS transport closed.");
        }
        if (!_available.Wait(_nonBlocking ? 0 : Math.Max(waitMillis, 1)))
        {
            return -1;
        }
        if (_closed || !_queue.TryDequeue(out var datagram))
        {
            return -1;
        }
        int n = Math.Min(datagram.Length, buffer.Length);
        datagram.AsSpan(0, n).CopyTo(buffer);
        return n;
    }

    public void Send(byte[] buf, int off, int len) => Send(buf.AsSpan(off, len));

    public void Send(ReadOnlySpan<byte> buffer)
    {
        if (!_closed)
        {
            _send(buffer);
        }
    }

    public void Close()
    {
        if (_closed)
        {
            return;
        }
        _closed = true;
        _available.Release();
    }
}

using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace OpenChat.MediaFlood;

/// <summary>
/// Sends datagrams at the media port at a fixed rate from many source ports: random bytes, and captured STUN, DTLS,
/// SRTP and SRTCP datagrams replayed or mutated (truncated, extended, first byte or a length byte changed, bits
/// flipped). Half come from the captured session's own address (the endpoint knows it), half from strangers.
/// Nothing is allocated per datagram.
/// </summary>
public sealed class Flooder(IReadOnlyList<byte[]> seeds, Socket known, IReadOnlyList<Socket> strangers, IPEndPoint target, int seed)
{
    private readonly byte[] _buffer = new byte[2048];
    private readonly Random _rng = new(seed);

    /// <summary>Sends <paramref name="count"/> datagrams at <paramref name="perSecond"/>; returns the seconds it took.</summary>
    public double Run(int count, int perSecond)
    {
        var to = target.Serialize();
        long start = Stopwatch.GetTimestamp();
        for (int i = 0; i < count; i++)
        {
            long due = start + (long)i * Stopwatch.Frequency / perSecond;
            long ahead = due - Stopwatch.GetTimestamp();
            if (ahead > Stopwatch.Frequency / 500)
            {
                Thread.Sleep((int)(ahead * 1000 / Stopwatch.Frequency));
            }
            int n = Next();
            var socket = i % 2 == 0 ? known : strangers[_rng.Next(strangers.Count)];
            try
            {
                socket.SendTo(_buffer.AsSpan(0, n), SocketFlags.None, to);
            }
            catch (SocketException)
            {
                // The kernel may refuse a send when its buffers are full; the flood goes on.
            }
        }
        return Stopwatch.GetElapsedTime(start).TotalSeconds;
    }

    private int Next()
    {
        var d = _buffer.AsSpan();
        int kind = _rng.Next(10);
        if (kind == 0)
        {
            int length = _rng.Next(0, 1400);
            _rng.NextBytes(d[..length]);
            return length;
        }
        var s = seeds[_rng.Next(seeds.Count)];
        int n = Math.Min(s.Length, 1400);
        s.AsSpan(0, n).CopyTo(d);
        switch (kind)
        {
            case 1:
                return n; // replayed as captured
            case 2:
                return _rng.Next(0, n + 1); // truncated
            case 3:
                int extra = _rng.Next(1, 600);
                _rng.NextBytes(d.Slice(n, extra));
                return n + extra;
            case 4:
                if (n > 0)
                {
                    d[0] = (byte)_rng.Next(256);
                }
                return n;
            case 5:
                if (n > 4)
                {
                    d[_rng.Next(1, Math.Min(n, 26))] = _rng.Next(2) == 0 ? (byte)0xFF : (byte)0x00;
                }
                return n;
            default:
                int flips = _rng.Next(1, 9);
                for (int i = 0; i < flips && n > 0; i++)
                {
                    d[_rng.Next(n)] ^= (byte)(1 << _rng.Next(8));
                }
                return n;
        }
    }
}

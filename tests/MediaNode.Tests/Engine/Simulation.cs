using System.Diagnostics;
using OpenChat.MediaNode.Engine;

namespace OpenChat.MediaNode.Tests.Engine;

/// <summary>
/// Drives an engine in simulated time: packets are scheduled to arrive after a chosen network delay and are
/// handed to the room just before the tick that follows their arrival. No wall clock is involved.
/// </summary>
internal sealed class Simulation : IDisposable
{
    private const double StartMs = 1_000_000;

    private readonly PriorityQueue<InFlight, (long Arrival, long Order)> _inFlight = new();
    private long _order;

    public Simulation(EngineOptions? options = null)
    {
        Engine = new MixerEngine(options ?? new EngineOptions { RandomSeed = 7 });
        Room = Engine.CreateRoom(new RoomId("test"));
    }

    public MixerEngine Engine { get; }

    public MixerRoom Room { get; }

    /// <summary>Ticks run so far.</summary>
    public int TickCount { get; private set; }

    public long NowTicks => Ticks(StartMs + TickCount * (double)AudioFormat.FrameMilliseconds);

    public static long Ticks(double ms) => (long)Math.Round(ms * Stopwatch.Frequency / 1000.0);

    public CapturingSink Join(long id)
    {
        var sink = new CapturingSink();
        Room.AddMember(new MemberId(id), sink);
        return sink;
    }

    /// <summary>Sends a packet now; it arrives <paramref name="delayMs"/> later.</summary>
    public void Send(long member, TestPacket packet, bool withLevel, double delayMs = 0)
    {
        long arrival = NowTicks + Ticks(delayMs);
        _inFlight.Enqueue(new InFlight(new MemberId(member), packet, withLevel, arrival), (arrival, _order++));
    }

    /// <summary>Delivers what has arrived by now, then runs one tick.</summary>
    public void Step()
    {
        long now = NowTicks;
        while (_inFlight.TryPeek(out var p, out var key) && key.Arrival <= now)
        {
            _inFlight.Dequeue();
            Room.OnPacket(p.Member, p.Packet.Sequence, p.Packet.Timestamp, p.Packet.Payload, p.WithLevel ? p.Packet.Level : null, p.Arrival);
        }
        Engine.Tick(now);
        TickCount++;
    }

    public void Dispose() => Engine.Dispose();

    private sealed record InFlight(MemberId Member, TestPacket Packet, bool WithLevel, long Arrival);
}

using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;

namespace OpenChat.MediaNode.Engine;

/// <summary>
/// A node's mixing engine: its rooms, their counters, and the tick that mixes them all. The real-time
/// <see cref="MixerClock"/> calls <see cref="Tick(long, long)"/> every 20 ms; tests call it directly.
/// </summary>
/// <remarks>
/// Rooms are held in a copy-on-write array so a tick never locks the room list, and no lock spans two
/// rooms. With <see cref="EngineOptions.Workers"/> above one, helper threads take rooms from a shared
/// index each tick, so a large room does not hold up the small ones behind it.
/// </remarks>
public sealed class MixerEngine : IDisposable
{
    private readonly Lock _roomsGate = new();
    private readonly Dictionary<RoomId, MixerRoom> _byId = [];
    private readonly Random _seeds;
    private readonly long _lateThresholdTicks;
    private readonly Thread[] _helpers;
    private readonly SemaphoreSlim _helperStart = new(0);
    private readonly CountdownEvent _helpersDone = new(1);
    private readonly RoomTickStats[] _helperStats;
    private MixerRoom[] _rooms = [];
    private MixerRoom[] _tickRooms = [];
    private long _tickNow;
    private int _nextRoom;
    private volatile bool _disposed;

    public MixerEngine(EngineOptions? options = null)
    {
        Options = options ?? new EngineOptions();
        Options.Validate();
        _seeds = Options.RandomSeed is { } seed ? new Random(seed) : new Random();
        _lateThresholdTicks = (long)(Options.LateTickThreshold.TotalSeconds * Stopwatch.Frequency);
        _helpers = new Thread[Options.Workers - 1];
        _helperStats = new RoomTickStats[_helpers.Length];
        for (int i = 0; i < _helpers.Length; i++)
        {
            int index = i;
            _helpers[i] = new Thread(() => HelperLoop(index))
            {
                IsBackground = true,
                Name = $"mixer-worker-{i + 1}",
                Priority = ThreadPriority.AboveNormal,
            };
            _helpers[i].Start();
        }
        MediaMetrics.Register(this);
    }

    public EngineOptions Options { get; }

    public EngineCounters Counters { get; } = new();

    public int RoomCount => Volatile.Read(ref _rooms).Length;

    /// <summary>Members of every room (read without locking; may lag a join or leave in progress).</summary>
    public int MemberCount
    {
        get
        {
            int members = 0;
            foreach (var room in Volatile.Read(ref _rooms)) members += room.MemberCount;
            return members;
        }
    }


    /// <summary>Which Opus implementation Concentus picked on this machine (encoder, decoder).</summary>
    public static (string Encoder, string Decoder) CodecImplementation() =>
        (new OpusFrameEncoder(new EncoderSettings()).Implementation, new OpusFrameDecoder().Implementation);

    public MixerRoom CreateRoom(RoomId id, ISpeakingListener? speakingListener = null)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        lock (_roomsGate)
        {
            if (_byId.ContainsKey(id)) throw new InvalidOperationException($"room {id} exists");
            var room = new MixerRoom(id, Options, Counters, _seeds.Next(), speakingListener);
            _byId[id] = room;
            Volatile.Write(ref _rooms, [.. _rooms, room]);
            return room;
        }
    }

    public bool TryGetRoom(RoomId id, [NotNullWhen(true)] out MixerRoom? room)
    {
        lock (_roomsGate) return _byId.TryGetValue(id, out room);
    }

    public bool RemoveRoom(RoomId id)
    {
        lock (_roomsGate)
        {
            if (!_byId.Remove(id, out var room)) return false;
            Volatile.Write(ref _rooms, Array.FindAll(_rooms, r => r != room));
            return true;
        }
    }

    /// <summary>Runs one tick of every room now (tests, or a caller with its own clock).</summary>
    public void Tick(long nowTicks) => Tick(nowTicks, nowTicks);

    /// <summary>
    /// Runs one tick of every room. <paramref name="scheduledTicks"/> is when the tick was due; the
    /// difference counts as lateness. Not to be called concurrently with itself.
    /// </summary>
    public void Tick(long nowTicks, long scheduledTicks)
    {
        long started = Stopwatch.GetTimestamp();
        var rooms = Volatile.Read(ref _rooms);
        RoomTickStats total;
        if (_helpers.Length == 0 || rooms.Length < 2)
        {
            total = default;
            foreach (var room in rooms) total += MixRoom(room, nowTicks);
        }
        else
        {
            _tickRooms = rooms;
            _tickNow = nowTicks;
            Volatile.Write(ref _nextRoom, 0);
            _helpersDone.Reset(_helpers.Length);
            _helperStart.Release(_helpers.Length);
            total = MixShare();
            _helpersDone.Wait();
            foreach (var stats in _helperStats) total += stats;
        }

        long lateness = nowTicks - scheduledTicks;
        Counters.CountTick(total, Stopwatch.GetTimestamp() - started, lateness, lateness > _lateThresholdTicks);
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        MediaMetrics.Unregister(this);
        if (_helpers.Length > 0) _helperStart.Release(_helpers.Length);
        foreach (var helper in _helpers) helper.Join();
        _helperStart.Dispose();
        _helpersDone.Dispose();
    }

    private void HelperLoop(int index)
    {
        while (true)
        {
            _helperStart.Wait();
            if (_disposed) return;
            _helperStats[index] = MixShare();
            _helpersDone.Signal();
        }
    }

    private RoomTickStats MixShare()
    {
        var rooms = _tickRooms;
        long now = _tickNow;
        RoomTickStats total = default;
        int i;
        while ((i = Interlocked.Increment(ref _nextRoom) - 1) < rooms.Length) total += MixRoom(rooms[i], now);
        return total;
    }

    private RoomTickStats MixRoom(MixerRoom room, long nowTicks)
    {
        try
        {
            return room.MixOnce(nowTicks);
        }
        catch (Exception)
        {
            // One broken room must not silence the node; the counter makes it visible.
            Counters.CountRoomError();
            return default;
        }
    }
}

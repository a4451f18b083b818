using System.Diagnostics;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using OpenChat.MediaNode.Engine;

namespace OpenChat.MediaNode;

/// <summary>
/// The node's one mixing engine and the one clock that drives all its rooms, started and stopped with the host.
/// </summary>
public sealed class MediaEngineService : IHostedService, IDisposable
{
    private readonly MixerClock _clock;
    private readonly Lock _sampleLock = new();
    private long _lastSampleAt = Stopwatch.GetTimestamp();
    private long _lastEncodes;

    // Each member's packet counts at the previous sample, to count only what arrived since.
    private Dictionary<RoomMember, (long Expected, long Received)> _lastInbound = new();
    private Dictionary<RoomMember, (long Expected, long Received)> _nextInbound = new();

    public MediaEngineService(IOptions<MediaNodeOptions> options)
    {
        // Concentus loads the system libopus by the unversioned name libopus.so (Debian: libopus-dev).
        if (options.Value.Codec == OpusCodecChoice.Managed) Concentus.OpusCodecFactory.AttemptToUseNativeLibrary = false;
        Engine = new MixerEngine(options.Value.ToEngineOptions());
        _clock = new MixerClock(Engine);
    }

    public MixerEngine Engine { get; }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _clock.Start();
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        _clock.Stop();
        return Task.CompletedTask;
    }

    /// <summary>
    /// The mixing load since the previous sample: encodes per second, share of one core spent mixing, tick p99,
    /// and the share of the media packets members sent in that time (by their RTP sequence numbers) that never
    /// arrived. A member who left since the previous sample is not counted for its last interval.
    /// </summary>
    public (double EncodesPerSecond, double MixCpuPercent, double TickP99Ms, long LateTicks, double InboundLossPercent) Sample()
    {
        lock (_sampleLock)
        {
            var now = Stopwatch.GetTimestamp();
            var seconds = Math.Max(1e-3, Stopwatch.GetElapsedTime(_lastSampleAt, now).TotalSeconds);
            var counters = Engine.Counters;
            var encodes = counters.Encodes;
            var ticks = counters.TickDuration;
            var busy = ticks.Mean.TotalSeconds * ticks.Count;
            var result = ((encodes - _lastEncodes) / seconds, 100 * busy / seconds, ticks.Percentile(0.99).TotalMilliseconds, counters.LateTicks,
                InboundLossPercent());
            _lastEncodes = encodes;
            _lastSampleAt = now;
            counters.TickDuration.Reset();
            return result;
        }
    }

    private double InboundLossPercent()
    {
        long expected = 0, received = 0;
        _nextInbound.Clear();
        foreach (var room in Engine.Rooms)
        {
            foreach (var member in room.Members())
            {
                var now = (member.PacketsExpected, member.PacketsReceived);
                var before = _lastInbound.GetValueOrDefault(member);
                expected += now.PacketsExpected - before.Expected;
                received += now.PacketsReceived - before.Received;
                _nextInbound[member] = now;
            }
        }
        (_lastInbound, _nextInbound) = (_nextInbound, _lastInbound);
        return expected > 0 ? 100.0 * Math.Clamp(expected - received, 0, expected) / expected : 0;
    }

    public void Dispose()
    {
        _clock.Dispose();
        Engine.Dispose();
    }
}

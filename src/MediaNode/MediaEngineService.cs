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
    private long _lastInboundExpected;
    private long _lastInboundReceived;

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
    /// arrived.
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
                InboundLossPercent(counters));
            _lastEncodes = encodes;
            _lastSampleAt = now;
            counters.TickDuration.Reset();
            return result;
        }
    }

    private double InboundLossPercent(EngineCounters counters)
    {
        long expected = counters.InboundExpected, received = counters.InboundReceived;
        long sent = expected - _lastInboundExpected, arrived = received - _lastInboundReceived;
        (_lastInboundExpected, _lastInboundReceived) = (expected, received);
        return sent > 0 ? 100.0 * Math.Clamp(sent - arrived, 0, sent) / sent : 0;
    }

    public void Dispose()
    {
        _clock.Dispose();
        Engine.Dispose();
    }
}

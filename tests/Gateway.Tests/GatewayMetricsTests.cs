using System.Diagnostics.Metrics;
using Microsoft.AspNetCore.SignalR;
using OpenChat.Channels;
using Xunit;

namespace OpenChat.Gateway.Tests;

/// <summary>Only tests of this collection run while it runs, so the process-wide meters count this test's calls alone.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class MetricsCollection
{
    public const string Name = "process-wide metrics";
}

/// <summary>
/// The gateway's and the channels' meters, read with a <see cref="MeterListener"/> (as OpenTelemetry reads them) while
/// a real client posts through the all-in-one server.
/// </summary>
[Collection(MetricsCollection.Name)]
public sealed class GatewayMetricsTests
{
    [Fact]
    public void The_method_label_is_one_of_the_hubs_methods_or_unknown()
    {
        Assert.Equal("PostMessage", GatewayMetrics.MethodLabel("PostMessage"));
        Assert.Equal("JoinVoice", GatewayMetrics.MethodLabel("JoinVoice"));
        Assert.Equal("unknown", GatewayMetrics.MethodLabel("DropAllTables"));
        Assert.Equal("unknown", GatewayMetrics.MethodLabel("OnConnectedAsync"));
    }

    [Fact]
    public async Task Posts_are_counted_by_method_and_outcome_and_stored_messages_with_their_write_time()
    {
        var calls = new List<(string Method, string Outcome)>();
        var durations = new List<string>();
        var writes = 0;
        var observed = new Dictionary<string, long>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name is GatewayMetrics.MeterName or ChannelMetrics.MeterName) l.EnableMeasurementEvents(instrument);
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            lock (calls)
            {
                if (instrument.Name == "openchat.gateway.hub.calls")
                    calls.Add(((string)Tag(tags, "method")!, (string)Tag(tags, "outcome")!));
                else observed[instrument.Name + Suffix(tags)] = value;
            }
        });
        listener.SetMeasurementEventCallback<double>((instrument, _, tags, _) =>
        {
            lock (calls)
            {
                if (instrument.Name == "openchat.gateway.hub.call.duration") durations.Add((string)Tag(tags, "method")!);
                if (instrument.Name == "openchat.channels.journal.write.duration") writes++;
            }
        });
        listener.Start();
        long Observed(string name)
        {
            listener.RecordObservableInstruments();
            lock (calls) return observed.GetValueOrDefault(name);
        }

        await using var server = await InProcessServer.StartAsync();
        var storedBefore = Observed("openchat.channels.messages.stored");
        var sessionsBefore = Observed("openchat.gateway.sessions.created");
        var connectionsBefore = Observed("openchat.gateway.connections");
        await using (var alice = await Clients.ConnectAsync(server.BaseUrl, "Alice"))
        {
            // The hub's connect handler finishes after the client's handshake has been answered.
            await OpenChat.TestSupport.Probe.UntilAsync(() => Task.FromResult(Observed("openchat.gateway.connections") == connectionsBefore + 1),
                TimeSpan.FromSeconds(10), "the connection to be counted open");
            await alice.OpenChannelAsync("general");
            for (var i = 0; i < 5; i++) await alice.PostAsync("general", $"m{i}");
            var refused = await Assert.ThrowsAsync<HubException>(() => alice.PostAsync("general", "one too many"));
            Assert.Contains("rate_limited", refused.Message);
        }

        lock (calls)
        {
            Assert.Equal(5, calls.Count(c => c == ("PostMessage", GatewayMetrics.Ok)));
            Assert.Equal(1, calls.Count(c => c == ("PostMessage", GatewayMetrics.RateLimited)));
            Assert.Equal(1, calls.Count(c => c == ("OpenChannel", GatewayMetrics.Ok)));
            Assert.Equal(6, durations.Count(m => m == "PostMessage"));
            Assert.Equal(5, writes);
        }
        Assert.Equal(storedBefore + 5, Observed("openchat.channels.messages.stored"));
        Assert.Equal(sessionsBefore + 1, Observed("openchat.gateway.sessions.created"));
        await OpenChat.TestSupport.Probe.UntilAsync(() => Task.FromResult(Observed("openchat.gateway.connections") == connectionsBefore),
            TimeSpan.FromSeconds(10), "the connection to be counted closed");
    }

    private static object? Tag(ReadOnlySpan<KeyValuePair<string, object?>> tags, string key)
    {
        foreach (var tag in tags) if (tag.Key == key) return tag.Value;
        return null;
    }

    private static string Suffix(ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var suffix = "";
        foreach (var tag in tags) suffix += $"{{{tag.Key}={tag.Value}}}";
        return suffix;
    }
}

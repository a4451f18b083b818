using System.Net.WebSockets;
using System.Security.Cryptography;
using System.Text.Json;
using OpenChat.SimulatedClients;
using OpenChat.SimulatedClients.Network;
using OpenChat.TestSupport;
using Xunit;
using Xunit.Abstractions;

namespace OpenChat.Observability.Tests;

/// <summary>
/// Traces and logs of a two-process cluster (channels and gateway; media) exporting to an OTLP receiver the test
/// runs, with JSON console logs at Information for ASP.NET Core too, as an operator chasing a problem would set them.
/// </summary>
[Collection(MonitoringCollection.Name)]
public sealed class TracingAndLogTests(ITestOutputHelper output) : IAsyncLifetime
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);
    private readonly OtlpReceiver _otlp = new();
    private readonly List<ServerProcess> _processes = [];
    private ServerProcess _seed = null!;
    private ServerProcess _media = null!;

    public async Task InitializeAsync()
    {
        var seedPort = Probe.FreeTcpPort();
        var signingKey = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
        var telemetry = new Dictionary<string, string>
        {
            ["OpenChat__Telemetry__OtlpEndpoint"] = _otlp.Url,
            ["OpenChat__Telemetry__OtlpProtocol"] = "http",
            ["OpenChat__Telemetry__LogFormat"] = "json",
            ["Logging__LogLevel__Default"] = "Information",
            ["Logging__LogLevel__Microsoft.AspNetCore"] = "Information",
            // Spans leave the node within a fifth of a second instead of the default five.
            ["OTEL_BSP_SCHEDULE_DELAY"] = "200",
        };
        _seed = MonitoredCluster.StartNode("traced-seed", ["channels", "gateway"], seedPort, seedPort, signingKey, telemetry);
        _processes.Add(_seed);
        await _seed.WaitReadyAsync(TimeSpan.FromSeconds(90));
        _media = MonitoredCluster.StartNode("traced-media", ["media"], Probe.FreeTcpPort(), seedPort, signingKey, telemetry);
        _processes.Add(_media);
        await _media.WaitReadyAsync(TimeSpan.FromSeconds(90));
    }

    public async Task DisposeAsync()
    {
        foreach (var process in _processes)
        {
            output.WriteLine($"--- {process.Name} ---\n{string.Join('\n', process.Output.Split('\n').TakeLast(30))}");
            await process.DisposeAsync();
        }
        await _otlp.DisposeAsync();
    }

    [Fact]
    public async Task A_voice_join_is_one_trace_across_gateway_session_channel_placement_and_mixer()
    {
        var channel = (await AdminApi.CreateChannelAsync(_seed.BaseUrl, MonitoredCluster.AdminKey, "Traced", "voice")).Id;
        await using var member = new SimulatedMember(new SimulatedMemberOptions
        {
            Gateways = [_seed.BaseUrl],
            DisplayName = "traced",
            ChannelId = channel,
            SourceAddress = SourceAddress.Next(),
        });
        await member.StartAsync();

        string[] path = ["hub JoinVoice", "session.join_voice", "channel.join_voice", "placement.place_mixer", "mixer.create", "mixer.connect_member"];
        OtlpReceiver.Span[] trace = [];
        await Probe.UntilAsync(() =>
        {
            var join = _otlp.Spans.FirstOrDefault(s => s.Name == "hub JoinVoice");
            if (join is null) return Task.FromResult(false);
            trace = _otlp.Spans.Where(s => s.TraceId == join.TraceId).ToArray();
            return Task.FromResult(path.All(name => trace.Any(s => s.Name == name)));
        }, Patience, "the join's spans from every node");
        foreach (var span in trace) output.WriteLine($"{span.Name} ({span.Scope} on {span.ServiceInstance}) {span.SpanId} <- {span.ParentSpanId}");

        OtlpReceiver.Span Named(string name) => trace.Single(s => s.Name == name);
        void ChildOf(string child, string parent) => Assert.Equal(Named(parent).SpanId, Named(child).ParentSpanId);
        Assert.Equal("", Named("hub JoinVoice").ParentSpanId);
        ChildOf("session.join_voice", "hub JoinVoice");
        ChildOf("channel.join_voice", "session.join_voice");
        ChildOf("placement.place_mixer", "channel.join_voice");
        ChildOf("mixer.create", "placement.place_mixer");
        ChildOf("mixer.connect_member", "channel.join_voice");
        Assert.Equal("OpenChat.Gateway", Named("hub JoinVoice").Scope);
        Assert.Equal("OpenChat.Channels", Named("placement.place_mixer").Scope);
        Assert.Equal("OpenChat.Media", Named("mixer.connect_member").Scope);
        // The mixer's spans come from the media node's process, the others from the seed's.
        Assert.NotEqual(Named("hub JoinVoice").ServiceInstance, Named("mixer.connect_member").ServiceInstance);
        Assert.Equal(Named("hub JoinVoice").ServiceInstance, Named("placement.place_mixer").ServiceInstance);
    }

    [Fact]
    public async Task Json_logs_hold_neither_tokens_nor_message_text()
    {
        var text = "secret-text-" + Guid.NewGuid().ToString("N");
        string token;
        await using (var client = await ChatClient.ConnectAsync(_seed.BaseUrl, "logged", source: SourceAddress.Next()))
        {
            token = client.Session.Token;
            await client.OpenChannelAsync("general");
            await client.PostAsync("general", text);
        }
        // A browser cannot set headers on a WebSocket, so the web client's hub connection carries the token in its URL.
        using (var socket = new ClientWebSocket())
        {
            await socket.ConnectAsync(new Uri($"{_seed.BaseUrl.Replace("http://", "ws://")}/hub?access_token={Uri.EscapeDataString(token)}"), CancellationToken.None);
            await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "", CancellationToken.None);
        }
        // A request the server logs for certain (an admin call without the key), so that the log looked at below
        // includes everything logged while this client connected and posted.
        using (var http = new HttpClient())
            await http.GetAsync($"{_seed.BaseUrl}/api/admin/media");
        await Probe.UntilAsync(() => Task.FromResult(_seed.Output.Contains("/api/admin/media", StringComparison.Ordinal)), Patience,
            "the refused admin request to be logged");

        var lines = _seed.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(lines.Length > 20, $"{lines.Length} log lines");
        foreach (var line in lines)
        {
            using var json = JsonDocument.Parse(line);
            Assert.True(json.RootElement.TryGetProperty("Category", out _), line);
        }
        Assert.DoesNotContain(lines, l => l.Contains(text, StringComparison.Ordinal));
        Assert.DoesNotContain(lines, l => l.Contains(token, StringComparison.Ordinal));
        Assert.DoesNotContain(lines, l => l.Contains("access_token", StringComparison.Ordinal));
    }
}

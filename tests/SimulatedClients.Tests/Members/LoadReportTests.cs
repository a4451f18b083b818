using System.Net.Http.Headers;
using System.Net.Http.Json;
using OpenChat.TestSupport;
using Xunit;
using Xunit.Abstractions;

namespace OpenChat.SimulatedClients.Tests.Members;

/// <summary>
/// What a media node reports about its members' audio, seen through the admin API. A server of its own: the
/// figures are the whole node's, so no other test's members may be on it.
/// </summary>
public sealed class LoadReportTests(ServerFixture fixture, ITestOutputHelper output) : IClassFixture<ServerFixture>
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    private sealed record MediaNodeDto(string Node, int Members, DateTimeOffset ReportedAt, double InboundLossPercent);

    [Fact]
    public async Task Packets_lost_on_members_uplinks_show_in_the_media_node_s_load_report()
    {
        // Both lose a fifth of their packets on the way (sequence numbers used, packets never sent).
        await using var gina = fixture.Member("Gina", VoiceSignal.Tone(1000), uplinkLoss: 0.2);
        await using var hal = fixture.Member("Hal", VoiceSignal.Tone(1500), uplinkLoss: 0.2);
        await Task.WhenAll(gina.StartAsync(), hal.StartAsync());
        await Task.WhenAll(gina.WaitUntilHearingAsync([1500], Patience), hal.WaitUntilHearingAsync([1000], Patience));

        using var http = new HttpClient();
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", fixture.AdminKey);
        var reports = new SortedDictionary<DateTimeOffset, double>();
        MediaNodeDto[]? last = null;
        try
        {
            await Probe.UntilAsync(async () =>
            {
                last = (await http.GetFromJsonAsync<MediaNodeDto[]>(fixture.BaseUrl + "/api/admin/media"))!;
                var node = Assert.Single(last);
                if (node.Members == 2) reports[node.ReportedAt] = node.InboundLossPercent;
                return reports.Count >= 5;
            }, Patience, "five load reports with both members");
        }
        catch (TimeoutException e)
        {
            throw new TimeoutException($"{e.Message} Last answer: [{string.Join(", ", last ?? [])}]; {reports.Count} reports; " +
                $"media reconnects: Gina {gina.Stats.Reconnects.Count}, Hal {hal.Stats.Reconnects.Count}.", e.InnerException);
        }

        // The first report may cover the joins; the others each cover about a second of both members' audio.
        var measured = reports.Values.Skip(1).ToArray();
        output.WriteLine($"inbound loss per report: {string.Join(", ", measured.Select(l => $"{l:0.0} %"))}");
        Assert.InRange(measured.Average(), 12, 28);
    }
}

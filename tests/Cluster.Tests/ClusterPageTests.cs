using System.Diagnostics;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Playwright;
using OpenChat.TestSupport;
using Xunit;
using Xunit.Abstractions;

namespace OpenChat.Cluster.Tests;

/// <summary>
/// The panel's Cluster page in Debian's Chromium against a cluster of real processes (a seed with the channels and a
/// gateway, two media nodes): it lists every node with its roles, status and reachability, the media nodes' load and
/// the voice room with the node its mixer runs on, and shows a media node killed with SIGKILL as unreachable within 5 s.
/// </summary>
[Collection(ProcessCollection.Name)]
public sealed class ClusterPageTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const string Password = "runs the whole cluster";
    private VoiceCluster _cluster = null!;
    private IPlaywright _playwright = null!;
    private WebClientDriver _driver = null!;

    public async Task InitializeAsync()
    {
        _cluster = new VoiceCluster(output);
        _playwright = await Playwright.CreateAsync();
    }

    public async Task DisposeAsync()
    {
        if (_driver is not null) await _driver.CloseBrowsersAsync();
        _playwright.Dispose();
        await _cluster.DisposeAsync();
    }

    [Fact]
    public async Task The_cluster_page_lists_every_node_and_voice_room_and_shows_a_killed_media_node_unreachable_within_5_s()
    {
        var seed = await _cluster.StartSeedAsync();
        var (media1, media1Node) = await _cluster.StartMediaAsync("media-1");
        var (media2, media2Node) = await _cluster.StartMediaAsync("media-2");
        await _cluster.WaitForMediaNodesAsync(seed, media1Node, media2Node);

        // An operator: an account holding a role with manage server (given with the admin key).
        _driver = new WebClientDriver(_playwright, seed.BaseUrl, Probe.NewTempDirectory("cluster-page"));
        var page = await _driver.RegisterAsync(await _driver.LaunchAsync(), "operator", Password);
        var userId = await page.EvaluateAsync<string>("async () => (await window.__openchat.invoke('Me')).id");
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(15) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", VoiceCluster.AdminKey);
        using var created = await http.PostAsJsonAsync(seed.BaseUrl + "/api/server/roles", new { name = "Operators", permissions = new[] { "manageServer", "viewChannel", "connect", "speak" } });
        Assert.True(created.IsSuccessStatusCode, await created.Content.ReadAsStringAsync());
        var roleId = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString();
        using var given = await http.PutAsync($"{seed.BaseUrl}/api/server/members/{userId}/roles/{roleId}", null);
        Assert.True(given.IsSuccessStatusCode, await given.Content.ReadAsStringAsync());

        // In voice, so there is a room with a mixer to show.
        await WebClientDriver.JoinVoiceAsync(page, "Lounge");
        await page.GetByRole(AriaRole.Button, new() { Name = "Server settings" }).ClickAsync();
        var settings = page.GetByRole(AriaRole.Dialog, new() { Name = "Server settings" });
        await settings.GetByRole(AriaRole.Tab, new() { Name = "Cluster" }).ClickAsync();

        var nodes = settings.GetByRole(AriaRole.Table, new() { Name = "Nodes" });
        var seedAddress = VoiceCluster.NodeAddress(_cluster.SeedPort);
        await Assertions.Expect(Cell(nodes, seedAddress, 1)).ToHaveTextAsync("channels, gateway", new() { Timeout = 15_000 });
        foreach (var node in new[] { media1Node, media2Node })
        {
            await Assertions.Expect(Cell(nodes, node, 1)).ToHaveTextAsync("media");
            await Assertions.Expect(Cell(nodes, node, 2)).ToHaveTextAsync("up");
            await Assertions.Expect(Cell(nodes, node, 3)).ToHaveTextAsync("Reachable");
        }
        await Assertions.Expect(nodes.Locator("tbody tr")).ToHaveCountAsync(3);
        var room = settings.GetByRole(AriaRole.Table, new() { Name = "Voice rooms" }).Locator("tbody tr", new() { HasTextString = "Lounge" });
        await Assertions.Expect(room).ToHaveCountAsync(1, new() { Timeout = 15_000 });
        var mixerOn = (await room.Locator("td").First.TextContentAsync())!;
        output.WriteLine($"the Lounge's mixer runs on {mixerOn}");
        Assert.Contains(mixerOn, new[] { media1Node, media2Node }.Select(NodeName));
        await Assertions.Expect(room.Locator("td").Nth(1)).ToHaveTextAsync("1");
        // The node with the room reports its load there, read every 2 s.
        var (hosting, other, otherProcess) = mixerOn == NodeName(media1Node) ? (media1Node, media2Node, media2) : (media2Node, media1Node, media1);
        await Assertions.Expect(Cell(nodes, hosting, 4)).ToContainTextAsync("1 room, 1/", new() { Timeout = 15_000 });

        // The other media node vanishes without a word.
        var clock = Stopwatch.StartNew();
        await otherProcess.KillAsync();
        var left = TimeSpan.FromSeconds(5) - clock.Elapsed;
        await Assertions.Expect(Cell(nodes, other, 3)).ToHaveTextAsync("Unreachable", new() { Timeout = (float)Math.Max(0, left.TotalMilliseconds) });
        output.WriteLine($"shown unreachable {clock.ElapsedMilliseconds} ms after the kill");
        await Assertions.Expect(Row(nodes, other)).ToHaveAttributeAsync("data-reachable", "false");
        await Assertions.Expect(Cell(nodes, hosting, 3)).ToHaveTextAsync("Reachable");
        await Assertions.Expect(Cell(nodes, seedAddress, 3)).ToHaveTextAsync("Reachable");
        Assert.Empty(_driver.TakeCspViolations());
    }

    private static string NodeName(string address) => address[(address.LastIndexOf('@') + 1)..];

    private static ILocator Row(ILocator table, string address) => table.Locator($"tr[data-node='{address}']");

    /// <summary>A node's cell: 0 the node, 1 its roles, 2 its status, 3 its reachability, 4 its load.</summary>
    private static ILocator Cell(ILocator table, string address, int column) => Row(table, address).Locator("th, td").Nth(column);
}

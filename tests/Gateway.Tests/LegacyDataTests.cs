using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.SignalR.Client;
using OpenChat.SimulatedClients.Network;
using OpenChat.TestSupport;
using Xunit;

namespace OpenChat.Gateway.Tests;

/// <summary>
/// A data folder written by the release before accounts (<c>Fixtures/before-accounts</c>), opened by this build: its
/// channels and history are there, and the guest token that release issued still works until the user ends it.
/// </summary>
public sealed class LegacyDataTests
{
    private static readonly string Fixture = Path.Combine(RepoPaths.Root, "tests", "Gateway.Tests", "Fixtures", "before-accounts");

    private sealed record Expected(SessionDto Session, string Channel, ExpectedMessage[] Messages);

    private sealed record ExpectedMessage(long Id, string Text, string AuthorId);

    [Fact]
    public async Task A_data_folder_from_before_accounts_keeps_its_history_and_its_guest_tokens_until_signed_out_everywhere()
    {
        var expected = JsonSerializer.Deserialize<Expected>(await File.ReadAllTextAsync(Path.Combine(Fixture, "expected.json")),
            new JsonSerializerOptions(JsonSerializerDefaults.Web))!;
        var data = Probe.NewTempDirectory("legacy-data");
        foreach (var file in Directory.EnumerateFiles(Fixture).Where(f => !f.EndsWith(".json") && !f.EndsWith(".md")))
            File.Copy(file, Path.Combine(data, Path.GetFileName(file)));

        await using var server = await InProcessServer.StartAsync(dataDirectory: data);
        var old = expected.Session;
        using var http = SourceAddress.HttpClient(SourceAddress.Next());
        async Task<HttpStatusCode> Check(string token)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, server.BaseUrl + "/api/session");
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            using var response = await http.SendAsync(request);
            return response.StatusCode;
        }
        Assert.Equal(HttpStatusCode.OK, await Check(old.Token));

        // The old guest reads the history it wrote, through the hub, with the token the old release gave it.
        await using (var client = await ChatClient.ConnectAsync(server.BaseUrl, old.DisplayName, old, source: SourceAddress.Next()))
        {
            var history = await client.HistoryAsync(expected.Channel);
            Assert.Equal(expected.Messages.Select(m => (m.Id, m.Text, m.AuthorId)), history.Messages.Select(m => (m.Id, m.Text, m.AuthorId)));
            var me = await client.Connection.InvokeAsync<UserDto>("Me");
            Assert.Equal(old.UserId, me.Id);
        }

        // Renewed as a guest, the user keeps their id; the new token is of this release (a key id, a session).
        using var renewal = await http.PostAsJsonAsync(server.BaseUrl + "/api/session", new { displayName = old.DisplayName, token = old.Token });
        var renewed = (await renewal.Content.ReadFromJsonAsync<SessionDto>())!;
        Assert.Equal(old.UserId, renewed.UserId);
        Assert.Equal("guest", renewed.Kind);

        // Signing out everywhere ends the old token too, though it names no session.
        using var request = new HttpRequestMessage(HttpMethod.Post, server.BaseUrl + "/api/session/sign-out-everywhere");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", renewed.Token);
        using var response = await http.SendAsync(request);
        var fresh = (await response.Content.ReadFromJsonAsync<SessionDto>())!;
        Assert.Equal(HttpStatusCode.Unauthorized, await Check(old.Token));
        Assert.Equal(HttpStatusCode.Unauthorized, await Check(renewed.Token));
        Assert.Equal(HttpStatusCode.OK, await Check(fresh.Token));
        Assert.Equal(old.UserId, fresh.UserId);
    }
}

using System.Net.Http.Headers;
using System.Text.Json;
using OpenChat.SimulatedClients.Network;
using OpenChat.TestSupport;
using Xunit;

namespace OpenChat.Gateway.Tests;

/// <summary>Reads the audit log over HTTP as tests need it.</summary>
public static class AuditLog
{
    /// <summary>
    /// The newest entries matching <paramref name="query"/> (<c>?action=voice</c>), once <paramref name="done"/> holds for
    /// them: a record reaches the log just after its action answered.
    /// </summary>
    public static async Task<JsonElement[]> ReadUntilAsync(string baseUrl, string token, string query, Func<JsonElement[], bool> done)
    {
        using var http = SourceAddress.HttpClient(SourceAddress.Next());
        JsonElement[] entries = [];
        await Probe.UntilAsync(async () => done(entries = (await PageAsync(http, baseUrl, token, query)).Entries), TimeSpan.FromSeconds(10), "the audit entries");
        return entries;
    }

    public static async Task<(JsonElement[] Entries, bool HasMore)> PageAsync(HttpClient http, string baseUrl, string token, string query)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, baseUrl + "/api/server/audit" + query);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var response = await http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"GET /api/server/audit{query}: {(int)response.StatusCode} {text}");
        var page = JsonDocument.Parse(text).RootElement.Clone();
        return (page.GetProperty("entries").EnumerateArray().ToArray(), page.GetProperty("hasMore").GetBoolean());
    }
}

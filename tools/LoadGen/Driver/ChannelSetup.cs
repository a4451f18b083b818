using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;

namespace OpenChat.LoadGen.Driver;

/// <summary>Finds the voice channels PREFIX-1..PREFIX-N, creating the missing ones through the admin API.</summary>
internal static class ChannelSetup
{
    private sealed record ChannelWire(string Id, string Name, string Kind);

    public static async Task<IReadOnlyList<string>> EnsureVoiceChannelsAsync(HttpClient http, string baseUrl, string prefix, int rooms,
        bool quietRoom, string? adminKey, CancellationToken token)
    {
        var channels = await ListAsync(http, baseUrl, token);
        var ids = new List<string>();
        var missing = new List<string>();
        var suffixes = Enumerable.Range(1, rooms).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToList();
        if (quietRoom) suffixes.Add("quiet");
        foreach (var suffix in suffixes)
        {
            string id = $"{prefix}-{suffix}";
            string name = $"{prefix} {suffix}";
            var existing = channels.FirstOrDefault(c => c.Id == id && c.Kind == "voice")
                           ?? channels.FirstOrDefault(c => c.Name == name && c.Kind == "voice");
            if (existing is not null)
            {
                ids.Add(existing.Id);
                continue;
            }
            if (adminKey is null)
            {
                missing.Add(id);
                continue;
            }
            ids.Add(await CreateAsync(http, baseUrl, name, adminKey, token));
        }
        if (missing.Count > 0)
        {
            throw new InvalidOperationException(
                $"Voice channels {string.Join(", ", missing)} do not exist; pass --admin-key to create them (the server needs OpenChat:Auth:AdminKey).");
        }
        return ids;
    }

    private static async Task<List<ChannelWire>> ListAsync(HttpClient http, string baseUrl, CancellationToken token)
    {
        using var info = await http.GetFromJsonAsync<JsonDocument>(baseUrl + "/api/info", token)
                         ?? throw new InvalidOperationException("GET /api/info answered nothing");
        return info.RootElement.GetProperty("channels").EnumerateArray()
            .Select(c => new ChannelWire(c.GetProperty("id").GetString()!, c.GetProperty("name").GetString()!, c.GetProperty("kind").GetString()!))
            .ToList();
    }

    private static async Task<string> CreateAsync(HttpClient http, string baseUrl, string name, string adminKey, CancellationToken token)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, baseUrl + "/api/admin/channels")
        {
            Content = JsonContent.Create(new { name, kind = "voice", topic = "LoadGen room" }),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", adminKey);
        using var response = await http.SendAsync(request, token);
        if (response.StatusCode == HttpStatusCode.Conflict)
        {
            // Created a moment ago by someone else under the same name.
            var channels = await ListAsync(http, baseUrl, token);
            return channels.First(c => c.Name == name && c.Kind == "voice").Id;
        }
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException(
                $"POST /api/admin/channels answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(token)}");
        }
        var created = await response.Content.ReadFromJsonAsync<ChannelWire>(token) ?? throw new InvalidOperationException("empty channel response");
        return created.Id;
    }
}

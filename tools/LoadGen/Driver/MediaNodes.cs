using System.Net.Http.Headers;
using System.Net.Http.Json;

namespace OpenChat.LoadGen.Driver;

/// <summary>The media nodes' load as the admin API reports it (<c>GET /api/admin/media</c>).</summary>
internal static class MediaNodes
{
    public sealed record Report(string Node, int Rooms, int Members, int MaxMembers, double MixCpuPercent, double TickP99Ms,
        long LateTicks, bool Draining, DateTimeOffset ReportedAt);

    /// <summary>The reports, or null when the API is not there, refuses (older server, wrong key) or does not answer in time.</summary>
    public static async Task<Report[]?> ReadAsync(HttpClient http, string baseUrl, string adminKey, CancellationToken token)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, baseUrl + "/api/admin/media");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", adminKey);
        try
        {
            using var response = await http.SendAsync(request, token);
            if (!response.IsSuccessStatusCode) return null;
            return await response.Content.ReadFromJsonAsync<Report[]>(token);
        }
        catch (Exception e) when (e is HttpRequestException or System.Text.Json.JsonException
                                   || (e is TaskCanceledException && !token.IsCancellationRequested))
        {
            // Not there, refused, or too slow to answer (a gateway starved of CPU by the load itself).
            return null;
        }
    }
}

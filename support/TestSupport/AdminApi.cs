using System.Net.Http.Headers;
using System.Net.Http.Json;

namespace OpenChat.TestSupport;

/// <summary>The server's admin API (<c>/api/admin</c>) as tests use it.</summary>
public static class AdminApi
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(15) };

    private sealed record InfoDto(ChannelDto[] Channels);

    /// <summary>
    /// Creates a channel through <paramref name="gatewayUrl"/> and waits until that gateway lists it (it learns of
    /// new channels from the directory); returns the channel.
    /// </summary>
    public static async Task<ChannelDto> CreateChannelAsync(string gatewayUrl, string adminKey, string name, string kind)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, gatewayUrl + "/api/admin/channels")
        {
            Content = JsonContent.Create(new { name, kind, topic = "" }),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", adminKey);
        using var response = await Http.SendAsync(request);
        response.EnsureSuccessStatusCode();
        var created = (await response.Content.ReadFromJsonAsync<ChannelDto>())!;
        await Probe.UntilAsync(async () =>
        {
            var info = await Http.GetFromJsonAsync<InfoDto>(gatewayUrl + "/api/info");
            return info!.Channels.Any(c => c.Id == created.Id);
        }, TimeSpan.FromSeconds(15), $"{gatewayUrl} to list channel {created.Id}");
        return created;
    }

    /// <summary>
    /// Sets a channel's override for a role (<c>role</c>) or a member (<c>member</c>) with the admin key (empty allow and
    /// deny remove it); the gateway answers once its own copy holds the change.
    /// </summary>
    public static async Task SetOverrideAsync(string gatewayUrl, string adminKey, string channel, string target, string id, string[] allow, string[] deny)
    {
        using var request = new HttpRequestMessage(HttpMethod.Put, $"{gatewayUrl}/api/channels/{channel}/overrides/{target}/{id}")
        {
            Content = JsonContent.Create(new { allow, deny }),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", adminKey);
        using var response = await Http.SendAsync(request);
        if (!response.IsSuccessStatusCode)
            throw new HttpRequestException($"PUT override: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
    }
}

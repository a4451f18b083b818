using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using Microsoft.Extensions.Logging;
using OpenChat.SimulatedClients.Network;
using Xunit;

namespace OpenChat.Gateway.Tests;

/// <summary>The admin API's key rules: length, failed-attempt throttling, and a log line for every request.</summary>
public sealed class AdminSecurityTests
{
    private const string AdminKey = "admin-security-key-0123456789abcdefghij";

    private static HttpRequestMessage Request(HttpMethod method, string url, string key, object? body = null)
    {
        var request = new HttpRequestMessage(method, url) { Content = body is null ? null : JsonContent.Create(body) };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return request;
    }

    [Fact]
    public async Task A_key_shorter_than_32_characters_stops_the_server_at_start_with_the_setting_and_how_to_make_one()
    {
        var error = await Assert.ThrowsAnyAsync<Exception>(() => InProcessServer.StartAsync(new Dictionary<string, string?>
        {
            ["OpenChat:Auth:AdminKey"] = "sixteen-chars-ok-0123456789",
        }));
        Assert.Contains("OpenChat:Auth:AdminKey", error.Message);
        Assert.Contains("openssl rand -base64 32", error.Message);
    }

    [Fact]
    public async Task Wrong_keys_from_an_address_are_throttled_after_five_while_another_address_is_served()
    {
        await using var server = await InProcessServer.StartAsync(new Dictionary<string, string?> { ["OpenChat:Auth:AdminKey"] = AdminKey });
        using var guesser = SourceAddress.HttpClient(SourceAddress.Next());
        var url = server.BaseUrl + "/api/admin/media";
        for (var i = 0; i < 4; i++)
        {
            using var wrong = await guesser.SendAsync(Request(HttpMethod.Get, url, AdminKey + i));
            Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        }
        // A key that merely starts like the right one is as wrong as any other.
        using var prefix = await guesser.SendAsync(Request(HttpMethod.Get, url, AdminKey[..^1]));
        Assert.Equal(HttpStatusCode.Unauthorized, prefix.StatusCode);
        using var throttled = await guesser.SendAsync(Request(HttpMethod.Get, url, "a-sixth-guess-0123456789abcdefghijklmnop"));
        Assert.Equal(HttpStatusCode.TooManyRequests, throttled.StatusCode);
        Assert.True(throttled.Headers.RetryAfter?.Delta is { TotalSeconds: >= 1 and <= 60 }, $"Retry-After: {throttled.Headers.RetryAfter}");
        // While throttled, even the right key gets no answer from this address: guessing stops there.
        using var rightButThrottled = await guesser.SendAsync(Request(HttpMethod.Get, url, AdminKey));
        Assert.Equal(HttpStatusCode.TooManyRequests, rightButThrottled.StatusCode);

        using var operatorHttp = SourceAddress.HttpClient(SourceAddress.Next());
        using var served = await operatorHttp.SendAsync(Request(HttpMethod.Get, url, AdminKey));
        Assert.Equal(HttpStatusCode.OK, served.StatusCode);
    }

    [Fact]
    public async Task Every_admin_request_is_logged_with_its_address_and_outcome()
    {
        var log = new LogCapture();
        await using var server = await InProcessServer.StartAsync(new Dictionary<string, string?>
        {
            ["OpenChat:Auth:AdminKey"] = AdminKey,
            // The test server logs warnings only; admin actions are logged at Information, as a production server shows them.
            ["Logging:LogLevel:OpenChat.Gateway.Admin"] = "Information",
        }, log.AddTo);
        var source = SourceAddress.Next();
        using var http = SourceAddress.HttpClient(source);
        using var created = await http.SendAsync(Request(HttpMethod.Post, server.BaseUrl + "/api/admin/channels", AdminKey, new { name = "Audit", kind = "text" }));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var id = (await created.Content.ReadFromJsonAsync<TestSupport.ChannelDto>())!.Id;
        (await http.SendAsync(Request(HttpMethod.Patch, server.BaseUrl + $"/api/admin/channels/{id}", AdminKey, new { topic = "logged" }))).EnsureSuccessStatusCode();
        (await http.SendAsync(Request(HttpMethod.Delete, server.BaseUrl + $"/api/admin/channels/{id}", AdminKey))).EnsureSuccessStatusCode();
        using var wrong = await http.SendAsync(Request(HttpMethod.Delete, server.BaseUrl + "/api/admin/channels/general", "not-the-key"));
        Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);

        var admin = log.Entries.Where(e => e.Category == "OpenChat.Gateway.Admin").Select(e => (e.Level, e.Message)).ToList();
        Assert.Equal(4, admin.Count);
        Assert.Contains(admin, e => e.Message.Contains("POST /api/admin/channels") && e.Message.Contains(source.ToString()) && e.Message.Contains("201"));
        Assert.Contains(admin, e => e.Message.Contains($"PATCH /api/admin/channels/{id}") && e.Message.Contains("200"));
        Assert.Contains(admin, e => e.Message.Contains($"DELETE /api/admin/channels/{id}") && e.Message.Contains("204"));
        Assert.Contains(admin, e => e.Level == LogLevel.Warning && e.Message.Contains("DELETE /api/admin/channels/general") && e.Message.Contains("wrong admin key"));
    }
}

using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using OpenChat.TestSupport;
using Xunit;

namespace OpenChat.Gateway.Tests;

/// <summary>
/// HTTP API calls the tests make that must succeed: registering and signing in with a password, and a call with a
/// bearer token and a JSON body. A refusal fails the test with the call, its status and its body.
/// </summary>
public static class ApiCalls
{
    public static async Task<SessionDto> RegisterAsync(HttpClient http, string baseUrl, string username, string password)
    {
        using var response = await http.PostAsJsonAsync(baseUrl + "/api/accounts", new { username, password });
        Assert.True(response.IsSuccessStatusCode, $"registering {username}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        return (await response.Content.ReadFromJsonAsync<SessionDto>())!;
    }

    public static async Task<SessionDto> SignInAsync(HttpClient http, string baseUrl, string username, string password)
    {
        using var response = await http.PostAsJsonAsync(baseUrl + "/api/session/sign-in", new { username, password });
        Assert.True(response.IsSuccessStatusCode, $"signing in {username}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        return (await response.Content.ReadFromJsonAsync<SessionDto>())!;
    }

    /// <summary>The call's JSON answer (default when it has no body).</summary>
    public static async Task<JsonElement> OkJsonAsync(HttpClient http, string baseUrl, HttpMethod method, string path, string token, object? body = null)
    {
        using var request = new HttpRequestMessage(method, baseUrl + path) { Content = body is null ? null : JsonContent.Create(body) };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var response = await http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{method} {path}: {(int)response.StatusCode} {text}");
        return text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone();
    }
}

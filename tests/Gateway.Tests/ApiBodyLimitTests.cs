using System.Net;
using System.Net.Http.Json;
using System.Text;
using OpenChat.SimulatedClients.Network;
using Xunit;

namespace OpenChat.Gateway.Tests;

/// <summary>The HTTP API's request body cap (<c>OpenChat:Gateway:MaxApiBodyBytes</c>) and its JSON-only bodies.</summary>
public sealed class ApiBodyLimitTests : IAsyncLifetime
{
    private InProcessServer _server = null!;
    private readonly HttpClient _http = SourceAddress.HttpClient(SourceAddress.Next());

    private const string AdminKey = "body-limit-admin-key-0123456789abcdefgh";

    public async Task InitializeAsync() =>
        _server = await InProcessServer.StartAsync(new Dictionary<string, string?> { ["OpenChat:Auth:AdminKey"] = AdminKey });

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _server.DisposeAsync();
    }

    private static string SessionBody(int bytes)
    {
        var head = """{"displayName":"Alice","token":null,"padding":" """;
        return head + new string('x', bytes - Encoding.UTF8.GetByteCount(head) - 2) + "\"}";
    }

    /// <summary>A session request of about <paramref name="size"/> bytes sent chunked, with no length up front.</summary>
    private HttpRequestMessage ChunkedSessionRequest(int size)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, _server.BaseUrl + "/api/session")
        {
            Content = new StreamContent(new MemoryStream(Encoding.UTF8.GetBytes(SessionBody(size)))),
        };
        request.Content.Headers.ContentType = new("application/json");
        request.Headers.TransferEncodingChunked = true;
        return request;
    }

    [Fact]
    public async Task A_body_over_the_cap_is_answered_413_payload_too_large_whether_its_length_is_declared_or_not()
    {
        using var declared = await _http.PostAsync(_server.BaseUrl + "/api/session",
            new StringContent(SessionBody(1024 * 1024), Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, declared.StatusCode);
        Assert.Equal("payload_too_large", (await declared.Content.ReadFromJsonAsync<ErrorBody>())!.Error);

        // Chunked: no length up front; the server stops reading at the cap.
        using var chunked = ChunkedSessionRequest(64 * 1024);
        using var answer = await _http.SendAsync(chunked);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, answer.StatusCode);
        Assert.Equal("payload_too_large", (await answer.Content.ReadFromJsonAsync<ErrorBody>())!.Error);
    }

    [Fact]
    public async Task A_body_at_the_cap_is_served_declared_or_chunked()
    {
        using var declared = await _http.PostAsync(_server.BaseUrl + "/api/session",
            new StringContent(SessionBody(16 * 1024), Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.OK, declared.StatusCode);

        using var chunked = ChunkedSessionRequest(16 * 1024);
        using var answer = await _http.SendAsync(chunked);
        Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
    }

    [Fact]
    public async Task A_body_that_is_not_json_is_answered_415_and_a_call_without_a_body_reaches_an_endpoint_whose_body_is_optional()
    {
        using var plain = await _http.PostAsync(_server.BaseUrl + "/api/session", new StringContent("Alice", Encoding.UTF8, "text/plain"));
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, plain.StatusCode);
        Assert.Equal("unsupported_media_type", (await plain.Content.ReadFromJsonAsync<ErrorBody>())!.Error);

        // A kick's reason is optional: no body and no content type at all is a kick without one.
        using var guest = await _http.PostAsJsonAsync(_server.BaseUrl + "/api/session", new { displayName = "Alice" });
        var userId = (await guest.Content.ReadFromJsonAsync<System.Text.Json.JsonElement>()).GetProperty("userId").GetString();
        using var kick = new HttpRequestMessage(HttpMethod.Post, $"{_server.BaseUrl}/api/server/members/{userId}/kick");
        kick.Headers.Authorization = new("Bearer", AdminKey);
        using var kicked = await _http.SendAsync(kick);
        Assert.Equal(HttpStatusCode.NoContent, kicked.StatusCode);
    }

    private sealed record ErrorBody(string Error, string Message);
}

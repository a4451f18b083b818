using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;

namespace OpenChat.SimulatedClients.Members;

/// <summary>A member's guest session (<c>POST /api/session</c>): the token its hub connections present, and its user id.</summary>
internal sealed class GuestSession(HttpClient http, string displayName)
{
    private volatile string? _userId;

    /// <summary>The session token; null before the first session.</summary>
    public string? Token { get; private set; }

    public string? UserId => _userId;

    /// <summary>
    /// Asks <paramref name="baseUrl"/> for a session, presenting <paramref name="previousToken"/> so that the user keeps
    /// its id where the gateway accepts it; waits out <c>429</c> answers for up to a minute.
    /// </summary>
    public async Task CreateAsync(string baseUrl, string? previousToken, CancellationToken token)
    {
        var started = Stopwatch.GetTimestamp();
        while (true)
        {
            using var response = await http.PostAsJsonAsync(baseUrl.TrimEnd('/') + "/api/session",
                new { displayName, token = previousToken }, token).ConfigureAwait(false);
            if (response.StatusCode == HttpStatusCode.TooManyRequests && Stopwatch.GetElapsedTime(started) < TimeSpan.FromSeconds(60))
            {
                var wait = response.Headers.RetryAfter?.Delta ?? TimeSpan.FromSeconds(1);
                await Task.Delay(wait < TimeSpan.FromMilliseconds(100) ? TimeSpan.FromMilliseconds(100) : wait, token).ConfigureAwait(false);
                continue;
            }
            if (response.StatusCode == HttpStatusCode.Unauthorized && previousToken is not null)
            {
                previousToken = null; // that token is worthless here; start a new identity
                continue;
            }
            if (!response.IsSuccessStatusCode)
            {
                var body = await response.Content.ReadAsStringAsync(token).ConfigureAwait(false);
                throw new HttpRequestException($"POST {baseUrl}/api/session answered {(int)response.StatusCode}: {body}", null, response.StatusCode);
            }
            var session = await response.Content.ReadFromJsonAsync<SessionWire>(token).ConfigureAwait(false)
                          ?? throw new InvalidOperationException("empty session response");
            Token = session.Token;
            _userId = session.UserId;
            return;
        }
    }
}

using System.Net;
using System.Net.Http.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OpenChat.SimulatedClients.Network;
using Xunit;

namespace OpenChat.Gateway.Tests;

/// <summary>
/// The gateway behind a reverse proxy: limits keyed by client address count each client behind a configured proxy,
/// and a forwarded header from anyone else is ignored. Session creation (<c>OpenChat:Auth:SessionsPerMinute</c>, set
/// to 3 here) is the limit observed.
/// </summary>
public sealed class ReverseProxyTests : IAsyncLifetime
{
    private const int SessionsPerMinute = 3;
    private readonly IPAddress _proxyAddress = SourceAddress.Next();
    private InProcessServer _gateway = null!;
    private WebApplication _proxy = null!;
    private string _proxyUrl = "";

    public async Task InitializeAsync()
    {
        _gateway = await InProcessServer.StartAsync(new Dictionary<string, string?>
        {
            ["OpenChat:Auth:SessionsPerMinute"] = SessionsPerMinute.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["OpenChat:Gateway:KnownProxies:0"] = _proxyAddress.ToString(),
        });
        _proxy = StartProxy(_gateway.BaseUrl, _proxyAddress);
        await _proxy.StartAsync();
        _proxyUrl = _proxy.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First().TrimEnd('/');
    }

    public async Task DisposeAsync()
    {
        await _proxy.StopAsync();
        await _proxy.DisposeAsync();
        await _gateway.DisposeAsync();
    }

    /// <summary>
    /// A reverse proxy as operators run one: it accepts clients on its own port and forwards each request to the
    /// gateway from its own address, appending the client's address to <c>X-Forwarded-For</c>.
    /// </summary>
    private static WebApplication StartProxy(string upstream, IPAddress outbound)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        var app = builder.Build();
        var http = SourceAddress.HttpClient(outbound);
        app.Run(async context =>
        {
            using var forward = new HttpRequestMessage(new HttpMethod(context.Request.Method), upstream + context.Request.Path + context.Request.QueryString);
            if (context.Request.ContentLength > 0 || context.Request.Headers.TransferEncoding.Count > 0)
            {
                var body = new MemoryStream();
                await context.Request.Body.CopyToAsync(body);
                forward.Content = new ByteArrayContent(body.ToArray());
                if (context.Request.ContentType is { } type) forward.Content.Headers.TryAddWithoutValidation("Content-Type", type);
            }
            var chain = context.Request.Headers["X-Forwarded-For"].ToString();
            var client = context.Connection.RemoteIpAddress!.ToString();
            forward.Headers.TryAddWithoutValidation("X-Forwarded-For", string.IsNullOrEmpty(chain) ? client : chain + ", " + client);
            using var answer = await http.SendAsync(forward);
            context.Response.StatusCode = (int)answer.StatusCode;
            await answer.Content.CopyToAsync(context.Response.Body);
        });
        return app;
    }

    private static async Task<HttpStatusCode> CreateSessionAsync(HttpClient http, string url, string name, string? forwardedFor = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, url + "/api/session") { Content = JsonContent.Create(new { displayName = name }) };
        if (forwardedFor is not null) request.Headers.TryAddWithoutValidation("X-Forwarded-For", forwardedFor);
        using var response = await http.SendAsync(request);
        return response.StatusCode;
    }

    [Fact]
    public async Task Behind_a_known_proxy_each_client_has_its_own_session_limit()
    {
        var clients = Enumerable.Range(0, 4).Select(_ => SourceAddress.HttpClient(SourceAddress.Next())).ToList();
        foreach (var (client, c) in clients.Select((h, i) => (h, i)))
            for (var s = 0; s < SessionsPerMinute; s++)
                Assert.Equal(HttpStatusCode.OK, await CreateSessionAsync(client, _proxyUrl, $"Client {c}.{s}"));

        // Each client has used its own allowance: one more from any of them is refused, for that client only.
        Assert.Equal(HttpStatusCode.TooManyRequests, await CreateSessionAsync(clients[0], _proxyUrl, "One too many"));
        using var fresh = SourceAddress.HttpClient(SourceAddress.Next());
        Assert.Equal(HttpStatusCode.OK, await CreateSessionAsync(fresh, _proxyUrl, "Newcomer"));

        // A client that writes its own X-Forwarded-For before the proxy's entry is still counted by its real address.
        Assert.Equal(HttpStatusCode.TooManyRequests, await CreateSessionAsync(clients[1], _proxyUrl, "Forger", forwardedFor: "198.51.100.77"));
        foreach (var client in clients) client.Dispose();
    }

    [Fact]
    public async Task A_forwarded_header_from_an_address_that_is_not_a_known_proxy_is_ignored()
    {
        using var direct = SourceAddress.HttpClient(SourceAddress.Next());
        // Each request claims another client; the gateway counts the socket's address, so the fourth is refused.
        for (var s = 0; s < SessionsPerMinute; s++)
            Assert.Equal(HttpStatusCode.OK, await CreateSessionAsync(direct, _gateway.BaseUrl, $"Forger {s}", forwardedFor: $"198.51.100.{s + 1}"));
        Assert.Equal(HttpStatusCode.TooManyRequests, await CreateSessionAsync(direct, _gateway.BaseUrl, "Forger 4", forwardedFor: "198.51.100.99"));
    }
}

using System.Net;
using System.Net.Http.Headers;
using System.Text.RegularExpressions;
using OpenChat.Gateway.WebClient;
using Xunit;

namespace OpenChat.Gateway.Tests;

/// <summary>One all-in-one server shared by the web client tests.</summary>
public sealed class WebClientServer : IAsyncLifetime
{
    public InProcessServer Server { get; private set; } = null!;

    public async Task InitializeAsync() => Server = await InProcessServer.StartAsync();

    public async Task DisposeAsync() => await Server.DisposeAsync();
}

/// <summary>The gateway serves the built web client: its page, its assets, and the page for every page address.</summary>
public sealed partial class WebClientTests(WebClientServer fixture) : IClassFixture<WebClientServer>
{
    private readonly HttpClient _http = new() { BaseAddress = new Uri(fixture.Server.BaseUrl) };

    [Fact]
    public void The_client_is_built_into_the_gateway()
    {
        Assert.True(EmbeddedWebClient.Instance.IsBuilt, "src/Web was not built into the gateway assembly.");
    }

    [Fact]
    public async Task The_start_page_is_the_client_and_is_revalidated_on_every_load()
    {
        var page = await _http.GetAsync("/");
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);
        Assert.Contains("no-cache", page.Headers.CacheControl?.ToString());
        var html = await page.Content.ReadAsStringAsync();
        Assert.Contains("<div id=\"root\"></div>", html);
        Assert.Matches(ScriptTag(), html);

        var etag = page.Headers.ETag;
        Assert.NotNull(etag);
        using var again = new HttpRequestMessage(HttpMethod.Get, "/");
        again.Headers.IfNoneMatch.Add(etag);
        Assert.Equal(HttpStatusCode.NotModified, (await _http.SendAsync(again)).StatusCode);
    }

    [Fact]
    public async Task Assets_are_served_with_their_type_and_cached_for_good()
    {
        var html = await _http.GetStringAsync("/");
        var script = ScriptTag().Match(html).Groups["src"].Value;
        var style = StyleTag().Match(html).Groups["href"].Value;

        var js = await _http.GetAsync(script);
        Assert.Equal(HttpStatusCode.OK, js.StatusCode);
        Assert.Equal("text/javascript", js.Content.Headers.ContentType?.MediaType);
        Assert.True(js.Headers.CacheControl?.MaxAge >= TimeSpan.FromDays(365));
        Assert.Contains("immutable", js.Headers.CacheControl!.ToString());
        Assert.True((await js.Content.ReadAsByteArrayAsync()).Length > 1000);

        var css = await _http.GetAsync(style);
        Assert.Equal("text/css", css.Content.Headers.ContentType?.MediaType);

        Assert.Equal("image/svg+xml", (await _http.GetAsync("/favicon.svg")).Content.Headers.ContentType?.MediaType);
        Assert.Equal(HttpStatusCode.NotFound, (await _http.GetAsync("/assets/missing-0000.js")).StatusCode);
    }

    [Fact]
    public async Task Pages_carry_a_content_security_policy_that_the_page_itself_keeps()
    {
        var page = await _http.GetAsync("/");
        var policy = string.Join(";", page.Headers.GetValues("Content-Security-Policy"));
        Assert.Contains("script-src 'self';", policy);
        Assert.Contains("frame-ancestors 'none'", policy);
        Assert.Contains("object-src 'none'", policy);
        Assert.Equal("nosniff", page.Headers.GetValues("X-Content-Type-Options").Single());
        Assert.Equal("DENY", page.Headers.GetValues("X-Frame-Options").Single());
        Assert.Equal("no-referrer", page.Headers.GetValues("Referrer-Policy").Single());
        Assert.StartsWith("microphone=(self)", page.Headers.GetValues("Permissions-Policy").Single());

        // No inline script or style for the policy to block: every script is a file of the client's own.
        var html = await page.Content.ReadAsStringAsync();
        Assert.DoesNotMatch(InlineScript(), html);
        Assert.DoesNotContain("<style", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain(" style=", html, StringComparison.OrdinalIgnoreCase);
        var theme = await _http.GetAsync("/theme.js");
        Assert.Equal(HttpStatusCode.OK, theme.StatusCode);
        Assert.Equal("text/javascript", theme.Content.Headers.ContentType?.MediaType);

        // API answers carry the same headers.
        Assert.Equal("nosniff", (await _http.GetAsync("/api/info")).Headers.GetValues("X-Content-Type-Options").Single());
    }

    [Theory]
    [InlineData("/channels/general")]
    [InlineData("/some/deep/page")]
    public async Task Page_addresses_get_the_client(string path)
    {
        var response = await _http.GetAsync(path);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("<div id=\"root\"></div>", await response.Content.ReadAsStringAsync());
    }

    [Theory]
    [InlineData("GET", "/api/nothing-here")]
    [InlineData("GET", "/hub/nothing-here")]
    [InlineData("GET", "/healthz/nothing-here")]
    [InlineData("POST", "/some/page")]
    public async Task Server_addresses_and_other_methods_are_not_the_client(string method, string path)
    {
        var response = await _http.SendAsync(new HttpRequestMessage(new HttpMethod(method), path));
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Fact]
    public async Task The_api_and_health_endpoints_still_answer()
    {
        var info = await _http.GetAsync("/api/info");
        Assert.Equal(HttpStatusCode.OK, info.StatusCode);
        Assert.Equal("application/json", info.Content.Headers.ContentType?.MediaType);
        Assert.Equal(HttpStatusCode.OK, (await _http.GetAsync("/healthz/live")).StatusCode);
        var negotiate = await _http.PostAsync("/hub/negotiate?negotiateVersion=1", null);
        Assert.Equal(HttpStatusCode.Unauthorized, negotiate.StatusCode);
    }

    [GeneratedRegex("<script type=\"module\" crossorigin src=\"(?<src>/assets/[^\"]+\\.js)\"")]
    private static partial Regex ScriptTag();

    [GeneratedRegex("<link rel=\"stylesheet\" crossorigin href=\"(?<href>/assets/[^\"]+\\.css)\"")]
    private static partial Regex StyleTag();

    /// <summary>A script element without a src attribute: inline code.</summary>
    [GeneratedRegex("<script(?![^>]*\\ssrc=)[^>]*>")]
    private static partial Regex InlineScript();
}

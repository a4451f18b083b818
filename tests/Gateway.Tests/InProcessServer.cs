using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using OpenChat.Server;
using OpenChat.TestSupport;

namespace OpenChat.Gateway.Tests;

/// <summary>The all-in-one server in this process, on real Kestrel bound to 127.0.0.1 and a temporary SQLite file.</summary>
public sealed class InProcessServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    public string BaseUrl { get; }
    public string DataDirectory { get; }

    /// <summary>The server's services (its endpoints, for tests that enumerate them).</summary>
    public IServiceProvider Services => _app.Services;

    /// <summary>Every address Kestrel listens on (the HTTPS one too, when the server serves HTTPS).</summary>
    public IReadOnlyList<string> Addresses => [.. _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses];

    private InProcessServer(WebApplication app, string baseUrl, string dataDirectory)
    {
        _app = app;
        BaseUrl = baseUrl;
        DataDirectory = dataDirectory;
    }

    public static async Task<InProcessServer> StartAsync(IDictionary<string, string?>? settings = null, Action<WebApplicationBuilder>? configure = null,
        string? dataDirectory = null)
    {
        var data = dataDirectory ?? Probe.NewTempDirectory("gateway");
        var app = OpenChatServer.Build([], builder =>
        {
            builder.WebHost.UseUrls("http://127.0.0.1:0");
            builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["OpenChat:DataDirectory"] = data,
                ["OpenChat:Cluster:Port"] = "0",
                ["OpenChat:Management:Port"] = "0",
                ["Logging:LogLevel:Default"] = "Warning",
            });
            if (settings is not null) builder.Configuration.AddInMemoryCollection(settings);
            configure?.Invoke(builder);
        });
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First(a => a.StartsWith("http://", StringComparison.Ordinal));
        var server = new InProcessServer(app, address.TrimEnd('/'), data);
        using var http = new HttpClient();
        await Probe.UntilAsync(async () => (await http.GetAsync(server.BaseUrl + "/healthz/ready")).IsSuccessStatusCode,
            TimeSpan.FromSeconds(30), "the server to be ready");
        return server;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

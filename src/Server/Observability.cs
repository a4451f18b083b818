using System.Diagnostics;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Logging.Console;
using OpenChat.Hosting;
using OpenTelemetry;
using OpenTelemetry.Exporter;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace OpenChat.Server;

/// <summary>
/// Metrics, traces and logs of a node. Every role records through <see cref="System.Diagnostics.Metrics"/> meters and
/// <see cref="ActivitySource"/>s named <c>OpenChat.*</c>; this class hands them to OpenTelemetry, which serves the
/// metrics in the Prometheus text format on the management listener and exports traces over OTLP when an endpoint is
/// configured.
/// </summary>
public static class Observability
{
    /// <summary>Meters and activity sources of every role: <c>OpenChat.Gateway</c>, <c>OpenChat.Media</c>, ...</summary>
    public const string SourcePattern = "OpenChat.*";

    public const string MetricsPath = "/metrics";

    /// <summary>Paths the management listener answers; everything else there is 404.</summary>
    private static readonly string[] ManagementPaths = [MetricsPath, "/healthz/live", "/healthz/ready"];

    public static void AddOpenChatObservability(this WebApplicationBuilder builder, OpenChatOptions options)
    {
        var telemetry = options.Telemetry;
        // ASP.NET Core's request start and finish lines hold the whole URL, and a browser's hub WebSocket sends its
        // access token in the URL (browsers cannot set headers on WebSockets): they never reach the console, whatever
        // level Microsoft.AspNetCore is set to. (This rule names the console provider, so it outranks Logging:LogLevel.)
        builder.Logging.AddFilter<ConsoleLoggerProvider>("Microsoft.AspNetCore.Hosting.Diagnostics", LogLevel.Warning);
        if (telemetry.JsonLogs)
        {
            builder.Logging.ClearProviders();
            builder.Logging.AddJsonConsole(json =>
            {
                json.UseUtcTimestamp = true;
                json.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ";
                json.IncludeScopes = false;
            });
        }

        var management = options.Management;
        if (management.Enabled)
        {
            // The public addresses stay what the operator configured (--urls, Urls, ASPNETCORE_URLS); the management
            // listener is added after them.
            var urls = builder.WebHost.GetSetting(WebHostDefaults.ServerUrlsKey);
            if (string.IsNullOrWhiteSpace(urls)) urls = "http://localhost:5000";
            builder.WebHost.UseUrls($"{urls};{ManagementUrl(management)}");
        }

        var node = options.Cluster.PublicHostname is { Length: > 0 } p ? p : options.Cluster.Hostname;
        var instance = options.Cluster.Port != 0 ? $"{node}:{options.Cluster.Port}" : $"{Environment.MachineName}:{Environment.ProcessId}";
        var otel = builder.Services.AddOpenTelemetry()
            .ConfigureResource(resource => resource
                .AddService("openchat", serviceInstanceId: instance)
                .AddAttributes([new("openchat.roles", string.Join(",", options.EffectiveRoles))]));
        if (management.Enabled)
        {
            otel.WithMetrics(metrics => metrics
                .AddMeter(SourcePattern)
                .AddAspNetCoreInstrumentation()
                .AddRuntimeInstrumentation()
                .AddPrometheusExporter(prometheus => prometheus.ScrapeResponseCacheDurationMilliseconds = 0));
        }
        if (telemetry.TracesEnabled)
        {
            otel.WithTracing(tracing => tracing
                .AddSource(SourcePattern)
                .AddAspNetCoreInstrumentation(aspnet =>
                    // Probes and scrapes are not requests worth a trace.
                    aspnet.Filter = context => !context.Request.Path.StartsWithSegments("/healthz") && !context.Request.Path.StartsWithSegments(MetricsPath))
                .AddOtlpExporter(otlp =>
                {
                    otlp.Protocol = string.Equals(telemetry.OtlpProtocol, "http", StringComparison.OrdinalIgnoreCase)
                        ? OtlpExportProtocol.HttpProtobuf
                        : OtlpExportProtocol.Grpc;
                    var endpoint = new Uri(telemetry.OtlpEndpoint!);
                    // Over HTTP the exporter posts to the path given; a bare collector address means the standard one.
                    otlp.Endpoint = otlp.Protocol == OtlpExportProtocol.HttpProtobuf && endpoint.AbsolutePath == "/"
                        ? new Uri(endpoint, "v1/traces")
                        : endpoint;
                }));
        }
    }

    /// <summary>
    /// Serves <c>/metrics</c> on the management listener only, and keeps that listener to the management paths: the
    /// hub, the API and the web client are not served there, and <c>/metrics</c> is not served on the public port.
    /// </summary>
    public static void UseOpenChatManagement(this WebApplication app, ManagementSettings management)
    {
        if (!management.Enabled) return;
        var port = management.Port;
        app.Use((context, next) =>
        {
            if (context.Connection.LocalPort == port && !ManagementPaths.Contains(context.Request.Path.Value, StringComparer.Ordinal))
            {
                context.Response.StatusCode = StatusCodes.Status404NotFound;
                return Task.CompletedTask;
            }
            return next(context);
        });
        app.UseOpenTelemetryPrometheusScrapingEndpoint(context =>
            context.Connection.LocalPort == port && context.Request.Path == MetricsPath);
    }

    public static string ManagementUrl(ManagementSettings management)
    {
        var address = management.Address.Trim('[', ']');
        var host = address.Contains(':') ? $"[{address}]" : address;
        return $"http://{host}:{management.Port}";
    }
}

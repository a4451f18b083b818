using System.Security.Authentication;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Extensions;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace OpenChat.Gateway.Https;

/// <summary>
/// Serves the gateway over HTTPS itself (<see cref="HttpsOptions"/>): an HTTPS listener on the hosts of the HTTP URLs,
/// TLS 1.2 and 1.3 only, and plain HTTP redirected to it, except the health and metrics paths that probes and
/// Prometheus use over plain HTTP.
/// </summary>
public static class HttpsSetup
{
    /// <summary>Paths answered over plain HTTP even when HTTPS is on.</summary>
    private static readonly string[] PlainHttpPaths = ["/healthz", "/metrics"];

    private const string HstsValue = "max-age=31536000";

    public static HttpsOptions ReadOptions(IConfiguration configuration)
    {
        var options = configuration.GetSection(HttpsOptions.Section).Get<HttpsOptions>() ?? new HttpsOptions();
        options.Validate();
        return options;
    }

    /// <summary>
    /// Loads or makes the certificate and adds the HTTPS listener: <c>https://HOST:Port</c> for every host of the HTTP
    /// URLs. Call before anything else adds URLs (the management listener), so only the public hosts get one.
    /// </summary>
    public static WebCertificate UseOpenChatHttps(this WebApplicationBuilder builder, HttpsOptions options, string dataDirectory)
    {
        var certificate = WebCertificate.Load(options, dataDirectory, DateTimeOffset.UtcNow);
        var urls = builder.WebHost.GetSetting(WebHostDefaults.ServerUrlsKey);
        if (string.IsNullOrWhiteSpace(urls)) urls = "http://localhost:5000";
        var list = urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToList();
        var hosts = list.Select(BindingAddress.Parse)
            .Where(a => a.Scheme == Uri.UriSchemeHttp)
            .Select(a => a.Host)
            .Distinct(StringComparer.OrdinalIgnoreCase)
            .ToList();
        foreach (var host in hosts)
        {
            var url = $"https://{host}:{options.Port}";
            if (!list.Contains(url, StringComparer.OrdinalIgnoreCase)) list.Add(url);
        }
        builder.WebHost.UseUrls(string.Join(';', list));
        var served = new ServedCertificate(certificate);
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.ConfigureHttpsDefaults(https =>
        {
            https.ServerCertificate = certificate.Certificate;
            https.SslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13;
            // Each handshake presents the current certificate (with its intermediates), so a renewal needs no restart.
            https.OnAuthenticate = (_, tls) => tls.ServerCertificateContext = served.HandshakeContext;
        }));
        builder.Services.AddSingleton(options);
        builder.Services.AddSingleton(served);
        if (options.EffectiveMode == HttpsOptions.Pem && options.ReloadInterval > TimeSpan.Zero)
            builder.Services.AddHostedService<CertificateReloader>();
        return certificate;
    }

    /// <summary>Logs the certificate at start, so people can compare its fingerprint with what their browser shows.</summary>
    public static void LogCertificate(ILoggerFactory loggers, WebCertificate certificate, HttpsOptions options)
    {
        var logger = loggers.CreateLogger(typeof(HttpsSetup));
        var names = string.Join(", ", SelfSignedCertificate.Covered(certificate.Certificate).Order(StringComparer.Ordinal));
        if (certificate.SelfSigned)
        {
            if (certificate.NewBecause is not null)
                logger.LogWarning("HTTPS: made a new self-signed certificate because {Reason}; browsers will ask everyone to accept it again.", certificate.NewBecause);
            logger.LogInformation(
                "HTTPS on port {Port} with a self-signed certificate for {Names}, valid until {NotAfter:u}. Browsers warn about it once; " +
                "compare the SHA-256 fingerprint they show with {Fingerprint} before accepting it.",
                options.Port, names, certificate.Certificate.NotAfter.ToUniversalTime(), certificate.Fingerprint);
        }
        else
        {
            logger.LogInformation(
                "HTTPS on port {Port} with the certificate {Subject} for {Names}, valid until {NotAfter:u}; SHA-256 fingerprint {Fingerprint}.",
                options.Port, certificate.Certificate.Subject, names, certificate.Certificate.NotAfter.ToUniversalTime(), certificate.Fingerprint);
        }
    }

    /// <summary>
    /// Redirects plain HTTP to HTTPS (307, so that nothing stays cached if HTTPS is turned off again), except
    /// <c>/healthz</c> and <c>/metrics</c>; adds HSTS to HTTPS responses when asked for. Nothing when HTTPS is off.
    /// A request a known proxy forwarded with <c>X-Forwarded-Proto: https</c> counts as HTTPS.
    /// </summary>
    public static void UseOpenChatHttpsRedirect(this WebApplication app)
    {
        var options = app.Services.GetService<HttpsOptions>();
        if (options is null) return;
        var port = 0;
        app.Use((context, next) =>
        {
            var request = context.Request;
            if (request.IsHttps)
            {
                if (options.Hsts) context.Response.Headers.StrictTransportSecurity = HstsValue;
                return next(context);
            }
            if (PlainHttpPaths.Any(p => request.Path.StartsWithSegments(p, StringComparison.OrdinalIgnoreCase))) return next(context);
            if (port == 0) port = options.Port != 0 ? options.Port : BoundHttpsPort(app);
            var host = request.Host.HasValue ? request.Host.Host : context.Connection.LocalIpAddress?.ToString() ?? "localhost";
            if (host.Contains(':') && !host.StartsWith('[')) host = $"[{host}]";
            var target = port == 443 ? new HostString(host) : new HostString(host, port);
            context.Response.StatusCode = StatusCodes.Status307TemporaryRedirect;
            context.Response.Headers.Location = UriHelper.BuildAbsolute("https", target, request.PathBase, request.Path, request.QueryString);
            return Task.CompletedTask;
        });
    }

    private static int BoundHttpsPort(WebApplication app)
    {
        var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses ?? [];
        var https = addresses.Select(BindingAddress.Parse).FirstOrDefault(a => a.Scheme == Uri.UriSchemeHttps);
        return https?.Port ?? 443;
    }
}

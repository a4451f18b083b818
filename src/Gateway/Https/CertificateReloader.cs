using System.Net.Security;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace OpenChat.Gateway.Https;

/// <summary>The certificate new HTTPS connections get; <see cref="CertificateReloader"/> replaces it when its files change.</summary>
public sealed class ServedCertificate(WebCertificate initial)
{
    private volatile Served _served = new(initial, Context(initial));

    public WebCertificate Certificate => _served.Certificate;

    /// <summary>What a TLS handshake presents: the certificate with its intermediates.</summary>
    public SslStreamCertificateContext HandshakeContext => _served.HandshakeContext;

    public void Replace(WebCertificate next) => _served = new Served(next, Context(next));

    private static SslStreamCertificateContext Context(WebCertificate certificate) =>
        SslStreamCertificateContext.Create(certificate.Certificate, certificate.Chain, offline: true);

    private sealed record Served(WebCertificate Certificate, SslStreamCertificateContext HandshakeContext);
}

/// <summary>
/// Looks at the PEM files of <c>OpenChat:Https:Mode=pem</c> every <see cref="HttpsOptions.ReloadInterval"/> and
/// serves the new pair once both read as a valid pair (a renewal by certbot, say); until then, and when the new
/// files are not a valid pair, it keeps serving the previous certificate and says why once.
/// </summary>
public sealed class CertificateReloader(HttpsOptions options, ServedCertificate served, ILogger<CertificateReloader> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var seen = Stamp();
        using var timer = new PeriodicTimer(options.ReloadInterval);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            var stamp = Stamp();
            if (stamp == seen) continue;
            seen = stamp;
            try
            {
                var next = WebCertificate.Load(options, "", DateTimeOffset.UtcNow);
                var previous = served.Certificate.Fingerprint;
                if (next.Fingerprint == previous) continue;
                served.Replace(next);
                logger.LogInformation("HTTPS: the certificate files changed; now serving {Subject}, valid until {NotAfter:u}, SHA-256 fingerprint {Fingerprint} (was {Previous}).",
                    next.Certificate.Subject, next.Certificate.NotAfter.ToUniversalTime(), next.Fingerprint, previous);
            }
            catch (ArgumentException e)
            {
                logger.LogWarning("HTTPS: the certificate files changed but cannot be served, so the previous certificate {Fingerprint} stays: {Reason}",
                    served.Certificate.Fingerprint, e.Message);
            }
        }
    }

    /// <summary>When and how large the files are (through symbolic links); a change means a look.</summary>
    private string Stamp() => string.Join('|', new[] { options.CertificatePath, options.KeyPath }
        .Where(p => !string.IsNullOrWhiteSpace(p))
        .Select(p =>
        {
            var file = new FileInfo(p!);
            return file.Exists ? $"{file.LastWriteTimeUtc.Ticks}:{file.Length}" : "missing";
        }));
}

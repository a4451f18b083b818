namespace OpenChat.Gateway.Https;

/// <summary>
/// HTTPS served by the gateway itself (<c>OpenChat:Https</c>), for a host without a reverse proxy: a PEM certificate
/// and key of the operator's, or a self-signed certificate the server makes once and keeps in its data directory.
/// Off by default: behind a proxy or an ingress, TLS ends there.
/// </summary>
public sealed class HttpsOptions
{
    public const string Section = "OpenChat:Https";

    public const string Off = "off";
    public const string Pem = "pem";
    public const string SelfSigned = "self-signed";

    /// <summary>
    /// <c>off</c>, <c>pem</c> (<see cref="CertificatePath"/> and <see cref="KeyPath"/>) or <c>self-signed</c>
    /// (made on first start, kept in the data directory). Unset: <c>pem</c> when a certificate path is set, else off.
    /// </summary>
    public string? Mode { get; set; }

    /// <summary>The certificate (PEM), with its intermediates after it if a CA issued it.</summary>
    public string? CertificatePath { get; set; }

    /// <summary>The certificate's private key (PEM, unencrypted); unset when it is in <see cref="CertificatePath"/> too.</summary>
    public string? KeyPath { get; set; }

    /// <summary>
    /// Host names and IP addresses a self-signed certificate covers. Unset: this machine's host name and non-loopback
    /// addresses, <c>localhost</c>, <c>127.0.0.1</c> and <c>::1</c>.
    /// </summary>
    public string[]? Names { get; set; }

    /// <summary>
    /// The HTTPS port, on the addresses of the HTTP URLs (<c>Urls</c>); 443 needs root or CAP_NET_BIND_SERVICE.
    /// 0 picks a free one.
    /// </summary>
    public int Port { get; set; } = 8443;

    /// <summary>How often the PEM files are looked at for a new certificate (a renewal); zero: only at start.</summary>
    public TimeSpan ReloadInterval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Sends <c>Strict-Transport-Security</c> (one year) on HTTPS responses; not with a self-signed certificate.</summary>
    public bool Hsts { get; set; }

    public string EffectiveMode => string.IsNullOrWhiteSpace(Mode)
        ? string.IsNullOrWhiteSpace(CertificatePath) ? Off : Pem
        : Mode.Trim().ToLowerInvariant();

    public bool Enabled => EffectiveMode != Off;

    public void Validate()
    {
        var mode = EffectiveMode;
        if (mode is not (Off or Pem or SelfSigned))
            throw new ArgumentException($"OpenChat:Https:Mode: '{Mode}' must be {Off}, {Pem} or {SelfSigned}.");
        if (!Enabled) return;
        if (Port is < 0 or > 65535) throw new ArgumentException("OpenChat:Https:Port must be 1 to 65535 (0 picks a free port).");
        if (ReloadInterval != TimeSpan.Zero && ReloadInterval < TimeSpan.FromSeconds(1))
            throw new ArgumentException("OpenChat:Https:ReloadInterval must be 0 (never) or at least 00:00:01.");
        if (mode == Pem && string.IsNullOrWhiteSpace(CertificatePath))
            throw new ArgumentException("OpenChat:Https:Mode is pem but OpenChat:Https:CertificatePath is not set: name the certificate's PEM file (and its key in OpenChat:Https:KeyPath).");
        if (mode == SelfSigned && !string.IsNullOrWhiteSpace(CertificatePath))
            throw new ArgumentException("OpenChat:Https:Mode is self-signed but OpenChat:Https:CertificatePath is set too: use one or the other.");
        if (mode == SelfSigned && Hsts)
            throw new ArgumentException(
                "OpenChat:Https:Hsts is set with a self-signed certificate: browsers would then refuse the site outright instead of " +
                "letting people accept the certificate. Use HSTS only with a certificate a public CA issued (OpenChat:Https:Mode=pem).");
        foreach (var name in Names ?? [])
        {
            if (SelfSignedCertificate.ParseName(name) is null)
                throw new ArgumentException($"OpenChat:Https:Names: '{name}' is neither a host name nor an IP address.");
        }
    }
}

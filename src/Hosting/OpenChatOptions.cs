using OpenChat.Protocol.Cluster;

namespace OpenChat.Hosting;

/// <summary>Settings every node has, whatever its roles; bound from the <c>OpenChat</c> configuration section.</summary>
public sealed class OpenChatOptions
{
    public const string Section = "OpenChat";

    /// <summary>The roles of this process. Empty means all of them (the all-in-one server).</summary>
    public string[]? Roles { get; set; }

    /// <summary>Where the all-in-one server keeps its SQLite file and generated keys.</summary>
    public string DataDirectory { get; set; } = "data";

    public ClusterSettings Cluster { get; set; } = new();

    /// <summary>The management listener: metrics and health for Prometheus and orchestrators, never the public port.</summary>
    public ManagementSettings Management { get; set; } = new();

    /// <summary>Traces and the log format.</summary>
    public TelemetrySettings Telemetry { get; set; } = new();

    public string[] EffectiveRoles => Roles is { Length: > 0 } r
        ? r.Select(x => x.Trim().ToLowerInvariant()).Where(x => x.Length > 0).Distinct().ToArray()
        : OpenChatRoles.All;

    public bool HasRole(string role) => EffectiveRoles.Contains(role);

    public void Validate()
    {
        foreach (var role in EffectiveRoles)
        {
            if (!OpenChatRoles.All.Contains(role))
                throw new ArgumentException($"Unknown role '{role}'. Roles are: {string.Join(", ", OpenChatRoles.All)}.");
        }
        Cluster.Validate();
        Management.Validate();
        Telemetry.Validate();
    }
}

/// <summary>
/// The management listener (<c>OpenChat:Management</c>): <c>/metrics</c> in the Prometheus text format and the health
/// endpoints, on an address and port of their own so that they are never served to the public by accident.
/// </summary>
public sealed class ManagementSettings
{
    /// <summary>The address the management listener binds to; loopback unless an operator opens it (a pod's 0.0.0.0).</summary>
    public string Address { get; set; } = "127.0.0.1";

    /// <summary>The management port; 0 turns the listener off.</summary>
    public int Port { get; set; }

    public bool Enabled => Port != 0;

    public void Validate()
    {
        if (Port is < 0 or > 65535) throw new ArgumentException("OpenChat:Management:Port must be 0 (off) or 1 to 65535.");
        if (Enabled && !System.Net.IPAddress.TryParse(Address.Trim('[', ']'), out _))
            throw new ArgumentException($"OpenChat:Management:Address: '{Address}' is not an IP address (for example 127.0.0.1, 0.0.0.0 or ::).");
    }
}

/// <summary>Traces and logs (<c>OpenChat:Telemetry</c>).</summary>
public sealed class TelemetrySettings
{
    /// <summary>
    /// Where traces go over OTLP (a collector such as <c>http://otel-collector:4317</c>); unset, no trace is recorded
    /// or exported.
    /// </summary>
    public string? OtlpEndpoint { get; set; }

    /// <summary>The OTLP transport: <c>grpc</c> (port 4317 by convention) or <c>http</c> (HTTP/protobuf, port 4318).</summary>
    public string OtlpProtocol { get; set; } = "grpc";

    /// <summary>The console log format: <c>text</c> for people, <c>json</c> (one object per line) for log collectors.</summary>
    public string LogFormat { get; set; } = "text";

    public bool TracesEnabled => !string.IsNullOrWhiteSpace(OtlpEndpoint);

    public bool JsonLogs => string.Equals(LogFormat, "json", StringComparison.OrdinalIgnoreCase);

    public void Validate()
    {
        if (TracesEnabled && (!Uri.TryCreate(OtlpEndpoint, UriKind.Absolute, out var uri) || (uri.Scheme != "http" && uri.Scheme != "https")))
            throw new ArgumentException($"OpenChat:Telemetry:OtlpEndpoint: '{OtlpEndpoint}' must be an http:// or https:// address.");
        if (!string.Equals(OtlpProtocol, "grpc", StringComparison.OrdinalIgnoreCase) && !string.Equals(OtlpProtocol, "http", StringComparison.OrdinalIgnoreCase))
            throw new ArgumentException($"OpenChat:Telemetry:OtlpProtocol: '{OtlpProtocol}' must be grpc or http.");
        if (!JsonLogs && !string.Equals(LogFormat, "text", StringComparison.OrdinalIgnoreCase))
            throw new ArgumentException($"OpenChat:Telemetry:LogFormat: '{LogFormat}' must be text or json.");
    }
}

/// <summary>How this node reaches and is reached by the other nodes.</summary>
public sealed class ClusterSettings
{
    private const string PlainScheme = "akka.tcp://";
    private const string TlsScheme = "akka.ssl.tcp://";

    /// <summary>The address remoting binds to.</summary>
    public string Hostname { get; set; } = "127.0.0.1";

    /// <summary>The remoting port; 0 picks a free one (fine for a node that seeds itself).</summary>
    public int Port { get; set; }

    /// <summary>The address other nodes use to reach this one (a pod's DNS name, say); defaults to <see cref="Hostname"/>.</summary>
    public string? PublicHostname { get; set; }

    /// <summary>
    /// Seed node addresses (<c>akka.tcp://openchat@host:port</c>; with a certificate they are used as
    /// <c>akka.ssl.tcp://</c>). Empty: this node forms a cluster of its own.
    /// </summary>
    public string[]? SeedNodes { get; set; }

    /// <summary>Channel shards; must be the same on every node.</summary>
    public int ShardCount { get; set; } = 100;

    /// <summary>The cluster certificate: with it, remoting runs over mutually authenticated TLS.</summary>
    public ClusterCertificateSettings Certificate { get; set; } = new();

    /// <summary>Lets a multi-host node run remoting as plain TCP without a certificate. Anyone who reaches the port can join.</summary>
    public bool AllowInsecureTransport { get; set; }

    /// <summary>Whether remoting runs over TLS: whenever a certificate is configured.</summary>
    public bool UsesTls => !string.IsNullOrWhiteSpace(Certificate.Path);

    /// <summary>
    /// Whether other machines take part: the node binds or advertises an address that is not loopback, or a seed
    /// is not on loopback. Such a node needs the cluster certificate.
    /// </summary>
    public bool IsMultiHost =>
        !IsLoopback(Hostname)
        || (!string.IsNullOrWhiteSpace(PublicHostname) && !IsLoopback(PublicHostname))
        || (SeedNodes ?? []).Any(seed => !IsLoopback(SeedHost(seed).Host));

    /// <summary>The seeds as remoting must see them: <c>akka.tcp://</c> becomes <c>akka.ssl.tcp://</c> when TLS is on.</summary>
    public string[] EffectiveSeedNodes => (SeedNodes ?? [])
        .Select(seed => UsesTls && seed.StartsWith(PlainScheme, StringComparison.Ordinal) ? TlsScheme + seed[PlainScheme.Length..] : seed)
        .ToArray();

    /// <summary>
    /// Whether a seed names a node other than this one. Such a node shares the cluster's channels with other
    /// nodes, so a journal file of its own would fork history.
    /// </summary>
    public bool SeedsNameOtherNodes
    {
        get
        {
            // Seeds write an IPv6 host in brackets, the hostname settings without.
            var self = (PublicHostname is { Length: > 0 } p ? p : Hostname).Trim('[', ']');
            return (SeedNodes ?? []).Any(seed =>
            {
                var (host, port) = SeedHost(seed);
                host = host.Trim('[', ']');
                var sameHost = string.Equals(host, self, StringComparison.OrdinalIgnoreCase) || (IsLoopback(host) && IsLoopback(self));
                return !(sameHost && Port != 0 && port == Port);
            });
        }
    }

    public void Validate()
    {
        if (Port is < 0 or > 65535) throw new ArgumentOutOfRangeException(nameof(Port), "0 to 65535");
        if (string.IsNullOrWhiteSpace(Hostname)) throw new ArgumentException("OpenChat:Cluster:Hostname is required.");
        if (ShardCount is < 1 or > 10_000) throw new ArgumentOutOfRangeException(nameof(ShardCount), "1 to 10000");
        foreach (var seed in SeedNodes ?? [])
        {
            var scheme = seed.StartsWith(TlsScheme, StringComparison.Ordinal) ? TlsScheme : PlainScheme;
            if (!seed.StartsWith(scheme + AkkaSetup.SystemName + "@", StringComparison.Ordinal) || SeedHost(seed).Port is < 1 or > 65535)
                throw new ArgumentException($"OpenChat:Cluster:SeedNodes: '{seed}' must look like akka.tcp://{AkkaSetup.SystemName}@host:port.");
            if (scheme == TlsScheme && !UsesTls)
                throw new ArgumentException($"OpenChat:Cluster:SeedNodes: '{seed}' is a TLS address, but OpenChat:Cluster:Certificate:Path is not set.");
        }
        Certificate.Validate();
        if (IsMultiHost && !UsesTls && !AllowInsecureTransport)
            throw new ArgumentException(
                "This node is configured for a cluster across machines (OpenChat:Cluster:Hostname, PublicHostname or a seed " +
                "is not a loopback address) but has no cluster certificate, so anyone who reaches the cluster port could join it. " +
                "Create one with 'dotnet OpenChat.Server.dll cluster-cert --out cluster.pfx', give the same file to every node " +
                "and set OpenChat:Cluster:Certificate:Path (and :Password). To run without one on a network you trust, set " +
                "OpenChat:Cluster:AllowInsecureTransport=true.");
    }

    /// <summary>Loopback: <c>localhost</c> or an address in 127.0.0.0/8 or ::1.</summary>
    public static bool IsLoopback(string host) =>
        string.Equals(host, "localhost", StringComparison.OrdinalIgnoreCase)
        || (System.Net.IPAddress.TryParse(host.Trim('[', ']'), out var address) && System.Net.IPAddress.IsLoopback(address));

    /// <summary>The host and port of a seed address (<c>scheme://system@host:port</c>); port 0 when it has none.</summary>
    public static (string Host, int Port) SeedHost(string seed)
    {
        var at = seed.IndexOf('@');
        var hostPort = at < 0 ? seed : seed[(at + 1)..].TrimEnd('/');
        var colon = hostPort.LastIndexOf(':');
        if (colon < 0 || !int.TryParse(hostPort[(colon + 1)..], out var port)) return (hostPort, 0);
        return (hostPort[..colon], port);
    }
}

/// <summary>The certificate every node of the cluster presents and accepts (<c>OpenChat:Cluster:Certificate</c>).</summary>
public sealed class ClusterCertificateSettings
{
    /// <summary>A PKCS#12 file with the certificate and its private key (made by <c>cluster-cert</c>).</summary>
    public string? Path { get; set; }

    /// <summary>The file's password.</summary>
    public string? Password { get; set; }

    /// <summary>
    /// SHA-256 fingerprints (hex) of further certificates peers may present, besides this node's own: the next
    /// certificate while it is rolled out, or the previous one until every node has the new one.
    /// </summary>
    public string[]? AcceptedFingerprints { get; set; }

    public void Validate()
    {
        foreach (var fingerprint in AcceptedFingerprints ?? [])
        {
            if (ClusterCertificate.NormaliseFingerprint(fingerprint) is null)
                throw new ArgumentException($"OpenChat:Cluster:Certificate:AcceptedFingerprints: '{fingerprint}' is not a SHA-256 fingerprint (64 hex digits).");
        }
    }
}

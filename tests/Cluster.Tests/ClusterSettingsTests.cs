using Microsoft.Extensions.Logging;
using OpenChat.Hosting;
using OpenChat.Server;
using OpenChat.TestSupport;
using Xunit;

namespace OpenChat.Cluster.Tests;

/// <summary>The rules that decide how a node's cluster transport is set up, and the messages that refuse a bad setup.</summary>
public sealed class ClusterSettingsTests
{
    private static ClusterSettings Settings(string hostname = "127.0.0.1", int port = 4053, string? publicHostname = null,
        string[]? seeds = null, string? certificate = null, bool allowInsecure = false) => new()
    {
        Hostname = hostname,
        Port = port,
        PublicHostname = publicHostname,
        SeedNodes = seeds,
        Certificate = new ClusterCertificateSettings { Path = certificate },
        AllowInsecureTransport = allowInsecure,
    };

    [Theory]
    [InlineData("127.0.0.1", null, "akka.tcp://openchat@127.0.0.1:4053", false)]
    [InlineData("127.0.11.7", null, "akka.tcp://openchat@localhost:4053", false)]
    [InlineData("::1", "localhost", "akka.tcp://openchat@[::1]:4053", false)]
    [InlineData("0.0.0.0", null, "akka.tcp://openchat@127.0.0.1:4053", true)]
    [InlineData("10.0.0.5", null, "akka.tcp://openchat@127.0.0.1:4053", true)]
    [InlineData("127.0.0.1", "openchat-0.openchat", "akka.tcp://openchat@127.0.0.1:4053", true)]
    [InlineData("127.0.0.1", null, "akka.tcp://openchat@openchat-0.openchat:4053", true)]
    [InlineData("127.0.0.1", null, "akka.tcp://openchat@192.168.1.20:4053", true)]
    public void A_node_is_multi_host_when_it_binds_advertises_or_seeds_an_address_off_loopback(
        string hostname, string? publicHostname, string seed, bool multiHost) =>
        Assert.Equal(multiHost, Settings(hostname, publicHostname: publicHostname, seeds: [seed]).IsMultiHost);

    [Fact]
    public void The_all_in_one_server_and_loopback_clusters_need_no_certificate()
    {
        new OpenChatOptions().Validate();
        Settings(seeds: ["akka.tcp://openchat@127.0.0.1:4053", "akka.tcp://openchat@127.0.0.1:4054"]).Validate();
    }

    [Fact]
    public void A_multi_host_node_without_a_certificate_is_refused_with_the_way_out()
    {
        var error = Assert.Throws<ArgumentException>(() => Settings("0.0.0.0", seeds: ["akka.tcp://openchat@openchat-0:4053"]).Validate());
        Assert.Contains("cluster-cert --out cluster.pfx", error.Message);
        Assert.Contains("OpenChat:Cluster:Certificate:Path", error.Message);
        Assert.Contains("OpenChat:Cluster:AllowInsecureTransport=true", error.Message);
    }

    [Fact]
    public void A_multi_host_node_starts_with_a_certificate_or_the_explicit_insecure_switch()
    {
        Settings("0.0.0.0", seeds: ["akka.tcp://openchat@openchat-0:4053"], certificate: "/etc/openchat/cluster.pfx").Validate();
        Settings("0.0.0.0", seeds: ["akka.tcp://openchat@openchat-0:4053"], allowInsecure: true).Validate();
    }

    [Fact]
    public void Seeds_are_rewritten_to_the_TLS_scheme_when_a_certificate_is_set()
    {
        string[] seeds = ["akka.tcp://openchat@openchat-0:4053", "akka.ssl.tcp://openchat@openchat-1:4053"];
        Assert.Equal(["akka.ssl.tcp://openchat@openchat-0:4053", "akka.ssl.tcp://openchat@openchat-1:4053"],
            Settings(seeds: seeds, certificate: "cluster.pfx").EffectiveSeedNodes);
        Assert.Equal(["akka.tcp://openchat@127.0.0.1:4053"], Settings(seeds: ["akka.tcp://openchat@127.0.0.1:4053"]).EffectiveSeedNodes);
    }

    [Fact]
    public void A_TLS_seed_without_a_certificate_is_refused()
    {
        var error = Assert.Throws<ArgumentException>(() => Settings(seeds: ["akka.ssl.tcp://openchat@127.0.0.1:4053"]).Validate());
        Assert.Contains("OpenChat:Cluster:Certificate:Path", error.Message);
    }

    [Theory]
    [InlineData("akka.tcp://other@127.0.0.1:4053")]
    [InlineData("akka.udp://openchat@127.0.0.1:4053")]
    [InlineData("akka.tcp://openchat@127.0.0.1")]
    public void A_malformed_seed_is_refused(string seed) =>
        Assert.Throws<ArgumentException>(() => Settings(seeds: [seed]).Validate());

    [Fact]
    public void An_accepted_fingerprint_must_be_SHA_256_hex()
    {
        var settings = Settings(certificate: "cluster.pfx");
        settings.Certificate.AcceptedFingerprints = [new string('A', 64), "AB:CD"];
        var error = Assert.Throws<ArgumentException>(settings.Validate);
        Assert.Contains("AB:CD", error.Message);
        Assert.Equal(new string('A', 64), ClusterCertificate.NormaliseFingerprint(string.Join(':', Enumerable.Repeat("aa", 32))));
    }

    [Theory]
    [InlineData(4053, new[] { "akka.tcp://openchat@127.0.0.1:4053" }, false)]
    [InlineData(4053, new[] { "akka.tcp://openchat@localhost:4053" }, false)]
    [InlineData(4053, new[] { "akka.tcp://openchat@127.0.0.1:4053", "akka.tcp://openchat@127.0.0.1:4054" }, true)]
    [InlineData(4054, new[] { "akka.tcp://openchat@127.0.0.1:4053" }, true)]
    [InlineData(0, new[] { "akka.tcp://openchat@127.0.0.1:4053" }, true)]
    [InlineData(4053, new string[0], false)]
    public void Seeds_name_other_nodes_unless_the_only_seed_is_this_node(int port, string[] seeds, bool others) =>
        Assert.Equal(others, Settings(port: port, seeds: seeds).SeedsNameOtherNodes);

    [Fact]
    public void A_channels_node_on_SQLite_with_other_seeds_is_refused_and_told_to_use_PostgreSql()
    {
        var error = Assert.Throws<ArgumentException>(() => OpenChatServer.Build([
            "--OpenChat:Roles:0=channels",
            "--OpenChat:DataDirectory=" + Probe.NewTempDirectory("sqlite-refused"),
            "--OpenChat:Cluster:Port=4054",
            "--OpenChat:Cluster:SeedNodes:0=akka.tcp://openchat@127.0.0.1:4053",
        ]));
        Assert.Contains("OpenChat:Persistence:Provider=PostgreSql", error.Message);
        Assert.Contains("OpenChat__Persistence__ConnectionString", error.Message);
    }

    [Fact]
    public async Task The_insecure_switch_is_logged_loudly_and_a_certificate_is_announced_by_its_fingerprint()
    {
        var logged = new LogCapture();
        await using (OpenChatServer.Build([
            "--OpenChat:Roles:0=gateway",
            "--OpenChat:DataDirectory=" + Probe.NewTempDirectory("insecure"),
            "--OpenChat:Cluster:Hostname=0.0.0.0",
            "--OpenChat:Cluster:AllowInsecureTransport=true",
        ], b => b.Logging.AddProvider(logged)))
        {
            var warning = Assert.Single(logged.Lines, l => l.Contains("INSECURE CLUSTER TRANSPORT"));
            Assert.StartsWith("Warning", warning);
        }

        var folder = Probe.NewTempDirectory("secure");
        var certificate = TestCertificates.SelfSigned(folder, DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
        var quiet = new LogCapture();
        await using (OpenChatServer.Build([
            "--OpenChat:Roles:0=gateway",
            "--OpenChat:DataDirectory=" + folder,
            "--OpenChat:Cluster:Hostname=0.0.0.0",
            "--OpenChat:Cluster:Certificate:Path=" + certificate.Path,
            "--OpenChat:Cluster:Certificate:Password=" + certificate.Password,
        ], b => b.Logging.AddProvider(quiet)))
        {
            Assert.DoesNotContain(quiet.Lines, l => l.Contains("INSECURE"));
            Assert.Single(quiet.Lines, l => l.Contains(certificate.Fingerprint));
        }
    }

    /// <summary>Keeps what the server logs, level first.</summary>
    private sealed class LogCapture : Microsoft.Extensions.Logging.ILoggerProvider, Microsoft.Extensions.Logging.ILogger
    {
        private readonly System.Collections.Concurrent.ConcurrentQueue<string> _lines = new();

        public IReadOnlyCollection<string> Lines => _lines;

        public Microsoft.Extensions.Logging.ILogger CreateLogger(string categoryName) => this;

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(Microsoft.Extensions.Logging.LogLevel logLevel) => true;

        public void Log<TState>(Microsoft.Extensions.Logging.LogLevel logLevel, Microsoft.Extensions.Logging.EventId eventId, TState state,
            Exception? exception, Func<TState, Exception?, string> formatter) => _lines.Enqueue($"{logLevel}: {formatter(state, exception)}");

        public void Dispose()
        {
        }
    }

    [Fact]
    public void The_split_brain_resolver_keeps_the_majority_of_channels_nodes()
    {
        var resolver = AkkaSetup.SplitBrainResolver;
        Assert.Equal("keep-majority", resolver.ConfigPath);
        Assert.Equal("channels", resolver.Role);
    }

    [Fact]
    public void A_peer_is_accepted_only_with_the_cluster_certificate_or_an_accepted_one_and_only_while_it_is_valid()
    {
        var folder = Probe.NewTempDirectory("cluster-certs");
        var now = DateTimeOffset.UtcNow;
        var own = TestCertificates.SelfSigned(folder, now.AddDays(-1), now.AddDays(30));
        var next = TestCertificates.SelfSigned(folder, now.AddDays(-1), now.AddDays(60));
        var stranger = TestCertificates.SelfSigned(folder, now.AddDays(-1), now.AddDays(30));
        var cluster = ClusterCertificate.Load(
            new ClusterCertificateSettings { Path = own.Path, Password = own.Password, AcceptedFingerprints = [next.Fingerprint.ToLowerInvariant()] }, now);

        Assert.True(cluster.Accepts(Load(own), now, out _));
        Assert.True(cluster.Accepts(Load(next), now, out _));
        Assert.False(cluster.Accepts(Load(stranger), now, out var reason));
        Assert.Contains(stranger.Fingerprint, reason);
        Assert.False(cluster.Accepts(null, now, out _));
        Assert.False(cluster.Accepts(Load(own), now.AddDays(31), out reason));
        Assert.Contains("not now", reason);
    }

    [Fact]
    public void An_expired_or_unreadable_certificate_is_refused_at_start()
    {
        var folder = Probe.NewTempDirectory("cluster-certs");
        var now = DateTimeOffset.UtcNow;
        var expired = TestCertificates.SelfSigned(folder, now.AddDays(-30), now.AddDays(-1));
        var error = Assert.Throws<ArgumentException>(() =>
            ClusterCertificate.Load(new ClusterCertificateSettings { Path = expired.Path, Password = expired.Password }, now));
        Assert.Contains("not now", error.Message);
        error = Assert.Throws<ArgumentException>(() =>
            ClusterCertificate.Load(new ClusterCertificateSettings { Path = expired.Path, Password = "wrong" }, now));
        Assert.Contains("OpenChat:Cluster:Certificate:Password", error.Message);
        error = Assert.Throws<ArgumentException>(() =>
            ClusterCertificate.Load(new ClusterCertificateSettings { Path = Path.Combine(folder, "missing.pfx") }, now));
        Assert.Contains("does not exist", error.Message);
    }

    [Fact]
    public void The_cluster_cert_command_writes_a_certificate_for_client_and_server_authentication()
    {
        var folder = Probe.NewTempDirectory("cluster-cert-command");
        var path = Path.Combine(folder, "cluster.pfx");
        var output = new StringWriter();
        Assert.Equal(0, ClusterCertCommand.Run(["--out", path, "--days", "10", "--password", "secret"], output, TextWriter.Null));
        var cluster = ClusterCertificate.Load(new ClusterCertificateSettings { Path = path, Password = "secret" }, DateTimeOffset.UtcNow);
        Assert.Contains(cluster.Fingerprint, output.ToString());
        Assert.InRange(cluster.Certificate.NotAfter - DateTime.Now, TimeSpan.FromDays(9), TimeSpan.FromDays(10));
        var usages = cluster.Certificate.Extensions.OfType<System.Security.Cryptography.X509Certificates.X509EnhancedKeyUsageExtension>().Single().EnhancedKeyUsages;
        Assert.Equal(["1.3.6.1.5.5.7.3.1", "1.3.6.1.5.5.7.3.2"], usages.Cast<System.Security.Cryptography.Oid>().Select(o => o.Value));
        Assert.NotEqual(0, ClusterCertCommand.Run(["--out", path], TextWriter.Null, TextWriter.Null));
        Assert.NotEqual(0, ClusterCertCommand.Run(["--days", "0", "--out", path + "2"], TextWriter.Null, TextWriter.Null));
    }

    private static System.Security.Cryptography.X509Certificates.X509Certificate2 Load(TestCertificate certificate) =>
        System.Security.Cryptography.X509Certificates.X509CertificateLoader.LoadPkcs12FromFile(certificate.Path, certificate.Password);
}

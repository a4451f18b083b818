namespace OpenChat.Kubernetes.Tests.Simulation;

/// <summary>
/// Stands in for the official <c>postgres</c> image with Debian's PostgreSQL server, configured as that image's
/// entrypoint configures itself from the container's environment: on an empty <c>PGDATA</c>, <c>initdb</c> with
/// <c>POSTGRES_USER</c> as the superuser and <c>POSTGRES_PASSWORD</c> as its password, password authentication for
/// connections over the network, the database <c>POSTGRES_DB</c>; then the server listening on every address.
/// Debian's server refuses to run under a user id without an account, so it runs as Debian's <c>postgres</c> account
/// rather than the manifest's <c>runAsUser</c> (docs/kubernetes.md lists this).
/// </summary>
internal static class PostgresImage
{
    public const string Account = "postgres";

    public static string Bin { get; } = Directory.GetDirectories("/usr/lib/postgresql").OrderDescending()
        .Select(d => Path.Combine(d, "bin")).FirstOrDefault(d => File.Exists(Path.Combine(d, "postgres")))
        ?? throw new InvalidOperationException("Debian's PostgreSQL server is missing: apt-get install -y postgresql");

    /// <summary>The shell commands that start the stand-in, run after the pod's volumes are mounted (as root).</summary>
    public static string Script(IReadOnlyDictionary<string, string> env, string dropPrivileges)
    {
        string Need(string name) => env.TryGetValue(name, out var v) && v.Length > 0
            ? v : throw new InvalidOperationException($"The postgres container needs {name} in its environment.");
        var data = env.GetValueOrDefault("PGDATA", "/var/lib/postgresql/data");
        var user = Need("POSTGRES_USER");
        var db = env.GetValueOrDefault("POSTGRES_DB", user);
        Need("POSTGRES_PASSWORD");
        var q = Quote;
        return $"""
            mkdir -p {q(data)} /var/run/postgresql
            chown {Account}: {q(data)} /var/run/postgresql
            chmod 700 {q(data)}
            if [ ! -s {q(data + "/PG_VERSION")} ]; then
              pw="$(mktemp)"; printf '%s' "$POSTGRES_PASSWORD" > "$pw"; chown {Account}: "$pw"
              {dropPrivileges} {Bin}/initdb -D {q(data)} -U {q(user)} --pwfile="$pw" --auth-local=trust --auth-host=scram-sha-256 >/dev/null
              rm -f "$pw"
              echo 'host all all 0.0.0.0/0 scram-sha-256' >> {q(data + "/pg_hba.conf")}
              echo 'CREATE DATABASE "{db}";' | {dropPrivileges} {Bin}/postgres --single -D {q(data)} postgres >/dev/null
            fi
            exec {dropPrivileges} {Bin}/postgres -D {q(data)} -c listen_addresses='*' -c unix_socket_directories=/var/run/postgresql
            """;
    }

    private static string Quote(string s) => "'" + s.Replace("'", "'\\''") + "'";
}

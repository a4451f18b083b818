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
    }
}

/// <summary>How this node reaches and is reached by the other nodes.</summary>
public sealed class ClusterSettings
{
    /// <summary>The address remoting binds to.</summary>
    public string Hostname { get; set; } = "127.0.0.1";

    /// <summary>The remoting port; 0 picks a free one (fine for a node that seeds itself).</summary>
    public int Port { get; set; }

    /// <summary>The address other nodes use to reach this one (a pod's DNS name, say); defaults to <see cref="Hostname"/>.</summary>
    public string? PublicHostname { get; set; }

    /// <summary>Seed node addresses (<c>akka.tcp://openchat@host:port</c>). Empty: this node forms a cluster of its own.</summary>
    public string[]? SeedNodes { get; set; }

    /// <summary>Channel shards; must be the same on every node.</summary>
    public int ShardCount { get; set; } = 100;

    public void Validate()
    {
        if (Port is < 0 or > 65535) throw new ArgumentOutOfRangeException(nameof(Port), "0 to 65535");
        if (string.IsNullOrWhiteSpace(Hostname)) throw new ArgumentException("OpenChat:Cluster:Hostname is required.");
        if (ShardCount is < 1 or > 10_000) throw new ArgumentOutOfRangeException(nameof(ShardCount), "1 to 10000");
        foreach (var seed in SeedNodes ?? [])
        {
            if (!seed.StartsWith("akka.tcp://" + AkkaSetup.SystemName + "@", StringComparison.Ordinal))
                throw new ArgumentException($"Seed node '{seed}' must look like akka.tcp://{AkkaSetup.SystemName}@host:port.");
        }
    }
}

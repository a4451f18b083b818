using OpenChat.Channels.Directory;

namespace OpenChat.Channels.Hosting;

/// <summary>The channels role's settings, bound from the <c>OpenChat</c> section (<c>OpenChat:Channels</c>, <c>OpenChat:Directory</c>, <c>OpenChat:Persistence</c>, <c>OpenChat:Audit</c>).</summary>
public sealed class ChannelsRoleOptions
{
    public PersistenceSettings Persistence { get; set; } = new();

    public ChannelOptions Channels { get; set; } = new();

    public DirectoryOptions Directory { get; set; } = new();

    /// <summary><c>OpenChat:Auth</c>: the accounts singleton's part of it.</summary>
    public Accounts.AccountsOptions Auth { get; set; } = new();

    /// <summary><c>OpenChat:Audit</c>: the audit log singleton.</summary>
    public Audit.AuditLogOptions Audit { get; set; } = new();

    public void Validate()
    {
        Persistence.Validate();
        Channels.Validate();
        Directory.Validate();
        Auth.Validate();
        Audit.Validate();
    }
}

/// <summary>Where channels keep their journal.</summary>
public sealed class PersistenceSettings
{
    /// <summary><c>Sqlite</c> (default, a file under the data directory) or <c>PostgreSql</c>.</summary>
    public string Provider { get; set; } = "Sqlite";

    /// <summary>Connection string; for SQLite it defaults to a file in the data directory.</summary>
    public string? ConnectionString { get; set; }

    public bool IsPostgres => string.Equals(Provider, "PostgreSql", StringComparison.OrdinalIgnoreCase)
                              || string.Equals(Provider, "Postgres", StringComparison.OrdinalIgnoreCase);

    public void Validate()
    {
        if (!IsPostgres && !string.Equals(Provider, "Sqlite", StringComparison.OrdinalIgnoreCase))
            throw new ArgumentException($"OpenChat:Persistence:Provider must be Sqlite or PostgreSql, not '{Provider}'.");
        if (IsPostgres && string.IsNullOrWhiteSpace(ConnectionString))
            throw new ArgumentException("OpenChat:Persistence:ConnectionString is required for PostgreSql.");
    }
}

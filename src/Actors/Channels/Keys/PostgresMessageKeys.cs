using Npgsql;

namespace OpenChat.Channels.Keys;

/// <summary>
/// Message keys in the PostgreSQL database of the journal, table <c>message_keys</c>. A deleted key's row is dead at
/// once and no query returns it; its bytes stay in the table's pages until VACUUM reclaims them (autovacuum does, in
/// time), and each delete asks for one on the table.
/// </summary>
public sealed class PostgresMessageKeys : MessageKeyStore
{
    private readonly NpgsqlDataSource _source;

    public PostgresMessageKeys(string connectionString)
    {
        _source = NpgsqlDataSource.Create(connectionString);
        using var command = _source.CreateCommand("CREATE TABLE IF NOT EXISTS message_keys (key_id TEXT PRIMARY KEY, key BYTEA NOT NULL);");
        command.ExecuteNonQuery();
    }

    protected override async Task WriteAsync(IReadOnlyList<(string KeyId, byte[] Key)> keys)
    {
        await using var command = _source.CreateCommand(
            "INSERT INTO message_keys (key_id, key) SELECT * FROM unnest(@ids, @keys) ON CONFLICT (key_id) DO UPDATE SET key = EXCLUDED.key;");
        command.Parameters.AddWithValue("ids", keys.Select(k => k.KeyId).ToArray());
        command.Parameters.AddWithValue("keys", keys.Select(k => k.Key).ToArray());
        await command.ExecuteNonQueryAsync();
    }

    public override async Task<IReadOnlyDictionary<string, byte[]>> GetAsync(IReadOnlyCollection<string> keyIds)
    {
        var found = new Dictionary<string, byte[]>();
        if (keyIds.Count == 0) return found;
        await using var command = _source.CreateCommand("SELECT key_id, key FROM message_keys WHERE key_id = ANY(@ids);");
        command.Parameters.AddWithValue("ids", keyIds.Distinct().ToArray());
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync()) found[reader.GetString(0)] = (byte[])reader[1];
        return found;
    }

    public override async Task RemoveAsync(string keyId)
    {
        await using (var command = _source.CreateCommand("DELETE FROM message_keys WHERE key_id = @id;"))
        {
            command.Parameters.AddWithValue("id", keyId);
            await command.ExecuteNonQueryAsync();
        }
        try
        {
            await using var vacuum = _source.CreateCommand("VACUUM message_keys;");
            await vacuum.ExecuteNonQueryAsync();
        }
        catch (PostgresException)
        {
            // Another VACUUM or a missing privilege: autovacuum reclaims the row in time.
        }
    }

    public override void Dispose()
    {
        base.Dispose();
        _source.Dispose();
    }
}

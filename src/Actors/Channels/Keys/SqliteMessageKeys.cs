using Microsoft.Data.Sqlite;

namespace OpenChat.Channels.Keys;

/// <summary>
/// Message keys in the all-in-one SQLite database, table <c>message_keys</c>. Every connection runs with
/// <c>PRAGMA secure_delete=ON</c>, so a destroyed key's bytes are overwritten with zeros in its page, and each delete
/// is followed by a <c>wal_checkpoint(TRUNCATE)</c>: the zeroed page replaces the old one in the database file and the
/// write-ahead log, which still held the key as it was written, is emptied.
/// </summary>
public sealed class SqliteMessageKeys : MessageKeyStore
{
    private readonly string _connectionString;
    private readonly SemaphoreSlim _gate = new(1, 1);

    public SqliteMessageKeys(string connectionString)
    {
        _connectionString = connectionString;
        using var connection = Open();
        Execute(connection, "CREATE TABLE IF NOT EXISTS message_keys (key_id TEXT NOT NULL PRIMARY KEY, key BLOB NOT NULL) WITHOUT ROWID;");
    }

    /// <summary>Checkpoints that found the log busy and were tried again (for tests and diagnostics).</summary>
    public int BusyCheckpoints { get; private set; }

    private SqliteConnection Open()
    {
        var connection = new SqliteConnection(_connectionString);
        connection.Open();
        Execute(connection, "PRAGMA secure_delete=ON;");
        return connection;
    }

    private static void Execute(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    protected override async Task WriteAsync(IReadOnlyList<(string KeyId, byte[] Key)> keys)
    {
        await _gate.WaitAsync();
        try
        {
            await using var connection = Open();
            await using var transaction = connection.BeginTransaction();
            await using var command = connection.CreateCommand();
            command.Transaction = transaction;
            command.CommandText = "INSERT OR REPLACE INTO message_keys (key_id, key) VALUES ($id, $key);";
            var id = command.Parameters.Add("$id", SqliteType.Text);
            var key = command.Parameters.Add("$key", SqliteType.Blob);
            foreach (var (keyId, bytes) in keys)
            {
                id.Value = keyId;
                key.Value = bytes;
                await command.ExecuteNonQueryAsync();
            }
            await transaction.CommitAsync();
        }
        finally
        {
            _gate.Release();
        }
    }

    public override async Task<IReadOnlyDictionary<string, byte[]>> GetAsync(IReadOnlyCollection<string> keyIds)
    {
        var found = new Dictionary<string, byte[]>();
        if (keyIds.Count == 0) return found;
        await using var connection = Open();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT key FROM message_keys WHERE key_id = $id;";
        var id = command.Parameters.Add("$id", SqliteType.Text);
        foreach (var keyId in keyIds.Distinct())
        {
            id.Value = keyId;
            if (await command.ExecuteScalarAsync() is byte[] key) found[keyId] = key;
        }
        return found;
    }

    public override async Task RemoveAsync(string keyId)
    {
        await _gate.WaitAsync();
        try
        {
            await using var connection = Open();
            await using (var command = connection.CreateCommand())
            {
                command.CommandText = "DELETE FROM message_keys WHERE key_id = $id;";
                command.Parameters.AddWithValue("$id", keyId);
                await command.ExecuteNonQueryAsync();
            }
            await CheckpointAsync(connection);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>
    /// Moves the log into the database file and empties it; tried again while other connections are writing or reading
    /// an older state (up to about 10 s), since the log holds the key until it is reset.
    /// </summary>
    private async Task CheckpointAsync(SqliteConnection connection)
    {
        for (var attempt = 0; attempt < 100; attempt++)
        {
            await using var command = connection.CreateCommand();
            command.CommandText = "PRAGMA wal_checkpoint(TRUNCATE);";
            await using var reader = await command.ExecuteReaderAsync();
            // One row: busy (1 when it could not finish), frames in the log, frames checkpointed; -1s outside WAL mode.
            if (!await reader.ReadAsync() || reader.GetInt32(0) == 0) return;
            BusyCheckpoints++;
            await Task.Delay(100);
        }
    }
}

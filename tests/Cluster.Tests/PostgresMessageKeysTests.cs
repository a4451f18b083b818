using Npgsql;
using OpenChat.Channels.Keys;
using OpenChat.TestSupport;
using Xunit;

namespace OpenChat.Cluster.Tests;

/// <summary>The message key store on a real PostgreSQL: keys written in batches, read back, and gone once removed.</summary>
public sealed class PostgresMessageKeysTests
{
    [Fact]
    public async Task Keys_are_stored_in_batches_read_back_and_no_longer_returned_once_removed()
    {
        await using var postgres = await PostgresServer.StartAsync();
        using var keys = new PostgresMessageKeys(postgres.ConnectionString);
        var written = Enumerable.Range(0, 50).Select(_ => (Id: MessageSealing.NewKeyId(), Key: MessageSealing.NewKey())).ToList();

        await Task.WhenAll(written.Select(k => keys.AddAsync(k.Id, k.Key)));

        var read = await keys.GetAsync(written.Select(k => k.Id).ToList());
        Assert.Equal(written.Select(k => Convert.ToHexString(k.Key)), written.Select(k => Convert.ToHexString(read[k.Id])));

        await keys.RemoveAsync(written[0].Id);
        var after = await keys.GetAsync(written.Select(k => k.Id).ToList());
        Assert.Equal(written.Count - 1, after.Count);
        Assert.False(after.ContainsKey(written[0].Id));

        // Nothing in the table holds the removed key any more, as a row or otherwise visible to a query.
        await using var connection = new NpgsqlConnection(postgres.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT count(*) FROM message_keys WHERE key = @key;", connection);
        command.Parameters.AddWithValue("key", written[0].Key);
        Assert.Equal(0L, (long)(await command.ExecuteScalarAsync())!);
    }
}

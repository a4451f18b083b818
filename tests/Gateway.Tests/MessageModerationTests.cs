using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Data.Sqlite;
using OpenChat.Channels.Keys;
using OpenChat.SimulatedClients.Network;
using OpenChat.TestSupport;
using Xunit;

namespace OpenChat.Gateway.Tests;

/// <summary>
/// Replies, edits, deletes and typing through the hub of a server on its SQLite store: every client sees each change
/// once, history after a reconnect reads as the channel now is, deleting another's message takes manage messages and is
/// audited, and a deleted message's text is gone from the API and from every file of the data directory.
/// </summary>
public sealed class MessageModerationTests : IAsyncLifetime
{
    private const string AdminKey = "moderation-tests-admin-key-0123456789abcdef";
    private const string Password = "moderation password 1";

    private InProcessServer _server = null!;
    private HttpClient _http = null!;

    public async Task InitializeAsync()
    {
        _server = await InProcessServer.StartAsync(new Dictionary<string, string?> { ["OpenChat:Auth:AdminKey"] = AdminKey });
        _http = SourceAddress.HttpClient(SourceAddress.Next());
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _server.DisposeAsync();
    }

    private static async Task<T> Next<T>(System.Threading.Channels.Channel<T> channel)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        return await channel.Reader.ReadAsync(cts.Token);
    }

    [Fact]
    public async Task Two_clients_each_see_an_edit_and_a_delete_once_and_history_after_reconnecting_shows_the_edit_without_the_deleted()
    {
        await using var alice = await Clients.ConnectAsync(_server.BaseUrl, "Alice");
        var bob = await Clients.ConnectAsync(_server.BaseUrl, "Bob");
        await alice.OpenChannelAsync("general");
        await bob.OpenChannelAsync("general");

        var first = await alice.PostAsync("general", $"hello <@{bob.Session.UserId}>");
        var doomed = await alice.PostAsync("general", "this goes away");
        var reply = await bob.ReplyAsync("general", first.Id, "hi back");
        foreach (var client in new[] { alice, bob })
            Assert.Equal([first.Id, doomed.Id, reply.Id], new[] { await Next(client.Messages), await Next(client.Messages), await Next(client.Messages) }.Select(m => m.Id));
        Assert.Equal(first.Id, reply.ReplyTo);
        Assert.Equal([(bob.Session.UserId, "Bob")], first.Mentions!.Select(m => (m.UserId, m.Name)));

        var edited = await alice.EditAsync("general", first.Id, "hello again");
        await alice.DeleteAsync("general", doomed.Id);
        var last = await alice.PostAsync("general", "after");

        foreach (var client in new[] { alice, bob })
        {
            var pushed = await Next(client.Edits);
            Assert.Equal((first.Id, "hello again"), (pushed.Id, pushed.Text));
            Assert.NotNull(pushed.EditedAt);
            Assert.Equal(("general", doomed.Id), await Next(client.Deletes));
            // The post after them arrives after them, and nothing is pushed twice.
            Assert.Equal(last.Id, (await Next(client.Messages)).Id);
            Assert.False(client.Edits.Reader.TryRead(out _));
            Assert.False(client.Deletes.Reader.TryRead(out _));
        }
        Assert.Equal(edited.EditedAt, (await alice.HistoryAsync("general")).Messages[0].EditedAt);

        await bob.DisposeAsync();
        await using var again = await Clients.ConnectAsync(_server.BaseUrl, "Bob", bob.Session);
        var view = await again.OpenChannelAsync("general");
        Assert.Equal([first.Id, reply.Id, last.Id], view.Messages.Select(m => m.Id));
        Assert.Equal("hello again", view.Messages[0].Text);
        var history = await again.HistoryAsync("general");
        Assert.Equal(["hello again", "hi back", "after"], history.Messages.Select(m => m.Text));
        Assert.NotNull(history.Messages[0].EditedAt);
        Assert.False(history.HasMore);

        // Deleting again is no error; a reply to the deleted message, or an edit of it, is refused.
        await alice.DeleteAsync("general", doomed.Id);
        Assert.Contains("unknown_message", (await Assert.ThrowsAsync<HubException>(() => again.ReplyAsync("general", doomed.Id, "to nothing"))).Message);
        Assert.Contains("unknown_message", (await Assert.ThrowsAsync<HubException>(() => alice.EditAsync("general", doomed.Id, "back"))).Message);
        Assert.Contains("forbidden", (await Assert.ThrowsAsync<HubException>(() => again.EditAsync("general", first.Id, "not mine"))).Message);
    }

    [Fact]
    public async Task Typing_reaches_the_other_clients_once_per_two_seconds_and_not_the_typist()
    {
        await using var alice = await Clients.ConnectAsync(_server.BaseUrl, "Alice");
        await using var bob = await Clients.ConnectAsync(_server.BaseUrl, "Bob");
        await alice.OpenChannelAsync("general");
        await bob.OpenChannelAsync("general");

        await alice.Connection.InvokeAsync("SendTyping", "general");
        await alice.Connection.InvokeAsync("SendTyping", "general");
        var marker = await alice.PostAsync("general", "done typing");

        Assert.Equal(("general", alice.Session.UserId, "Alice"), await Next(bob.Typing));
        // Bob's copy of the post arrives after any second typing event would have.
        Assert.Equal(marker.Id, (await Next(bob.Messages)).Id);
        Assert.False(bob.Typing.Reader.TryRead(out _));
        Assert.False(alice.Typing.Reader.TryRead(out _));
        Assert.Contains("wrong_channel_kind", (await Assert.ThrowsAsync<HubException>(() => alice.Connection.InvokeAsync("SendTyping", "lounge"))).Message);
    }

    [Fact]
    public async Task Only_the_author_or_a_member_with_manage_messages_deletes_a_message_and_a_moderators_delete_is_audited()
    {
        var author = await RegisterAsync("Author");
        var member = await RegisterAsync("Member");
        var moderator = await RegisterAsync("Moderator");
        var mods = await SendAsync(HttpMethod.Post, "/api/server/roles", AdminKey, new { name = "Mods", permissions = new[] { "manageMessages", "viewAuditLog" } });
        await SendAsync(HttpMethod.Put, $"/api/server/members/{moderator.UserId}/roles/{mods.GetProperty("id").GetString()}", AdminKey);

        await using var authorHub = await Clients.ConnectAsync(_server.BaseUrl, "Author", author);
        await using var memberHub = await Clients.ConnectAsync(_server.BaseUrl, "Member", member);
        await using var modHub = await Clients.ConnectAsync(_server.BaseUrl, "Moderator", moderator);
        var message = await authorHub.PostAsync("general", "rude words");
        var own = await authorHub.PostAsync("general", "my own mistake");

        var refused = await Assert.ThrowsAsync<HubException>(() => memberHub.DeleteAsync("general", message.Id, "I dislike it"));
        Assert.Contains("forbidden", refused.Message);
        Assert.Contains(message.Id, (await memberHub.HistoryAsync("general")).Messages.Select(m => m.Id));

        await modHub.DeleteAsync("general", message.Id, "keep it civil");
        await authorHub.DeleteAsync("general", own.Id);
        Assert.Empty((await memberHub.HistoryAsync("general")).Messages);

        var entries = await AuditLog.ReadUntilAsync(_server.BaseUrl, moderator.Token, "?action=message.delete", e => e.Length >= 1);
        var entry = Assert.Single(entries);
        Assert.Equal(moderator.UserId, entry.GetProperty("actor").GetProperty("id").GetString());
        Assert.Equal(("member", author.UserId), (entry.GetProperty("target").GetProperty("kind").GetString(), entry.GetProperty("target").GetProperty("id").GetString()));
        Assert.Equal("keep it civil", entry.GetProperty("reason").GetString());
    }

    [Fact]
    public async Task A_deleted_messages_text_is_found_neither_through_the_api_nor_in_any_file_of_the_data_directory()
    {
        await using var alice = await Clients.ConnectAsync(_server.BaseUrl, "Alice");
        var secret = "secret-marker-" + Guid.NewGuid().ToString("N");
        var kept = "kept-marker-" + Guid.NewGuid().ToString("N");
        var message = await alice.PostAsync("general", secret);
        await alice.PostAsync("general", kept);

        // Before the delete, the text is in the store: the journal's sealed text opens with the key in the key table.
        var (keyId, sealedText) = await SealedTextAsync(message.Id);
        var key = await KeyAsync(keyId);
        Assert.NotNull(key);
        Assert.Equal(secret, MessageSealing.Open(key, keyId, sealedText));
        Assert.Contains(DataFiles(), bytes => bytes.AsSpan().IndexOf(key) >= 0);
        // No file holds any text in plain, kept or not: only the key makes it readable.
        Assert.DoesNotContain(DataFiles(), bytes => Contains(bytes, secret) || Contains(bytes, kept));

        await alice.DeleteAsync("general", message.Id);

        var history = await alice.HistoryAsync("general");
        Assert.DoesNotContain(history.Messages, m => m.Text.Contains(secret, StringComparison.Ordinal) || m.Id == message.Id);
        Assert.Contains(history.Messages, m => m.Text == kept);
        Assert.Null(await KeyAsync(keyId));
        Assert.DoesNotContain(DataFiles(), bytes => bytes.AsSpan().IndexOf(key) >= 0 || Contains(bytes, secret));
        // The sealed text is still in the journal, and without its key nothing opens it.
        Assert.Equal(sealedText, (await SealedTextAsync(message.Id)).Sealed);
    }

    private static bool Contains(byte[] bytes, string text) =>
        bytes.AsSpan().IndexOf(Encoding.UTF8.GetBytes(text)) >= 0 || bytes.AsSpan().IndexOf(Encoding.Unicode.GetBytes(text)) >= 0;

    /// <summary>Every file under the data directory, each read whole (the database, its -wal, -shm and -journal files included).</summary>
    private List<byte[]> DataFiles()
    {
        var files = Directory.GetFiles(_server.DataDirectory, "*", SearchOption.AllDirectories);
        Assert.Contains(files, f => f.EndsWith("openchat.db", StringComparison.Ordinal));
        return files.Select(f =>
        {
            using var stream = new FileStream(f, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            using var copy = new MemoryStream();
            stream.CopyTo(copy);
            return copy.ToArray();
        }).ToList();
    }

    private SqliteConnection OpenDatabase()
    {
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder
        {
            DataSource = Path.Combine(_server.DataDirectory, "openchat.db"),
            Mode = SqliteOpenMode.ReadOnly,
            Pooling = false,
        }.ConnectionString);
        connection.Open();
        return connection;
    }

    private async Task<(string KeyId, byte[] Sealed)> SealedTextAsync(long id)
    {
        await using var connection = OpenDatabase();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT message FROM journal WHERE persistence_id = 'channel-general' AND sequence_number = $s;";
        command.Parameters.AddWithValue("$s", id);
        var payload = (byte[])(await command.ExecuteScalarAsync())!;
        using var json = JsonDocument.Parse(payload);
        return (json.RootElement.GetProperty("KeyId").GetString()!, json.RootElement.GetProperty("Sealed").GetBytesFromBase64());
    }

    private async Task<byte[]?> KeyAsync(string keyId)
    {
        await using var connection = OpenDatabase();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT key FROM message_keys WHERE key_id = $id;";
        command.Parameters.AddWithValue("$id", keyId);
        return await command.ExecuteScalarAsync() as byte[];
    }

    private Task<JsonElement> SendAsync(HttpMethod method, string path, string token, object? body = null) =>
        ApiCalls.OkJsonAsync(_http, _server.BaseUrl, method, path, token, body);

    private Task<SessionDto> RegisterAsync(string username) => ApiCalls.RegisterAsync(_http, _server.BaseUrl, username, Password);
}

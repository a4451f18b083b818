using Microsoft.AspNetCore.SignalR.Client;
using OpenChat.Server;
using OpenChat.TestSupport;
using Xunit;
using Xunit.Abstractions;

namespace OpenChat.Cluster.Tests;

/// <summary>
/// <c>backup</c> and <c>restore</c>: an all-in-one server's data folder copied while the server takes posts, and put
/// into a fresh folder for a second server, which then has the same history and accepts the tokens the first issued.
/// </summary>
[Collection(ProcessCollection.Name)]
public sealed class BackupTests(ITestOutputHelper output)
{
    /// <summary>Limits high enough for one client posting back to back.</summary>
    private static Dictionary<string, string> Settings(string data) => new()
    {
        ["OpenChat__DataDirectory"] = data,
        ["OpenChat__Gateway__PostsPerWindow"] = "100000",
        ["OpenChat__Gateway__UserPostsPerWindow"] = "100000",
        ["OpenChat__Gateway__CallsPerSecond"] = "100000",
        ["OpenChat__Gateway__UserHistoryPagesPerMinute"] = "100000",
        ["OpenChat__Channels__PostsPerUserWindow"] = "100000",
    };

    [Fact]
    public async Task A_backup_taken_while_posts_go_on_restores_into_a_server_with_that_history_and_the_same_signing_key()
    {
        var data = Probe.NewTempDirectory("backup-live");
        var backup = Path.Combine(Probe.NewTempDirectory("backup-target"), "openchat-backup.tar.gz");
        var restored = Path.Combine(Probe.NewTempDirectory("backup-restored"), "data");

        SessionDto aliceSession;
        string aliceId;
        List<MessageDto> before;
        MessageDto[] originalHistory;
        int ackedAtBackupStart, startedAtBackupEnd;
        var posted = new List<MessageDto>();
        await using (var server = ServerProcess.Start("original", Settings(data)))
        {
            await server.WaitReadyAsync();
            await using var alice = await ChatClient.ConnectAsync(server.BaseUrl, "Alice");
            aliceSession = alice.Session;
            aliceId = (await alice.Connection.InvokeAsync<UserDto>("Me")).Id;
            before = [];
            for (var i = 0; i < 20; i++) before.Add(await alice.PostAsync("general", $"before the backup {i}"));

            // Bob posts back to back, one post at a time, all through the backup.
            await using var bob = await ChatClient.ConnectAsync(server.BaseUrl, "Bob");
            var started = 0;
            using var stop = new CancellationTokenSource();
            var writer = Task.Run(async () =>
            {
                while (!stop.IsCancellationRequested)
                {
                    var n = Interlocked.Increment(ref started);
                    var message = await bob.PostAsync("general", $"during {n}");
                    lock (posted) posted.Add(message);
                }
            });
            int Acked()
            {
                lock (posted) return posted.Count;
            }

            await Probe.UntilAsync(() => Task.FromResult(Acked() >= 10 || writer.IsCompleted), TimeSpan.FromSeconds(30), "Bob's first posts");
            ackedAtBackupStart = Acked();
            var (exitCode, backupOutput) = await TestCertificates.RunServerCommandAsync(["backup", "--data", data, "--out", backup]);
            startedAtBackupEnd = Volatile.Read(ref started);
            output.WriteLine(backupOutput);
            Assert.Equal(0, exitCode);
            Assert.Contains("openchat.db", backupOutput);
            Assert.Contains("signing.key", backupOutput);
            var ackedAtBackupEnd = Acked();

            // The server went on taking posts during the backup and after it.
            await Probe.UntilAsync(() => Task.FromResult(Acked() >= ackedAtBackupEnd + 10 || writer.IsCompleted), TimeSpan.FromSeconds(30),
                "Bob's posts after the backup");
            await stop.CancelAsync();
            await writer; // throws if any post failed
            output.WriteLine($"Bob's posts: {ackedAtBackupStart} acknowledged before the backup started, " +
                $"{ackedAtBackupEnd - ackedAtBackupStart} while it ran, {posted.Count} in all");

            // The backup refuses to be restored over a folder that holds data (here: the running server's).
            var signingKey = await File.ReadAllBytesAsync(Path.Combine(data, "signing.key"));
            (exitCode, var refused) = await TestCertificates.RunServerCommandAsync(["restore", "--from", backup, "--data", data]);
            Assert.Equal(1, exitCode);
            Assert.Contains("is not empty", refused);
            Assert.Contains("--force", refused);
            Assert.Equal(signingKey, await File.ReadAllBytesAsync(Path.Combine(data, "signing.key")));

            originalHistory = await AllHistoryAsync(alice);
            Assert.Equal(before.Concat(posted).Select(Key), originalHistory.Select(Key));
            Assert.Equal(0, await server.StopAsync());
        }

        var (restoreExit, restoreOutput) = await TestCertificates.RunServerCommandAsync(["restore", "--from", backup, "--data", restored]);
        output.WriteLine(restoreOutput);
        Assert.Equal(0, restoreExit);

        await using var again = ServerProcess.Start("restored", Settings(restored));
        await again.WaitReadyAsync();
        // Alice's token, issued by the first server, is good on the restored one: the signing key came along.
        await using var aliceAgain = await ChatClient.ConnectAsync(again.BaseUrl, "Alice", aliceSession);
        Assert.Equal(aliceId, (await aliceAgain.Connection.InvokeAsync<UserDto>("Me")).Id);

        // The restored history is one moment of the original: everything acknowledged before the backup started,
        // then Bob's posts in order up to some point while it ran, and nothing posted after it ended.
        var history = await AllHistoryAsync(aliceAgain);
        var bobs = history.Length - before.Count;
        output.WriteLine($"The restored history holds {before.Count} posts of Alice and {bobs} of Bob's.");
        Assert.InRange(bobs, ackedAtBackupStart, startedAtBackupEnd);
        Assert.Equal(originalHistory.Take(history.Length).Select(Key), history.Select(Key));
        Assert.Equal(before.Select(Key), history.Take(before.Count).Select(Key));

        // The restored server carries on the history: a new post follows the restored ones.
        var next = await aliceAgain.PostAsync("general", "after the restore");
        Assert.True(next.Id > history[^1].Id, $"new id {next.Id} after restored id {history[^1].Id}");
    }

    [Fact]
    public async Task Backup_and_restore_name_what_is_wrong_with_their_arguments_and_restore_with_force_replaces_the_folder()
    {
        var data = Probe.NewTempDirectory("backup-args-data");
        var empty = Probe.NewTempDirectory("backup-args-empty");
        var elsewhere = Probe.NewTempDirectory("backup-args-out");

        var (exitCode, text) = await TestCertificates.RunServerCommandAsync(["backup", "--data", data]);
        Assert.Equal(2, exitCode);
        Assert.Contains("--out is required", text);
        Assert.Contains("usage: dotnet OpenChat.Server.dll backup", text);
        (exitCode, text) = await TestCertificates.RunServerCommandAsync(["restore", "--from"]);
        Assert.Equal(2, exitCode);
        Assert.Contains("unexpected or incomplete argument '--from'", text);

        var errors = new StringWriter();
        Assert.Equal(1, BackupCommand.Run(["--data", Path.Combine(empty, "missing"), "--out", Path.Combine(elsewhere, "a")], TextWriter.Null, errors));
        Assert.Contains("does not exist", errors.ToString());
        errors = new StringWriter();
        Assert.Equal(1, BackupCommand.Run(["--data", empty, "--out", Path.Combine(elsewhere, "b")], TextWriter.Null, errors));
        Assert.Contains("holds no OpenChat data", errors.ToString());

        // A data folder as a stopped server leaves it: a database and the key.
        await using (var server = ServerProcess.Start("backup-args", Settings(data)))
        {
            await server.WaitReadyAsync();
            await using var alice = await ChatClient.ConnectAsync(server.BaseUrl, "Alice");
            await alice.PostAsync("general", "kept");
            Assert.Equal(0, await server.StopAsync());
        }

        errors = new StringWriter();
        Assert.Equal(1, BackupCommand.Run(["--data", data, "--out", Path.Combine(data, "inside")], TextWriter.Null, errors));
        Assert.Contains("inside the data folder", errors.ToString());
        File.WriteAllText(Path.Combine(elsewhere, "something"), "x");
        errors = new StringWriter();
        Assert.Equal(1, BackupCommand.Run(["--data", data, "--out", elsewhere], TextWriter.Null, errors));
        Assert.Contains("not empty", errors.ToString());

        var folderBackup = Path.Combine(elsewhere, "backup");
        Assert.Equal(0, BackupCommand.Run(["--data", data, "--out", folderBackup], TextWriter.Null, TextWriter.Null));
        Assert.Equal(0, BackupCommand.Run(["--data", data, "--out", folderBackup + ".tgz"], TextWriter.Null, TextWriter.Null));
        errors = new StringWriter();
        Assert.Equal(1, BackupCommand.Run(["--data", data, "--out", folderBackup + ".tgz"], TextWriter.Null, errors));
        Assert.Contains("exists already", errors.ToString());

        errors = new StringWriter();
        Assert.Equal(1, RestoreCommand.Run(["--from", empty, "--data", Path.Combine(elsewhere, "x")], TextWriter.Null, errors));
        Assert.Contains("is not an OpenChat backup", errors.ToString());
        Assert.False(Directory.Exists(Path.Combine(elsewhere, "x")));

        // --force replaces everything, stale write-ahead log included; the restored folder serves the old message.
        var target = Probe.NewTempDirectory("backup-args-target");
        File.WriteAllText(Path.Combine(target, "openchat.db-wal"), "not a log of this database");
        File.WriteAllText(Path.Combine(target, "stray"), "x");
        errors = new StringWriter();
        Assert.Equal(1, RestoreCommand.Run(["--from", folderBackup + ".tgz", "--data", target], TextWriter.Null, errors));
        Assert.Contains("--force", errors.ToString());
        Assert.Equal(0, RestoreCommand.Run(["--from", folderBackup + ".tgz", "--data", target, "--force"], TextWriter.Null, errors));
        Assert.Equal(["openchat.db", "signing.key"], Directory.GetFiles(target).Select(Path.GetFileName).Order());
        Assert.Equal(await File.ReadAllBytesAsync(Path.Combine(data, "signing.key")), await File.ReadAllBytesAsync(Path.Combine(target, "signing.key")));

        await using var restored = ServerProcess.Start("backup-args-restored", Settings(target));
        await restored.WaitReadyAsync();
        await using var reader = await ChatClient.ConnectAsync(restored.BaseUrl, "Reader");
        Assert.Equal(["kept"], (await reader.HistoryAsync("general")).Messages.Select(m => m.Text));
    }

    private static (long, string, string) Key(MessageDto m) => (m.Id, m.AuthorId, m.Text);

    /// <summary>Every message of <c>general</c>, oldest first, page by page.</summary>
    private static async Task<MessageDto[]> AllHistoryAsync(ChatClient client)
    {
        var all = new List<MessageDto>();
        long? beforeId = null;
        while (true)
        {
            var page = await client.HistoryAsync("general", beforeId, 100);
            all.AddRange(page.Messages);
            if (!page.HasMore || page.Messages.Length == 0) break;
            beforeId = page.Messages.Min(m => m.Id);
        }
        return all.OrderBy(m => m.Id).ToArray();
    }
}

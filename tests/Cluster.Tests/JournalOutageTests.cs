using System.Collections.Concurrent;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;
using OpenChat.TestSupport;
using Xunit;
using Xunit.Abstractions;

namespace OpenChat.Cluster.Tests;

/// <summary>
/// The all-in-one server on a real PostgreSQL that goes away for 20 s in the middle of traffic: stopped (writes and
/// reads fail at once) or frozen with SIGSTOP (connections stay open and nothing answers, so a write the server gave
/// up on may still land later). Four members keep posting and retry every post that failed with its nonce, as the
/// protocol tells clients to.
/// </summary>
[Collection(ProcessCollection.Name)]
public sealed class JournalOutageTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Outage = TimeSpan.FromSeconds(20);
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(120);

    [Fact]
    public Task Through_a_20_s_freeze_of_PostgreSQL_retried_posts_are_stored_exactly_once_and_no_session_drops() =>
        OutageAsync(freeze: true);

    [Fact]
    public Task Through_a_20_s_stop_of_PostgreSQL_retried_posts_are_stored_exactly_once_and_no_session_drops() =>
        OutageAsync(freeze: false);

    private async Task OutageAsync(bool freeze)
    {
        await using var postgres = await PostgresServer.StartAsync();
        await using var server = ServerProcess.Start("all-in-one on PostgreSQL", new Dictionary<string, string>
        {
            ["OpenChat__DataDirectory"] = Probe.NewTempDirectory("journal-outage"),
            ["OpenChat__Persistence__Provider"] = "PostgreSql",
            ["OpenChat__Persistence__ConnectionString"] = postgres.ConnectionString,
        });
        try
        {
            await server.WaitReadyAsync(TimeSpan.FromSeconds(90));
            var writers = new List<Writer>();
            foreach (var name in new[] { "Alice", "Bob", "Carol", "Dave" })
            {
                var client = await ChatClient.ConnectAsync(server.BaseUrl, name);
                await client.OpenChannelAsync("general");
                writers.Add(new Writer(name, client));
            }

            using var stop = new CancellationTokenSource();
            var running = writers.Select(w => w.RunAsync(stop.Token)).ToList();
            await Probe.UntilAsync(() => Task.FromResult(writers.All(w => w.Stored.Count >= 3)), Patience, "posts before the outage");

            if (freeze) await postgres.FreezeAsync();
            else await postgres.StopAsync();
            var outageStart = DateTime.UtcNow;
            output.WriteLine($"PostgreSQL {(freeze ? "frozen" : "stopped")} with {writers.Sum(w => w.Stored.Count)} posts stored");
            // A voice channel that nobody had open starts during the outage: it needs no journal.
            var lounge = await writers[0].Client.OpenChannelAsync("lounge");
            Assert.Equal("voice", lounge.Channel.Kind);
            var left = Outage - (DateTime.UtcNow - outageStart);
            if (left > TimeSpan.Zero) await Task.Delay(left); // the outage's length, not a wait for a condition
            var duringOutage = writers.Select(w => w.Stored.Count).ToArray();
            if (freeze) await postgres.ThawAsync();
            else await postgres.RestartAsync();
            output.WriteLine("PostgreSQL back");

            // Traffic resumes: every writer gets three more posts stored.
            await Probe.UntilAsync(() => Task.FromResult(writers.Select((w, i) => w.Stored.Count >= duringOutage[i] + 3).All(x => x)),
                Patience, "posts after the outage");
            stop.Cancel();
            await Task.WhenAll(running);

            foreach (var w in writers)
                output.WriteLine($"{w.Name}: {w.Stored.Count} stored, {w.Failures.Count} failed attempts [{string.Join("; ", w.Failures.Distinct().Take(3))}]");
            Assert.Contains(writers, w => w.Failures.Count > 0);
            Assert.All(writers.SelectMany(w => w.Failures), f => Assert.Contains("unavailable", f));

            var history = await ReadAllAsync(writers[0].Client);
            var duplicates = history.GroupBy(m => m.Text).Where(g => g.Count() > 1).ToList();
            output.WriteLine($"history: {history.Count} messages, {duplicates.Count} stored more than once " +
                             $"[{string.Join("; ", duplicates.Take(5).Select(g => $"{g.Key} ×{g.Count()}"))}]");
            Assert.Empty(duplicates);
            var acknowledged = writers.SelectMany(w => w.Stored).ToList();
            Assert.Equal(acknowledged.Select(m => m.Id).Order(), history.Select(m => m.Id).Order());

            // No session dropped: every connection is the one it started with, and it was pushed every message.
            foreach (var w in writers)
            {
                Assert.Equal(0, w.Closed);
                Assert.Equal(HubConnectionState.Connected, w.Client.Connection.State);
                var pushed = new HashSet<long>();
                await Probe.UntilAsync(() =>
                {
                    while (w.Client.Messages.Reader.TryRead(out var m)) pushed.Add(m.Id);
                    return Task.FromResult(history.All(m => pushed.Contains(m.Id)));
                }, Patience, $"{w.Name} to be pushed every message");
            }

            await using var late = await ChatClient.ConnectAsync(server.BaseUrl, "Erin");
            await late.OpenChannelAsync("general");
            var after = await late.PostAsync("general", "after the outage");
            Assert.Equal(history.Max(m => m.Id) + 1, after.Id);
            foreach (var w in writers) await w.Client.DisposeAsync();
        }
        finally
        {
            output.WriteLine(string.Join('\n', server.Output.Split('\n').TakeLast(80)));
        }
    }

    private static async Task<List<MessageDto>> ReadAllAsync(ChatClient client)
    {
        var all = new List<MessageDto>();
        long? before = null;
        while (true)
        {
            var page = await client.HistoryAsync("general", before, 100);
            all.AddRange(page.Messages);
            if (!page.HasMore || page.Messages.Length == 0) return all;
            before = page.Messages.Min(m => m.Id);
        }
    }

    /// <summary>A member posting one message after another; a post that fails is sent again with the same nonce until it is stored.</summary>
    private sealed class Writer
    {
        public Writer(string name, ChatClient client)
        {
            Name = name;
            Client = client;
            client.Connection.Closed += _ =>
            {
                Interlocked.Increment(ref _closed);
                return Task.CompletedTask;
            };
        }

        private int _closed;

        public string Name { get; }
        public ChatClient Client { get; }
        public ConcurrentQueue<MessageDto> Stored { get; } = new();
        public ConcurrentQueue<string> Failures { get; } = new();
        public int Closed => Volatile.Read(ref _closed);

        public async Task RunAsync(CancellationToken stop)
        {
            for (var i = 1; !stop.IsCancellationRequested; i++)
            {
                var nonce = ChatClient.NewNonce();
                while (true)
                {
                    try
                    {
                        Stored.Enqueue(await Client.PostAsync("general", $"{Name} #{i}", nonce));
                        break;
                    }
                    catch (HubException e)
                    {
                        Failures.Enqueue(e.Message);
                        // Within the gateway's default post budget (5 per 5 s) however many retries there are.
                        await Task.Delay(TimeSpan.FromSeconds(1.2), CancellationToken.None);
                    }
                }
                await Task.Delay(TimeSpan.FromSeconds(1.2), CancellationToken.None);
            }
        }
    }
}

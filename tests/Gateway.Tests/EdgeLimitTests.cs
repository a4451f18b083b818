using System.Net;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;
using OpenChat.SimulatedClients.Network;
using OpenChat.TestSupport;
using Xunit;
using Xunit.Abstractions;

namespace OpenChat.Gateway.Tests;

/// <summary>Limits shared by all connections of a user and of a client address.</summary>
public sealed class EdgeLimitTests(ITestOutputHelper output)
{
    private sealed record Attempt(HubConnection Connection, Task<Exception?> Closed);

    /// <summary>Starts a hub connection from <paramref name="source"/>, watching for the server closing it from the start.</summary>
    private static async Task<Attempt> ConnectAsync(string baseUrl, string token, IPAddress source)
    {
        var connection = new HubConnectionBuilder()
            .WithUrl(baseUrl + "/hub", o =>
            {
                o.AccessTokenProvider = () => Task.FromResult<string?>(token);
                SourceAddress.Apply(o, source);
            })
            .Build();
        var closed = new TaskCompletionSource<Exception?>(TaskCreationOptions.RunContinuationsAsynchronously);
        connection.Closed += e =>
        {
            closed.TrySetResult(e);
            return Task.CompletedTask;
        };
        await connection.StartAsync();
        return new Attempt(connection, closed.Task);
    }

    /// <summary>Whether the connection is served: a call answers, or the server closed it (refused).</summary>
    private static async Task<bool> IsServedAsync(Attempt attempt)
    {
        try
        {
            await attempt.Connection.InvokeAsync<UserDto>("Me").WaitAsync(TimeSpan.FromSeconds(30));
            return true;
        }
        catch (Exception e) when (e is not TimeoutException)
        {
            return false;
        }
    }

    private static async Task<int> StoredCountAsync(ChatClient reader, string channel)
    {
        var count = 0;
        long? before = null;
        while (true)
        {
            var page = await reader.HistoryAsync(channel, before, 100);
            count += page.Messages.Length;
            if (!page.HasMore || page.Messages.Length == 0) return count;
            before = page.Messages[0].Id;
        }
    }

    [Fact]
    public async Task Twenty_connections_on_one_token_store_only_the_per_user_budget_and_those_over_the_cap_are_refused()
    {
        const int connections = 20, perUserCap = 5, userPosts = 10;
        var postWindow = TimeSpan.FromSeconds(5);
        await using var server = await InProcessServer.StartAsync();
        var session = await Clients.CreateSessionAsync(server.BaseUrl, "Mallory");

        // One token, twenty connections, each from an address of its own: only the per-user cap can stop them.
        var attempts = await Task.WhenAll(Enumerable.Range(0, connections).Select(_ => ConnectAsync(server.BaseUrl, session.Token, SourceAddress.Next())));
        var served = (await Task.WhenAll(attempts.Select(IsServedAsync))).ToArray();
        var open = attempts.Where((_, i) => served[i]).ToList();
        var refused = attempts.Where((_, i) => !served[i]).ToList();
        output.WriteLine($"{open.Count} connections served, {refused.Count} refused");
        Assert.Equal(Math.Min(perUserCap, connections), open.Count);
        foreach (var attempt in refused)
        {
            var reason = await attempt.Closed.WaitAsync(TimeSpan.FromSeconds(30));
            Assert.Contains("too_many_connections", reason?.Message);
        }

        // Every served connection posts as fast as it can, across more than one post window.
        var rateLimited = 0;
        var started = DateTime.UtcNow;
        await Task.WhenAll(open.Select(async (attempt, c) =>
        {
            for (var i = 0; DateTime.UtcNow - started < postWindow * 1.5; i++)
            {
                try
                {
                    await attempt.Connection.InvokeAsync<MessageDto>("PostMessage", "general", $"flood {c}.{i}", $"flood-{c}-{i}");
                }
                catch (HubException e) when (e.Message.Contains("rate_limited"))
                {
                    Interlocked.Increment(ref rateLimited);
                }
            }
        }));
        var elapsed = DateTime.UtcNow - started;

        await using var reader = await Clients.ConnectAsync(server.BaseUrl, "Reader");
        var stored = await StoredCountAsync(reader, "general");
        // A token bucket of 10 refilled at 10 per 5 s: at most 10 + 10 × elapsed / 5 s over the whole flood.
        var allowed = userPosts + (int)Math.Ceiling(userPosts * elapsed / postWindow);
        output.WriteLine($"{stored} posts stored in {elapsed.TotalSeconds:0.0} s (allowed {allowed}); {rateLimited} refused as rate_limited");
        Assert.True(stored >= userPosts, $"only {stored} posts stored; the user's budget is {userPosts}");
        Assert.True(stored <= allowed, $"{stored} posts stored from one user in {elapsed.TotalSeconds:0.0} s; the budget allows {allowed}");

        // Closing a connection gives its place back.
        await open[0].Connection.DisposeAsync();
        await Probe.UntilAsync(async () =>
        {
            var again = await ConnectAsync(server.BaseUrl, session.Token, SourceAddress.Next());
            var ok = await IsServedAsync(again);
            if (!ok) await again.Connection.DisposeAsync();
            return ok;
        }, TimeSpan.FromSeconds(30), "a connection to be accepted once another closed");
        foreach (var attempt in attempts) await attempt.Connection.DisposeAsync();
    }

    [Fact]
    public async Task Connections_from_one_address_over_its_cap_are_refused_while_another_address_is_served()
    {
        await using var server = await InProcessServer.StartAsync(new Dictionary<string, string?>
        {
            ["OpenChat:Gateway:MaxConnectionsPerAddress"] = "3",
        });
        var shared = SourceAddress.Next();
        var attempts = new List<Attempt>();
        for (var i = 0; i < 4; i++)
        {
            var user = await Clients.CreateSessionAsync(server.BaseUrl, $"Flat {i}", source: shared);
            attempts.Add(await ConnectAsync(server.BaseUrl, user.Token, shared));
        }
        var served = await Task.WhenAll(attempts.Select(IsServedAsync));
        Assert.Equal(3, served.Count(s => s));
        var reason = await attempts[Array.IndexOf(served, false)].Closed.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Contains("too_many_connections", reason?.Message);

        var elsewhere = await Clients.CreateSessionAsync(server.BaseUrl, "Neighbour");
        var other = await ConnectAsync(server.BaseUrl, elsewhere.Token, SourceAddress.Next());
        Assert.True(await IsServedAsync(other));
        foreach (var attempt in attempts.Append(other)) await attempt.Connection.DisposeAsync();
    }

    [Fact]
    public async Task History_pages_are_a_budget_of_the_user_over_all_their_connections()
    {
        await using var server = await InProcessServer.StartAsync(new Dictionary<string, string?>
        {
            ["OpenChat:Gateway:UserHistoryPagesPerMinute"] = "6",
        });
        var session = await Clients.CreateSessionAsync(server.BaseUrl, "Reader");
        await using var first = await Clients.ConnectAsync(server.BaseUrl, "Reader", session);
        await using var second = await Clients.ConnectAsync(server.BaseUrl, "Reader", session);
        for (var i = 0; i < 3; i++)
        {
            await first.HistoryAsync("general");
            await second.HistoryAsync("general");
        }
        var refusal = await Assert.ThrowsAsync<HubException>(() => second.HistoryAsync("general"));
        Assert.Contains("rate_limited", refusal.Message);
        Assert.Contains("this user", refusal.Message);
        // Another user is not affected.
        await using var other = await Clients.ConnectAsync(server.BaseUrl, "Other");
        await other.HistoryAsync("general");
    }
}

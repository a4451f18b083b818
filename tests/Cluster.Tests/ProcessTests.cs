using OpenChat.SimulatedClients.Network;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;
using OpenChat.TestSupport;
using Xunit;
using Xunit.Abstractions;

namespace OpenChat.Cluster.Tests;

[Collection(ProcessCollection.Name)]
public sealed class ProcessTests(ITestOutputHelper output)
{
    /// <summary>
    /// Runs the all-in-one server, lets <paramref name="before"/> use it as Alice, stops it with SIGTERM (asserting a
    /// clean exit), starts it again on the same configuration and hands Alice, reconnected with her old token, to
    /// <paramref name="after"/>.
    /// </summary>
    private async Task AcrossARestartAsync(string name, Dictionary<string, string> env,
        Func<ServerProcess, ChatClient, Task> before, Func<ChatClient, Task> after)
    {
        SessionDto session;
        await using (var first = ServerProcess.Start(name, env))
        {
            await first.WaitReadyAsync();
            await using (var alice = await ChatClient.ConnectAsync(first.BaseUrl, "Alice"))
            {
                session = alice.Session;
                await before(first, alice);
            }
            var exitCode = await first.StopAsync();
            output.WriteLine(first.Output);
            Assert.Equal(0, exitCode);
        }

        await using var second = ServerProcess.Start(name + " again", env);
        await second.WaitReadyAsync();
        await using var again = await ChatClient.ConnectAsync(second.BaseUrl, "Alice", session);
        await after(again);
    }

    [Fact]
    public async Task A_port_in_use_stops_the_start_with_a_message_naming_the_address_not_a_crash()
    {
        using var taken = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        taken.Start();
        var port = ((System.Net.IPEndPoint)taken.LocalEndpoint).Port;
        await using var server = ServerProcess.Start("management port taken", new Dictionary<string, string>
        {
            ["OpenChat__DataDirectory"] = Probe.NewTempDirectory("port-taken"),
            ["OpenChat__Management__Port"] = port.ToString(),
        });

        Assert.Equal(1, await server.WaitForExitAsync(TimeSpan.FromSeconds(60)));
        output.WriteLine(server.Output);
        var message = Assert.Single(server.Output.Split('\n'), line => line.StartsWith("OpenChat cannot start: ", StringComparison.Ordinal));
        Assert.Contains($"127.0.0.1:{port}", message);
        Assert.Contains("address already in use", message);
        // The host logs the bind error it met; the process ends on that message, not on an unhandled exception.
        Assert.Equal(message, server.Output.Split('\n')[^1]);
        Assert.DoesNotContain("Unhandled exception", server.Output);
    }

    [Fact]
    public async Task Messages_survive_a_SIGTERM_and_restart_on_the_same_data_folder()
    {
        var env = new Dictionary<string, string>
        {
            ["OpenChat__DataDirectory"] = Probe.NewTempDirectory("durability"),
            ["OpenChat__Auth__AdminKey"] = "durability-admin-key-0123456789abcdef",
        };
        long id = 0;
        await AcrossARestartAsync("all-in-one", env,
            async (server, alice) =>
            {
                id = (await alice.PostAsync("general", "still here after a restart")).Id;
                using var admin = new HttpRequestMessage(HttpMethod.Post, server.BaseUrl + "/api/admin/channels")
                {
                    Content = System.Net.Http.Json.JsonContent.Create(new { name = "Music", kind = "voice" }),
                };
                admin.Headers.Authorization = new("Bearer", "durability-admin-key-0123456789abcdef");
                using var http = new HttpClient();
                Assert.Equal(System.Net.HttpStatusCode.Created, (await http.SendAsync(admin)).StatusCode);
            },
            async again =>
            {
                var history = await again.HistoryAsync("general");
                var message = Assert.Single(history.Messages);
                Assert.Equal((id, "still here after a restart"), (message.Id, message.Text));
                var channels = await again.Connection.InvokeAsync<ChannelDto[]>("GetChannels");
                Assert.Equal(["general", "lounge", "music"], channels.Select(c => c.Id));
                // The signing key is kept in the data folder, so the old token is still good.
                Assert.Equal(message.AuthorId, (await again.Connection.InvokeAsync<UserDto>("Me")).Id);
            });
    }

    [Fact]
    public async Task With_PostgreSql_selected_the_history_is_stored_there_and_survives_a_restart()
    {
        await using var postgres = await PostgresServer.StartAsync();
        var data = Probe.NewTempDirectory("pg-server");
        var env = new Dictionary<string, string>
        {
            ["OpenChat__DataDirectory"] = data,
            ["OpenChat__Persistence__Provider"] = "PostgreSql",
            ["OpenChat__Persistence__ConnectionString"] = postgres.ConnectionString,
        };
        await AcrossARestartAsync("all-in-one on PostgreSQL", env,
            async (_, alice) => await alice.PostAsync("general", "stored in PostgreSQL"),
            async again =>
            {
                Assert.False(File.Exists(Path.Combine(data, "openchat.db")));
                Assert.Equal(["stored in PostgreSQL"], (await again.HistoryAsync("general")).Messages.Select(m => m.Text));
            });
    }

    [Fact]
    public async Task A_gateway_node_serves_history_from_the_channel_shard_on_another_node()
    {
        var data = Probe.NewTempDirectory("cluster");
        var seedPort = Probe.FreeTcpPort();
        var seed = $"akka.tcp://openchat@127.0.0.1:{seedPort}";
        await using var channels = ServerProcess.Start("channels", new Dictionary<string, string>
        {
            ["OpenChat__Roles__0"] = "channels",
            ["OpenChat__DataDirectory"] = data,
            ["OpenChat__Cluster__Port"] = seedPort.ToString(),
            ["OpenChat__Cluster__SeedNodes__0"] = seed,
        });
        var gatewayData = Probe.NewTempDirectory("gateway");
        await using var gateway = ServerProcess.Start("gateway", new Dictionary<string, string>
        {
            ["OpenChat__Roles__0"] = "gateway",
            ["OpenChat__DataDirectory"] = gatewayData,
            ["OpenChat__Cluster__Port"] = "0",
            ["OpenChat__Cluster__SeedNodes__0"] = seed,
        });
        try
        {
            await channels.WaitReadyAsync();
            await gateway.WaitReadyAsync();

            await using var alice = await ChatClient.ConnectAsync(gateway.BaseUrl, "Alice", source: SourceAddress.Next());
            await using var bob = await ChatClient.ConnectAsync(gateway.BaseUrl, "Bob", source: SourceAddress.Next());
            await bob.OpenChannelAsync("general");
            var posted = await alice.PostAsync("general", "across the cluster");
            Assert.Equal(posted, await bob.NextMessageAsync());

            var history = await alice.HistoryAsync("general");
            Assert.Equal([posted], history.Messages);
            var error = await Assert.ThrowsAsync<HubException>(() => alice.PostAsync("lounge", "x"));
            Assert.Contains("wrong_channel_kind", error.Message);

            // The journal is on the channels node; the gateway node has no database at all.
            Assert.True(File.Exists(Path.Combine(data, "openchat.db")));
            Assert.False(File.Exists(Path.Combine(gatewayData, "openchat.db")));
        }
        finally
        {
            output.WriteLine("--- channels ---\n" + channels.Output);
            output.WriteLine("--- gateway ---\n" + gateway.Output);
        }
    }
}

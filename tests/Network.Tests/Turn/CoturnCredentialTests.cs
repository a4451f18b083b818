using System.Net;
using System.Text;
using OpenChat.Gateway.Turn;
using OpenChat.TestSupport;
using Xunit;
using Xunit.Abstractions;

namespace OpenChat.Network.Tests.Turn;

/// <summary>
/// The credentials the gateway hands out, checked by the real coturn with the settings deploy/coturn recommends: the
/// right one allocates a relay; one signed with another secret, one past its expiry, and one whose username names
/// another user than the password was made for are refused with 401; an allocation made before its credential expired
/// goes on being refreshed after (coturn 4.6.1); and the relay reaches only the allowed peer.
/// </summary>
[Collection(ClientNetworks.Name)]
public sealed class CoturnCredentialTests(ITestOutputHelper output)
{
    private const string Secret = "coturn-test-secret-0123456789";

    [Fact]
    public async Task Coturn_allocates_only_for_a_current_credential_of_the_user_it_names()
    {
        var folder = Probe.NewTempDirectory("coturn");
        var port = FreeUdpPort();
        var server = new IPEndPoint(IPAddress.Loopback, port);
        var coturn = await Coturn.StartAsync(folder,
            [.. Coturn.Settings(Secret, "127.0.0.1", "127.0.0.1", folder), $"listening-port={port}", "no-tls", "no-dtls",
                // The media node stands at 127.0.0.1 here; coturn refuses loopback peers unless told otherwise.
                "allow-loopback-peers"]);
        try
        {
            var secret = Encoding.UTF8.GetBytes(Secret);
            var expires = DateTimeOffset.UtcNow.AddMinutes(5);
            var ada = TurnCredentials.Username(expires, "user-ada");

            var good = await TurnAllocateClient.AllocateAsync(server, ada, TurnCredentials.Password(secret, ada));
            Assert.True(good.Allocated, $"refused {good.ErrorCode} {good.Reason}");
            Assert.Equal(IPAddress.Loopback, good.Relayed?.Address);

            var wrongSecret = await TurnAllocateClient.AllocateAsync(server, ada,
                TurnCredentials.Password(Encoding.UTF8.GetBytes("another-secret-0123456789"), ada));
            Assert.Equal(401, wrongSecret.ErrorCode);

            var past = TurnCredentials.Username(DateTimeOffset.UtcNow.AddSeconds(-10), "user-ada");
            var expired = await TurnAllocateClient.AllocateAsync(server, past, TurnCredentials.Password(secret, past));
            Assert.Equal(401, expired.ErrorCode);

            // Ada's password under a username naming Bob.
            var bob = TurnCredentials.Username(expires, "user-bob");
            var otherUser = await TurnAllocateClient.AllocateAsync(server, bob, TurnCredentials.Password(secret, ada));
            Assert.Equal(401, otherUser.ErrorCode);

            // Not an open relay: a permission only for the allowed peer (the media node; here 127.0.0.1). Nothing
            // is sent to any peer.
            var (client, allocated) = await TurnAllocateClient.AllocateKeepingAsync(server, ada, TurnCredentials.Password(secret, ada));
            using (client)
            {
                Assert.True(allocated.Allocated);
                Assert.Equal(0, await client.CreatePermissionAsync(IPAddress.Loopback));
                Assert.Equal(403, await client.CreatePermissionAsync(IPAddress.Parse("127.0.0.2")));
                Assert.Equal(403, await client.CreatePermissionAsync(IPAddress.Parse("192.0.2.1")));
                Assert.Equal(403, await client.CreatePermissionAsync(IPAddress.Parse("224.0.0.1")));
            }

            // What expiry does to an allocation made before it (coturn 4.6.1, measured here): nothing. The session keeps
            // the key it authenticated with, so its Refresh and CreatePermission go on succeeding; only a new
            // allocation with the expired credential is refused. A client needs a fresh credential for every new
            // allocation (a new peer connection, an ICE restart, a network change), which is why it renews in time.
            var soon = TurnCredentials.Username(DateTimeOffset.UtcNow.AddSeconds(2), "user-ada");
            var (early, made) = await TurnAllocateClient.AllocateKeepingAsync(server, soon, TurnCredentials.Password(secret, soon));
            using (early)
            {
                Assert.True(made.Allocated);
                Assert.Equal(0, await early.RefreshAsync());
                Assert.Equal(0, await early.CreatePermissionAsync(IPAddress.Loopback));
                var expiry = DateTimeOffset.FromUnixTimeSeconds(long.Parse(soon.Split(':')[0]));
                await Probe.UntilAsync(() => Task.FromResult(DateTimeOffset.UtcNow > expiry.AddSeconds(1)), TimeSpan.FromSeconds(10), "the credential to expire");
                Assert.Equal(0, await early.RefreshAsync());
                Assert.Equal(0, await early.CreatePermissionAsync(IPAddress.Loopback));
                Assert.Equal(401, (await TurnAllocateClient.AllocateAsync(server, soon, TurnCredentials.Password(secret, soon))).ErrorCode);
            }
        }
        finally
        {
            await coturn.DisposeAsync();
            output.WriteLine(coturn.Output);
            Directory.Delete(folder, true);
        }
    }

    private static int FreeUdpPort()
    {
        using var socket = new System.Net.Sockets.UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)socket.Client.LocalEndPoint!).Port;
    }
}

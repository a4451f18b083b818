using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using OpenChat.Gateway.Hub;
using OpenChat.Gateway.Turn;
using OpenChat.TestSupport;
using Xunit;

namespace OpenChat.Gateway.Tests;

/// <summary>The TURN settings' checks, the REST API credentials, and <c>GetIceServers</c> through the hub.</summary>
public sealed class TurnCredentialTests
{
    private const string Secret = "turn-secret-0123456789abcdef";

    private static TurnOptions Options(params string[] urls) => new() { TurnServers = urls, TurnSecret = Secret };

    [Theory]
    [InlineData("turn:turn.example.org:3478?transport=udp")]
    [InlineData("turns:turn.example.org:443?transport=tcp")]
    [InlineData("turn:192.0.2.7")]
    [InlineData("turn:[2001:db8::7]:3478")]
    [InlineData("stun:stun.example.org:3478")]
    public void Accepts_the_urls_browsers_accept(string url) => Assert.Null(TurnOptions.CheckUrl(url));

    [Theory]
    [InlineData("http://turn.example.org", "must start with")]
    [InlineData("turn://turn.example.org", "'//'")]
    [InlineData("turn:turn.example.org:99999", "port")]
    [InlineData("turn:turn.example.org?transport=sctp", "transport")]
    [InlineData("stun:stun.example.org?transport=udp", "STUN")]
    [InlineData("turn:bad host", "white space")]
    [InlineData("turn:2001:db8::7", "IPv6")]
    [InlineData("", "empty")]
    public void Refuses_urls_with_a_clear_reason(string url, string reason) =>
        Assert.Contains(reason, TurnOptions.CheckUrl(url));

    [Fact]
    public void A_turns_url_with_an_ip_address_is_warned_about()
    {
        var options = Options("turns:turn.example.org:443?transport=tcp", "turns:192.0.2.7:443?transport=tcp", "turn:192.0.2.7:3478",
            "turns:[2001:db8::7]:443", "stun:192.0.2.7");
        options.Validate();
        var warnings = options.Warnings();
        Assert.Equal(2, warnings.Count);
        Assert.Contains("OpenChat:Media:TurnServers:1 ('turns:192.0.2.7:443?transport=tcp')", warnings[0]);
        Assert.Contains("host name", warnings[0]);
        Assert.Contains("Firefox", warnings[0]);
        Assert.Contains("OpenChat:Media:TurnServers:3", warnings[1]);
        Assert.Empty(Options("turns:turn.example.org").Warnings());
    }

    [Fact]
    public void Settings_are_checked_at_start_and_errors_name_the_setting_but_never_the_secret()
    {
        var noSecret = new TurnOptions { TurnServers = ["turn:turn.example.org"] };
        Assert.Contains("OpenChat:Media:TurnSecret", Assert.Throws<ArgumentException>(noSecret.Validate).Message);

        var shortSecret = new TurnOptions { TurnServers = ["turn:turn.example.org"], TurnSecret = "short-secret" };
        var error = Assert.Throws<ArgumentException>(shortSecret.Validate).Message;
        Assert.Contains("OpenChat:Media:TurnSecret must be 16", error);
        Assert.DoesNotContain("short-secret", error);

        var badUrl = Options("turn:turn.example.org", "turnx:oops");
        Assert.Contains("OpenChat:Media:TurnServers:1", Assert.Throws<ArgumentException>(badUrl.Validate).Message);

        var tooShort = Options("turn:turn.example.org");
        tooShort.TurnCredentialLifetime = TimeSpan.FromSeconds(5);
        Assert.Contains("OpenChat:Media:TurnCredentialLifetime", Assert.Throws<ArgumentOutOfRangeException>(tooShort.Validate).Message);

        var both = Options("turn:turn.example.org");
        both.TurnSecretFile = "/nonexistent";
        Assert.Contains("not both", Assert.Throws<ArgumentException>(both.Validate).Message);

        // Nothing configured is valid: no ICE servers.
        new TurnOptions().Validate();
    }

    [Fact]
    public void The_secret_may_come_from_a_file()
    {
        var dir = Probe.NewTempDirectory("turn-secret");
        var path = Path.Combine(dir, "turn-secret");
        File.WriteAllText(path, Secret + "\n");
        var options = new TurnOptions { TurnServers = ["turn:turn.example.org"], TurnSecretFile = path };
        options.Validate();
        Assert.Equal(Secret, options.TurnSecret);

        var missing = new TurnOptions { TurnSecretFile = Path.Combine(dir, "missing") };
        Assert.Contains("OpenChat:Media:TurnSecretFile", Assert.Throws<ArgumentException>(missing.Validate).Message);
        Directory.Delete(dir, true);
    }

    [Fact]
    public void Credentials_follow_the_turn_rest_api_scheme()
    {
        var time = new FakeTimeProvider(DateTimeOffset.FromUnixTimeSeconds(1_800_000_000).AddMilliseconds(700));
        var options = Options("stun:stun.example.org", "turn:turn.example.org:3478?transport=udp", "turns:turn.example.org:443?transport=tcp");
        options.TurnCredentialLifetime = TimeSpan.FromMinutes(10);
        options.Validate();
        var ice = new TurnCredentials(Microsoft.Extensions.Options.Options.Create(options), time).For("user-1");

        Assert.Equal(600, ice.TtlSeconds);
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1_800_000_600), ice.ExpiresAt);
        Assert.Equal(2, ice.IceServers.Length);
        Assert.Equal(["stun:stun.example.org"], ice.IceServers[0].Urls);
        Assert.Null(ice.IceServers[0].Username);
        Assert.Null(ice.IceServers[0].Credential);
        var turn = ice.IceServers[1];
        Assert.Equal(["turn:turn.example.org:3478?transport=udp", "turns:turn.example.org:443?transport=tcp"], turn.Urls);
        Assert.Equal("1800000600:user-1", turn.Username);
        // What coturn computes for use-auth-secret.
        var expected = Convert.ToBase64String(HMACSHA1.HashData(Encoding.UTF8.GetBytes(Secret), Encoding.UTF8.GetBytes("1800000600:user-1")));
        Assert.Equal(expected, turn.Credential);

        time.Advance(TimeSpan.FromSeconds(1));
        Assert.NotEqual(turn.Username, new TurnCredentials(Microsoft.Extensions.Options.Options.Create(options), time).For("user-1").IceServers[1].Username);
    }

    [Fact]
    public async Task GetIceServers_is_empty_without_turn()
    {
        await using var server = await InProcessServer.StartAsync();
        await using var chat = await ChatClient.ConnectAsync(server.BaseUrl, "Ada");
        var ice = await chat.Connection.InvokeAsync<IceServersDto>("GetIceServers");
        Assert.Empty(ice.IceServers);
        Assert.Null(ice.ExpiresAt);
        Assert.Null(ice.TtlSeconds);
    }

    [Fact]
    public async Task GetIceServers_gives_each_user_a_credential_naming_them()
    {
        await using var server = await InProcessServer.StartAsync(new Dictionary<string, string?>
        {
            ["OpenChat:Media:TurnServers:0"] = "turns:turn.example.org:443?transport=tcp",
            ["OpenChat:Media:TurnSecret"] = Secret,
            ["OpenChat:Media:TurnCredentialLifetime"] = "00:02:00",
        });
        await using var ada = await ChatClient.ConnectAsync(server.BaseUrl, "Ada");
        var ice = await ada.Connection.InvokeAsync<IceServersDto>("GetIceServers");
        var turn = Assert.Single(ice.IceServers);
        Assert.Equal(["turns:turn.example.org:443?transport=tcp"], turn.Urls);
        Assert.EndsWith(":" + ada.Session.UserId, turn.Username);
        Assert.Equal(TurnCredentials.Password(Encoding.UTF8.GetBytes(Secret), turn.Username!), turn.Credential);
        Assert.Equal(120, ice.TtlSeconds);
        var expiry = DateTimeOffset.FromUnixTimeSeconds(long.Parse(turn.Username!.Split(':')[0]));
        Assert.Equal(expiry, ice.ExpiresAt);
        Assert.InRange(expiry - DateTimeOffset.UtcNow, TimeSpan.FromSeconds(100), TimeSpan.FromSeconds(121));
    }
}

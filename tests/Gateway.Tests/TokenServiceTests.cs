using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Time.Testing;
using OpenChat.Gateway.Auth;
using OpenChat.Protocol.Ids;
using OpenChat.Protocol.Text;
using Xunit;

namespace OpenChat.Gateway.Tests;

/// <summary>Session tokens and usernames, with a clock the test moves.</summary>
public sealed class TokenServiceTests
{
    private static readonly byte[] KeyA = Enumerable.Repeat((byte)1, 32).ToArray();
    private static readonly byte[] KeyB = Enumerable.Repeat((byte)2, 32).ToArray();

    private static TokenService Service(FakeTimeProvider time, params (string, byte[])[] keys) =>
        new(new SigningKeyRing(keys.Length == 0 ? [("a", KeyA)] : keys), TimeSpan.FromDays(7), TimeSpan.FromDays(20), time);

    [Fact]
    public void Renewal_extends_a_session_but_never_past_its_maximum_age()
    {
        var time = new FakeTimeProvider(DateTimeOffset.Parse("2026-12-01T00:00:00Z"));
        var tokens = Service(time);
        var (token, first) = tokens.IssueNew(new UserId("u-1"), "Ann", SessionKind.Account, "Ann");
        Assert.Equal(time.GetUtcNow().AddDays(7), first.ExpiresAt);

        time.Advance(TimeSpan.FromDays(6));
        var (renewedToken, renewed) = tokens.Renew(tokens.Validate(token)!)!.Value;
        Assert.Equal(first.SessionId, renewed.SessionId);
        Assert.Equal(first.AuthTime, renewed.AuthTime);
        Assert.Equal(time.GetUtcNow().AddDays(7), renewed.ExpiresAt);

        // Day 18: a renewal reaches only the session's 20th day.
        time.Advance(TimeSpan.FromDays(12));
        var late = tokens.Renew(tokens.Validate(tokens.Renew(renewed)!.Value.Token)!)!.Value.Identity;
        Assert.Equal(first.AuthTime.AddDays(20), late.ExpiresAt);
        time.Advance(TimeSpan.FromDays(2));
        Assert.Null(tokens.Renew(late));
        Assert.Null(tokens.Validate(renewedToken));
    }

    [Fact]
    public void A_token_issued_after_a_cut_carries_a_later_time_than_the_cut()
    {
        var time = new FakeTimeProvider(DateTimeOffset.Parse("2026-12-01T00:00:00Z"));
        var tokens = Service(time);
        var cut = time.GetUtcNow();
        var (_, identity) = tokens.IssueNew(new UserId("u-1"), "Ann", SessionKind.Account, "Ann", cut);
        Assert.True(identity.IssuedAt > cut);
    }

    [Fact]
    public void Tampered_tokens_unknown_keys_and_account_tokens_without_a_username_are_refused()
    {
        var time = new FakeTimeProvider(DateTimeOffset.Parse("2026-12-01T00:00:00Z"));
        var tokens = Service(time, ("a", KeyA));
        var (token, _) = tokens.IssueNew(new UserId("g-1"), "Guest", SessionKind.Guest, null);
        Assert.NotNull(tokens.Validate(token));

        var parts = token.Split('.');
        var payload = Encoding.UTF8.GetString(Base64Url.DecodeFromChars(parts[1]));
        string Forge(string json, byte[] key)
        {
            var body = Base64Url.EncodeToString(Encoding.UTF8.GetBytes(json));
            return "v1." + body + "." + Base64Url.EncodeToString(HMACSHA256.HashData(key, Encoding.ASCII.GetBytes(body)));
        }
        // Another user under the same signature; a key id the ring does not hold; signed by a key it does not hold.
        Assert.Null(tokens.Validate("v1." + Base64Url.EncodeToString(Encoding.UTF8.GetBytes(payload.Replace("g-1", "g-2"))) + "." + parts[2]));
        Assert.Null(tokens.Validate(Forge(payload.Replace("\"Kid\":\"a\"", "\"Kid\":\"z\""), KeyA)));
        Assert.Null(tokens.Validate(Forge(payload, KeyB)));
        // An account token must name its account.
        Assert.Null(tokens.Validate(Forge(payload.Replace("\"Kind\":\"g\"", "\"Kind\":\"a\""), KeyA)));
        Assert.Null(tokens.Validate(Forge("{not json", KeyA)));
        Assert.Null(tokens.Validate("v2." + parts[1] + "." + parts[2]));
        Assert.Null(tokens.Validate(token + new string('x', 2000)));
    }

    [Fact]
    public void A_token_of_the_previous_form_is_a_guest_without_a_session_and_any_key_of_the_ring_may_have_signed_it()
    {
        var time = new FakeTimeProvider(DateTimeOffset.Parse("2026-12-01T00:00:00Z"));
        var body = Base64Url.EncodeToString(Encoding.UTF8.GetBytes("{\"Uid\":\"g-old\",\"Name\":\"Old Guest\",\"Exp\":" + time.GetUtcNow().AddDays(3).ToUnixTimeSeconds() + "}"));
        var legacy = "v1." + body + "." + Base64Url.EncodeToString(HMACSHA256.HashData(KeyA, Encoding.ASCII.GetBytes(body)));
        var tokens = Service(time, ("new", KeyB), ("old", KeyA));
        var identity = tokens.Validate(legacy)!;
        Assert.Equal(("g-old", SessionKind.Guest, null, null), (identity.User.Value, identity.Kind, identity.SessionId, identity.IssuedAt));
        // Renewed, it becomes a session of this release that begins now.
        var renewed = tokens.Renew(identity)!.Value.Identity;
        Assert.NotNull(renewed.SessionId);
        Assert.Equal(time.GetUtcNow(), renewed.AuthTime);
        Assert.Null(Service(time, ("new", KeyB)).Validate(legacy));
    }

    [Theory]
    [InlineData("alice", "ALICE")]
    [InlineData("alice", "Ａｌｉｃｅ")]
    [InlineData("alice", "аӏісе")]
    [InlineData("paypal", "раураӏ")]
    [InlineData("Bob0", "bobo")]
    [InlineData("modern", "modem")]
    [InlineData("will", "W1ll")]
    public void Usernames_that_render_alike_share_a_key(string a, string b)
    {
        Assert.NotNull(UsernameRules.Normalize(a, out _));
        Assert.NotNull(UsernameRules.Normalize(b, out _));
        Assert.True(UsernameRules.Same(a, b), $"{a} / {b}: {UsernameRules.Key(a)} / {UsernameRules.Key(b)}");
    }

    [Theory]
    [InlineData("a")]
    [InlineData("with space")]
    [InlineData("_leading")]
    [InlineData("double..dot")]
    [InlineData("trailing-")]
    [InlineData("Latinмикс")]
    [InlineData("zero\u200Bwidth")]
    [InlineData("arabic٣digit")]
    [InlineData("thirty-three-characters-long-name")]
    public void Usernames_outside_the_rule_are_refused(string name) => Assert.Null(UsernameRules.Normalize(name, out _));

    [Theory]
    [InlineData("Zoë")]
    [InlineData("Дмитрий")]
    [InlineData("山田太郎")]
    [InlineData("やまだ_太郎")]
    [InlineData("b.o-b_99")]
    public void Usernames_of_one_script_are_taken(string name) => Assert.Equal(name, UsernameRules.Normalize(name, out _));
}

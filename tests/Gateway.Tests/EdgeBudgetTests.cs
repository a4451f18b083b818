using System.Net;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using OpenChat.Gateway.Edge;
using Xunit;

namespace OpenChat.Gateway.Tests;

/// <summary>The shared budgets and connection counts without a server (time is a fake clock).</summary>
public sealed class EdgeBudgetTests
{
    private readonly FakeTimeProvider _time = new();

    private EdgeBudgets Budgets(Action<GatewayOptions>? change = null)
    {
        var options = new GatewayOptions();
        change?.Invoke(options);
        return new EdgeBudgets(Options.Create(options), _time);
    }

    [Fact]
    public void A_user_has_one_post_budget_whatever_the_address()
    {
        var budgets = Budgets();
        for (var i = 0; i < 10; i++) Assert.Null(budgets.TryCharge(EdgeCost.Post, "mallory", $"10.0.0.{i}"));
        var refusal = budgets.TryCharge(EdgeCost.Post, "mallory", "10.0.0.99");
        Assert.NotNull(refusal);
        Assert.Contains("this user", refusal);
        Assert.Null(budgets.TryCharge(EdgeCost.Post, "alice", "10.0.0.99"));
    }

    [Fact]
    public void An_address_has_the_factor_times_a_users_budget_and_a_refusal_there_costs_the_user_nothing()
    {
        var budgets = Budgets();
        for (var u = 0; u < 100; u++) Assert.Null(budgets.TryCharge(EdgeCost.Post, $"user{u}", "203.0.113.7"));
        var refusal = budgets.TryCharge(EdgeCost.Post, "user100", "203.0.113.7");
        Assert.NotNull(refusal);
        Assert.Contains("this address", refusal);
        // user100 was refused by the address; their own budget is whole.
        for (var i = 0; i < 10; i++) Assert.Null(budgets.TryCharge(EdgeCost.Post, "user100", "198.51.100.1"));
    }

    [Fact]
    public void A_budget_refills_over_its_period_and_not_before()
    {
        var budgets = Budgets();
        for (var i = 0; i < 60; i++) Assert.Null(budgets.TryCharge(EdgeCost.HistoryPage, "u", "a"));
        Assert.NotNull(budgets.TryCharge(EdgeCost.HistoryPage, "u", "a"));
        _time.Advance(TimeSpan.FromMilliseconds(900));
        Assert.NotNull(budgets.TryCharge(EdgeCost.HistoryPage, "u", "a"));
        _time.Advance(TimeSpan.FromMilliseconds(100));
        Assert.Null(budgets.TryCharge(EdgeCost.HistoryPage, "u", "a"));
        _time.Advance(TimeSpan.FromMinutes(5));
        for (var i = 0; i < 60; i++) Assert.Null(budgets.TryCharge(EdgeCost.HistoryPage, "u", "a"));
        Assert.NotNull(budgets.TryCharge(EdgeCost.HistoryPage, "u", "a"));
    }

    [Fact]
    public void Each_kind_of_call_spends_its_own_budget()
    {
        Assert.Equal(EdgeCost.Post, EdgeBudgets.CostOf("PostMessage"));
        Assert.Equal(EdgeCost.ChannelOpen, EdgeBudgets.CostOf("OpenChannel"));
        Assert.Equal(EdgeCost.HistoryPage, EdgeBudgets.CostOf("GetHistory"));
        foreach (var voice in new[] { "GetIceServers", "JoinVoice", "ResumeVoice", "LeaveVoice", "SetVoiceState", "SetMemberVolume" })
            Assert.Equal(EdgeCost.VoiceChange, EdgeBudgets.CostOf(voice));
        Assert.Equal(EdgeCost.None, EdgeBudgets.CostOf("Me"));

        var budgets = Budgets(o => o.UserVoiceChangesPerMinute = 2);
        Assert.Null(budgets.TryCharge(EdgeCost.VoiceChange, "u", "a"));
        Assert.Null(budgets.TryCharge(EdgeCost.VoiceChange, "u", "a"));
        Assert.NotNull(budgets.TryCharge(EdgeCost.VoiceChange, "u", "a"));
        Assert.Null(budgets.TryCharge(EdgeCost.Post, "u", "a"));
    }

    [Fact]
    public void Idle_keys_are_swept_so_the_table_follows_the_active_clients()
    {
        var budget = new KeyedBudget(10, TimeSpan.FromSeconds(5), _time);
        for (var i = 0; i < 10_000; i++) budget.TryTake($"client{i}", out _);
        Assert.True(budget.Count >= 5_000);
        _time.Advance(TimeSpan.FromSeconds(10));
        for (var i = 0; i < 5_000; i++) budget.TryTake("busy", out _);
        Assert.True(budget.Count < 100, $"{budget.Count} keys still tracked");
    }

    [Fact]
    public void Connections_are_counted_per_user_and_per_address_and_a_lease_gives_its_place_back_once()
    {
        var limits = new ConnectionLimits(perUser: 2, perAddress: 3);
        var a = limits.TryOpen("u1", "addr", out _);
        var b = limits.TryOpen("u1", "addr", out _);
        Assert.NotNull(a);
        Assert.NotNull(b);
        Assert.Null(limits.TryOpen("u1", "other", out var reason));
        Assert.Contains("This user", reason);
        Assert.NotNull(limits.TryOpen("u2", "addr", out _));
        Assert.Null(limits.TryOpen("u3", "addr", out reason));
        Assert.Contains("This address", reason);

        a!.Dispose();
        a.Dispose();
        Assert.Equal(1, limits.OfUser("u1"));
        Assert.Equal(2, limits.OfAddress("addr"));
        Assert.NotNull(limits.TryOpen("u1", "elsewhere", out _));
    }

    [Theory]
    [InlineData("203.0.113.9", "203.0.113.9")]
    [InlineData("::ffff:203.0.113.9", "203.0.113.9")]
    [InlineData("2001:db8:1:2:aaaa:bbbb:cccc:dddd", "2001:db8:1:2::/64")]
    [InlineData("2001:db8:1:2::1", "2001:db8:1:2::/64")]
    [InlineData("2001:db8:1:3::1", "2001:db8:1:3::/64")]
    public void Client_addresses_are_keyed_by_address_and_ipv6_by_its_64(string address, string key) =>
        Assert.Equal(key, ClientAddress.Key(IPAddress.Parse(address)));

    [Theory]
    [InlineData("KnownProxies", "proxy.example")]
    [InlineData("KnownNetworks", "10.0.0.0")]
    [InlineData("KnownNetworks", "10.0.0.0/99")]
    public void A_malformed_proxy_setting_stops_the_gateway_at_start_naming_the_setting(string setting, string value)
    {
        var options = new GatewayOptions();
        if (setting == "KnownProxies") options.KnownProxies = [value];
        else options.KnownNetworks = [value];
        var error = Assert.Throws<ArgumentException>(options.Validate);
        Assert.Contains("OpenChat:Gateway:" + setting, error.Message);
    }

    [Fact]
    public void Only_the_configured_proxies_are_believed()
    {
        var forwarded = ForwardedHeadersSetup.Options(new GatewayOptions { KnownProxies = ["10.1.2.3"], KnownNetworks = ["fd00::/8"] });
        Assert.Equal([IPAddress.Parse("10.1.2.3")], forwarded.KnownProxies);
        Assert.Single(forwarded.KnownIPNetworks);
        var none = ForwardedHeadersSetup.Options(new GatewayOptions());
        Assert.Empty(none.KnownProxies);
        Assert.Empty(none.KnownIPNetworks);
    }
}

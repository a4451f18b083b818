using System.Net;
using System.Net.Http.Json;
using OpenChat.Protocol.Text;
using OpenChat.SimulatedClients.Network;
using Xunit;

namespace OpenChat.Gateway.Tests;

/// <summary>Display names that would render deceptively are refused; names that render alike compare alike.</summary>
public sealed class DisplayNameTests
{
    [Theory]
    [InlineData("admin\u202Egnp.exe", "text direction control")] // right-to-left override
    [InlineData("\u2067Bob\u2069", "text direction control")]
    [InlineData("Al\u200Eice", "text direction control")]
    [InlineData("Al\u200Bice", "zero-width")]
    [InlineData("Al\u200Dice", "zero-width")]
    [InlineData("\uFEFFAlice", "zero-width")]
    [InlineData("Ali\u2060ce", "zero-width")]
    [InlineData("Ali\u00ADce", "invisible formatting")] // soft hyphen
    [InlineData("Alice\u3164", "invisible")] // Hangul filler
    [InlineData("Al\u0007ice", "control")]
    [InlineData("Al\uE000ice", "private-use")]
    [InlineData("Al\uD800ice", "broken")]
    [InlineData("Al\u2028ice", "line break")]
    public void A_name_with_invisible_or_direction_characters_is_refused(string name, string why)
    {
        Assert.Null(TextRules.NormalizeDisplayName(name, out var reason));
        Assert.Contains(why, reason);
    }

    [Fact]
    public void Names_are_stored_in_their_normal_form_and_names_that_render_alike_share_a_key()
    {
        Assert.True(UnicodeNormalizer.IsAvailable, "ICU (libicuuc) was not found on this machine");
        Assert.Equal("Alice", TextRules.NormalizeDisplayName("Ａｌｉｃｅ", out _)); // full-width
        Assert.Equal("fine", TextRules.NormalizeDisplayName("ﬁne", out _)); // ligature
        Assert.Equal("Zoë", TextRules.NormalizeDisplayName("Zoe\u0308", out _)); // combining diaeresis composed
        Assert.True(TextRules.SameDisplayName("Alice", "ＡＬＩＣＥ"));
        Assert.True(TextRules.SameDisplayName("Zoë", "ZOE\u0308"));
        Assert.True(TextRules.SameDisplayName("Dr  Who", "dr who"));
        Assert.False(TextRules.SameDisplayName("Alice", "Alicia"));
        // Ordinary names of many scripts pass unchanged.
        foreach (var name in new[] { "Zoë", "Renée O'Neil", "Łukasz", "Σωκράτης", "Юрий", "李小龙", "محمد", "דוד", "José 🎸" })
            Assert.Equal(name, TextRules.NormalizeDisplayName(name, out _));
    }

    [Fact]
    public async Task The_server_refuses_such_a_name_with_invalid_argument_and_accepts_its_clean_form()
    {
        await using var server = await InProcessServer.StartAsync();
        using var http = SourceAddress.HttpClient(SourceAddress.Next());
        using var refused = await http.PostAsJsonAsync(server.BaseUrl + "/api/session", new { displayName = "admin\u202Egnp.exe" });
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Contains("invalid_argument", await refused.Content.ReadAsStringAsync());

        using var accepted = await http.PostAsJsonAsync(server.BaseUrl + "/api/session", new { displayName = "Ａｌｉｃｅ" });
        accepted.EnsureSuccessStatusCode();
        Assert.Equal("Alice", (await accepted.Content.ReadFromJsonAsync<TestSupport.SessionDto>())!.DisplayName);
    }
}

using System.Net.Http.Headers;
using System.Text.Json;
using Microsoft.Playwright;
using OpenChat.TestSupport;
using Xunit;

namespace OpenChat.Browser.Tests;

/// <summary>
/// Replies, mentions, the typing indicator, edits and deletes through the web client of two users in one channel,
/// against the all-in-one server; a reload reads the channel's history back from the server. A moderator deletes
/// another member's message with a reason. Its own server, so the setup code is still unused.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class MessageModerationTests(WebApp app) : IClassFixture<WebApp>, IAsyncLifetime
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync() => app.EndTestAsync();

    private static ILocator Messages(IPage page) => page.GetByRole(AriaRole.Log, new() { Name = "Messages" });

    private static ILocator Items(IPage page) => Messages(page).GetByRole(AriaRole.Listitem);

    /// <summary>The message pane's entry of the message whose text contains <paramref name="text"/>.</summary>
    private static ILocator MessageItem(IPage page, string text) =>
        Items(page).Filter(new() { Has = page.Locator(".message-text", new() { HasText = text }) });

    private static ILocator Composer(IPage page) => page.GetByRole(AriaRole.Textbox, new() { Name = "Message" });

    private static ILocator ChannelButton(IPage page, string name) => page.GetByRole(AriaRole.Button, new() { Name = $"Text channel {name}" });

    /// <summary>Points at a message (its toolbar shows on hover) and presses one of its actions.</summary>
    private static async Task ActOnAsync(ILocator message, string action)
    {
        await message.HoverAsync();
        await message.GetByRole(AriaRole.Toolbar).GetByRole(AriaRole.Button, new() { Name = action, Exact = true }).ClickAsync();
    }

    private static async Task OpenChannelAsync(IPage page, string name)
    {
        await ChannelButton(page, name).ClickAsync();
        await Assertions.Expect(ChannelButton(page, name)).ToHaveAttributeAsync("aria-current", "page");
    }

    /// <summary>After a reload the stored session signs the user straight back in; opens the channel again.</summary>
    private static async Task ReloadIntoAsync(IPage page, string who, string channel)
    {
        await page.ReloadAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Button, new() { Name = $"Account: {who}", Exact = true }))
            .ToBeVisibleAsync(new() { Timeout = 30_000 });
        await OpenChannelAsync(page, channel);
    }

    [Fact]
    public async Task A_reply_mentions_its_author_edits_show_once_deletes_vanish_for_both_and_history_agrees_after_a_reload()
    {
        await app.CreateChannelAsync("deck", "text");
        var alice = await app.SignInAsync(await app.LaunchAsync(), "Alice");
        var bob = await app.SignInAsync(await app.LaunchAsync(), "Bob");
        await OpenChannelAsync(alice, "deck");
        await OpenChannelAsync(bob, "deck");

        await Composer(alice).FillAsync("the first watch starts at eight");
        await Composer(alice).PressAsync("Enter");
        var original = MessageItem(bob, "the first watch starts at eight");
        await Assertions.Expect(original).ToHaveCountAsync(1, new() { Timeout = 20_000 });

        // Bob replies and picks Alice from the suggestions; while he types, Alice sees it.
        await ActOnAsync(original, "Reply");
        await Assertions.Expect(bob.GetByRole(AriaRole.Group, new() { Name = "Replying" })).ToContainTextAsync("Replying to Alice: the first watch starts at eight");
        await Composer(bob).PressSequentiallyAsync("@Ali");
        var typing = alice.GetByRole(AriaRole.Status, new() { Name = "Typing" });
        await Assertions.Expect(typing).ToHaveTextAsync("Bob is typing…", new() { Timeout = 20_000 });
        var suggestion = bob.GetByRole(AriaRole.Listbox, new() { Name = "Members to mention" }).GetByRole(AriaRole.Option, new() { Name = "@Alice" });
        await Assertions.Expect(suggestion).ToBeVisibleAsync();
        await Composer(bob).PressAsync("Enter");
        await Assertions.Expect(Composer(bob)).ToHaveValueAsync("@Alice ");
        await Composer(bob).PressSequentiallyAsync("I will be there");

        // Alice looks at another channel when the reply comes: the channel's badge says she was mentioned.
        await OpenChannelAsync(alice, "general");
        await Composer(bob).PressAsync("Enter");
        var reply = MessageItem(bob, "I will be there");
        await Assertions.Expect(reply).ToHaveCountAsync(1);
        await Assertions.Expect(reply.Locator(".reply-ref")).ToContainTextAsync("@Alice the first watch starts at eight");
        await Assertions.Expect(reply.Locator(".message-text .mention")).ToHaveTextAsync("@Alice");
        var deck = alice.GetByRole(AriaRole.Button, new() { Name = "Text channel deck, 1 mention" });
        await Assertions.Expect(deck).ToBeVisibleAsync(new() { Timeout = 20_000 });
        await Assertions.Expect(deck.Locator(".badge.mention")).ToHaveTextAsync("@1");
        await OpenChannelAsync(alice, "deck");
        var mentioned = MessageItem(alice, "I will be there");
        await Assertions.Expect(mentioned).ToHaveAttributeAsync("data-mentions-me", "true");
        await Assertions.Expect(mentioned.Locator(".mention.me")).ToHaveTextAsync("@Alice");
        await Assertions.Expect(typing).ToHaveTextAsync("");

        // Alice edits her message: Bob sees the new text once, marked as edited, and his reply quotes it.
        // (Found by id: while edited, its text is in the box.)
        var ownId = await MessageItem(alice, "the first watch starts at eight").GetAttributeAsync("data-message-id");
        var own = alice.Locator($"li.message[data-message-id='{ownId}']");
        await ActOnAsync(own, "Edit");
        var editor = own.GetByRole(AriaRole.Textbox, new() { Name = "Edit message" });
        await editor.FillAsync("the first watch starts at nine");
        await editor.PressAsync("Enter");
        var edited = MessageItem(bob, "the first watch starts at nine");
        await Assertions.Expect(edited).ToHaveCountAsync(1, new() { Timeout = 20_000 });
        await Assertions.Expect(edited.Locator(".edited")).ToHaveTextAsync("(edited)");
        await Assertions.Expect(MessageItem(bob, "starts at eight")).ToHaveCountAsync(0);
        await Assertions.Expect(Items(bob)).ToHaveCountAsync(2);
        await Assertions.Expect(reply.Locator(".reply-ref")).ToContainTextAsync("starts at nine");
        await Assertions.Expect(Items(alice)).ToHaveCountAsync(2);

        // Bob deletes his reply: it goes from both pages.
        await ActOnAsync(reply, "Delete");
        var confirm = bob.GetByRole(AriaRole.Dialog, new() { Name = "Delete message" });
        await confirm.GetByRole(AriaRole.Button, new() { Name = "Delete", Exact = true }).ClickAsync();
        await Assertions.Expect(confirm).ToHaveCountAsync(0);
        await Assertions.Expect(MessageItem(bob, "I will be there")).ToHaveCountAsync(0);
        await Assertions.Expect(MessageItem(alice, "I will be there")).ToHaveCountAsync(0, new() { Timeout = 20_000 });
        await Assertions.Expect(Items(alice)).ToHaveCountAsync(1);
        await Assertions.Expect(Items(bob)).ToHaveCountAsync(1);

        // The history both read after a reload has the edit and not the deleted reply.
        foreach (var (page, who) in new[] { (alice, "Alice"), (bob, "Bob") })
        {
            await ReloadIntoAsync(page, who, "deck");
            var kept = MessageItem(page, "the first watch starts at nine");
            await Assertions.Expect(kept).ToHaveCountAsync(1, new() { Timeout = 20_000 });
            await Assertions.Expect(kept.Locator(".edited")).ToHaveTextAsync("(edited)");
            await Assertions.Expect(Items(page)).ToHaveCountAsync(1);
            await Assertions.Expect(Messages(page)).Not.ToContainTextAsync("I will be there");
            await Assertions.Expect(Messages(page)).Not.ToContainTextAsync("starts at eight");
        }
    }

    [Fact]
    public async Task The_owner_deletes_a_member_s_message_with_a_reason_it_vanishes_for_its_author_and_the_audit_log_keeps_why()
    {
        await app.CreateChannelAsync("quarterdeck", "text");
        var owner = await app.ClaimServerAsync("captain", "correct horse battery");
        var sailor = await app.SignInAsync(await app.LaunchAsync(), "Sailor");
        await OpenChannelAsync(owner, "quarterdeck");
        await OpenChannelAsync(sailor, "quarterdeck");
        await Composer(sailor).FillAsync("buy cheap rum at example.org");
        await Composer(sailor).PressAsync("Enter");
        await Composer(sailor).FillAsync("aye aye");
        await Composer(sailor).PressAsync("Enter");

        // The owner may delete the sailor's message, not edit it.
        var spam = MessageItem(owner, "buy cheap rum");
        await Assertions.Expect(spam).ToHaveCountAsync(1, new() { Timeout = 20_000 });
        await spam.HoverAsync();
        await Assertions.Expect(spam.GetByRole(AriaRole.Toolbar).GetByRole(AriaRole.Button, new() { Name = "Edit", Exact = true })).ToHaveCountAsync(0);
        await ActOnAsync(spam, "Delete");
        var confirm = owner.GetByRole(AriaRole.Dialog, new() { Name = "Delete message" });
        await Assertions.Expect(confirm).ToContainTextAsync("Delete this message from Sailor?");
        await confirm.GetByLabel("Reason (kept in the audit log)").FillAsync("advertising");
        await confirm.GetByRole(AriaRole.Button, new() { Name = "Delete", Exact = true }).ClickAsync();
        await Assertions.Expect(confirm).ToHaveCountAsync(0);

        await Assertions.Expect(MessageItem(sailor, "buy cheap rum")).ToHaveCountAsync(0, new() { Timeout = 20_000 });
        await Assertions.Expect(MessageItem(sailor, "aye aye")).ToHaveCountAsync(1);
        await Assertions.Expect(MessageItem(owner, "buy cheap rum")).ToHaveCountAsync(0);

        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(15) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", WebApp.AdminKey);
        JsonElement entry = default;
        await Probe.UntilAsync(async () =>
        {
            using var audit = JsonDocument.Parse(await http.GetStringAsync(app.BaseUrl + "/api/server/audit?action=message.delete"));
            var entries = audit.RootElement.GetProperty("entries").EnumerateArray().ToArray();
            if (entries.Length == 0) return false;
            entry = entries.Single().Clone();
            return true;
        }, Patience, "the delete to be in the audit log");
        Assert.Equal("advertising", entry.GetProperty("reason").GetString());
        Assert.Equal("member", entry.GetProperty("target").GetProperty("kind").GetString());
    }
}

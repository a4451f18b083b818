using Microsoft.Playwright;
using Xunit;
using Xunit.Abstractions;

namespace OpenChat.Browser.Tests;

/// <summary>
/// The admin panel's Channels page against the all-in-one server: the owner creates, renames, reorders (by dragging
/// and by keyboard), files under a category and deletes channels, and another member's channel list follows each
/// change live, in names and order.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class ChannelAdminTests(WebApp app, ITestOutputHelper output) : IClassFixture<WebApp>, IAsyncLifetime
{
    private const string Password = "correct horse battery";
    private static readonly LocatorAssertionsToHaveTextOptions Live = new() { Timeout = 15_000 };

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync() => app.EndTestAsync();

    [Fact]
    public async Task The_owner_creates_renames_reorders_by_drag_and_keyboard_and_deletes_channels_and_a_member_follows_live()
    {
        var owner = await app.ClaimServerAsync("chief", Password);
        owner.Console += (_, m) => { if (m.Type is "error" or "warning") output.WriteLine($"owner console {m.Type}: {m.Text}"); };
        var viewer = await app.RegisterAsync(await app.LaunchAsync(), "watcher", Password);
        viewer.Console += (_, m) => { if (m.Type is "error" or "warning") output.WriteLine($"viewer console {m.Type}: {m.Text}"); };
        // The member's text channels, in the order their channel list shows them.
        var viewersChannels = viewer.Locator("ul[aria-labelledby='text-channels-title'] .channel-name");
        await Assertions.Expect(viewersChannels).ToHaveTextAsync(["general"], Live);

        await owner.GetByRole(AriaRole.Button, new() { Name = "Server settings" }).ClickAsync();
        var settings = owner.GetByRole(AriaRole.Dialog, new() { Name = "Server settings" });
        await settings.GetByRole(AriaRole.Tab, new() { Name = "Channels" }).ClickAsync();
        // The panel's own list, every channel without a category (the default voice channel Lounge among them).
        var panelChannels = settings.GetByRole(AriaRole.List, new() { Name = "Channels without a category" }).Locator(".channel-order-name");
        await Assertions.Expect(panelChannels).ToHaveTextAsync(["general", "Lounge"]);

        // Create two text channels.
        foreach (var name in new[] { "lobby", "notes" })
        {
            await settings.GetByLabel("Channel name").FillAsync(name);
            await settings.GetByRole(AriaRole.Button, new() { Name = "Create channel" }).ClickAsync();
            await Assertions.Expect(settings.GetByRole(AriaRole.Status).Filter(new() { HasText = $"Channel {name} created" })).ToBeVisibleAsync();
        }
        await Assertions.Expect(panelChannels).ToHaveTextAsync(["general", "Lounge", "lobby", "notes"]);
        await Assertions.Expect(viewersChannels).ToHaveTextAsync(["general", "lobby", "notes"], Live);

        // Rename lobby to hall.
        await settings.GetByRole(AriaRole.Button, new() { Name = "Edit lobby" }).ClickAsync();
        var editor = settings.GetByRole(AriaRole.Region, new() { Name = "Channel lobby" });
        await editor.GetByLabel("Name", new() { Exact = true }).FillAsync("hall");
        await editor.GetByLabel("Topic", new() { Exact = true }).FillAsync("Where we meet");
        await editor.GetByRole(AriaRole.Button, new() { Name = "Save channel" }).ClickAsync();
        await Assertions.Expect(panelChannels).ToHaveTextAsync(["general", "Lounge", "hall", "notes"]);
        await Assertions.Expect(viewersChannels).ToHaveTextAsync(["general", "hall", "notes"], Live);
        await Assertions.Expect(viewer.GetByRole(AriaRole.Button, new() { Name = "Text channel hall" })).ToHaveAttributeAsync("title", "Where we meet");
        await settings.GetByRole(AriaRole.Button, new() { Name = "Edit hall" }).ClickAsync();

        // Drag hall by its handle onto general: it takes general's place.
        var reordered = owner.WaitForResponseAsync(r => r.Request.Method == "PUT" && r.Url.EndsWith("/api/channels/order", StringComparison.Ordinal));
        await settings.GetByRole(AriaRole.Button, new() { Name = "Move hall", Exact = true })
            .DragToAsync(settings.Locator(".channel-order-row", new() { Has = owner.GetByText("general", new() { Exact = true }) }));
        Assert.Equal(204, (await reordered).Status);
        await Assertions.Expect(panelChannels).ToHaveTextAsync(["hall", "general", "Lounge", "notes"]);
        await Assertions.Expect(viewersChannels).ToHaveTextAsync(["hall", "general", "notes"], Live);

        // By keyboard: notes' handle, Alt+Up twice (past Lounge, then past general); the handle keeps the focus.
        var notesHandle = settings.GetByRole(AriaRole.Button, new() { Name = "Move notes", Exact = true });
        await notesHandle.FocusAsync();
        await owner.Keyboard.PressAsync("Alt+ArrowUp");
        await Assertions.Expect(panelChannels).ToHaveTextAsync(["hall", "general", "notes", "Lounge"]);
        await Assertions.Expect(settings.GetByRole(AriaRole.Status).Filter(new() { HasText = "notes moved to position 3 of 4." })).ToHaveCountAsync(1);
        await Assertions.Expect(notesHandle).ToBeFocusedAsync();
        await owner.Keyboard.PressAsync("Alt+ArrowUp");
        await Assertions.Expect(panelChannels).ToHaveTextAsync(["hall", "notes", "general", "Lounge"]);
        await Assertions.Expect(settings.GetByRole(AriaRole.Status).Filter(new() { HasText = "notes moved to position 2 of 4." })).ToHaveCountAsync(1);
        await Assertions.Expect(notesHandle).ToBeFocusedAsync();
        await Assertions.Expect(viewersChannels).ToHaveTextAsync(["hall", "notes", "general"], Live);
        // The move buttons do the same: general down, below Lounge.
        await settings.GetByRole(AriaRole.Button, new() { Name = "Move general down" }).ClickAsync();
        await Assertions.Expect(panelChannels).ToHaveTextAsync(["hall", "notes", "Lounge", "general"]);
        await Assertions.Expect(viewersChannels).ToHaveTextAsync(["hall", "notes", "general"], Live);

        // A category groups notes under its own header.
        await settings.GetByRole(AriaRole.Button, new() { Name = "Edit notes" }).ClickAsync();
        var notesEditor = settings.GetByRole(AriaRole.Region, new() { Name = "Channel notes" });
        await notesEditor.GetByLabel("Category", new() { Exact = true }).FillAsync("Projects");
        await notesEditor.GetByRole(AriaRole.Button, new() { Name = "Save channel" }).ClickAsync();
        await Assertions.Expect(settings.GetByRole(AriaRole.List, new() { Name = "Channels in Projects" }).Locator(".channel-order-name")).ToHaveTextAsync(["notes"]);
        await Assertions.Expect(panelChannels).ToHaveTextAsync(["hall", "Lounge", "general"]);
        await settings.GetByRole(AriaRole.Button, new() { Name = "Edit notes" }).ClickAsync();

        // Delete hall, after confirming.
        await settings.GetByRole(AriaRole.Button, new() { Name = "Edit hall" }).ClickAsync();
        var hallEditor = settings.GetByRole(AriaRole.Region, new() { Name = "Channel hall" });
        await hallEditor.GetByRole(AriaRole.Button, new() { Name = "Delete channel…" }).ClickAsync();
        var cancel = hallEditor.GetByRole(AriaRole.Button, new() { Name = "Cancel" });
        await Assertions.Expect(cancel).ToBeFocusedAsync();
        await hallEditor.GetByRole(AriaRole.Button, new() { Name = "Delete channel", Exact = true }).ClickAsync();
        await Assertions.Expect(panelChannels).ToHaveTextAsync(["Lounge", "general"]);
        await Assertions.Expect(settings.GetByRole(AriaRole.Heading, new() { Name = "Channels", Exact = true })).ToBeFocusedAsync();
        await Assertions.Expect(viewersChannels).ToHaveTextAsync(["notes", "general"], Live);
    }
}

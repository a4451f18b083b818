using Microsoft.Playwright;
using OpenChat.TestSupport;
using Xunit;

namespace OpenChat.Browser.Tests;

/// <summary>
/// An invite-only server through the web client: the owner makes it invite-only and creates a one-use invite in the
/// server settings; a new user opens the link and registers; a second one with the same link is refused.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class InviteTests(WebApp app) : IClassFixture<WebApp>, IAsyncLifetime
{
    private const string Password = "correct horse battery";

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync() => app.EndTestAsync();

    [Fact]
    public async Task A_one_use_invite_link_admits_one_new_user_to_an_invite_only_server_and_then_is_refused()
    {
        var owner = await app.ClaimServerAsync("host", Password);
        await owner.GetByRole(AriaRole.Button, new() { Name = "Server settings" }).ClickAsync();
        var settings = owner.GetByRole(AriaRole.Dialog, new() { Name = "Server settings" });

        var overview = settings.GetByRole(AriaRole.Form, new() { Name = "Server overview" });
        await settings.GetByRole(AriaRole.Tab, new() { Name = "Overview" }).ClickAsync();
        await overview.GetByLabel("Server name").FillAsync("Lan party");
        await overview.GetByLabel("Only people with an invite").CheckAsync();
        await overview.GetByRole(AriaRole.Button, new() { Name = "Save" }).ClickAsync();
        await Assertions.Expect(overview.GetByRole(AriaRole.Status)).ToHaveTextAsync("Saved.");
        // The name is shown live.
        await Assertions.Expect(owner.Locator(".server-name")).ToHaveTextAsync("Lan party");

        await settings.GetByRole(AriaRole.Tab, new() { Name = "Invites" }).ClickAsync();
        await settings.GetByLabel("Uses").SelectOptionAsync("1");
        await settings.GetByRole(AriaRole.Button, new() { Name = "Create invite" }).ClickAsync();
        var link = settings.GetByRole(AriaRole.List, new() { Name = "Invites" }).GetByLabel("Invite link");
        await Assertions.Expect(link).ToHaveCountAsync(1);
        var url = await link.InputValueAsync();
        Assert.Contains("/invite/", url);

        var guest = await app.OpenAsync(await app.LaunchAsync(), "invited");
        await guest.GotoAsync(url);
        await Assertions.Expect(guest.GetByRole(AriaRole.Status).Filter(new() { HasText = "invited to join" })).ToContainTextAsync("Lan party");
        await WebClientDriver.FillNewAccountAsync(guest, "newcomer", Password);
        await guest.GetByRole(AriaRole.Button, new() { Name = "Create account", Exact = true }).ClickAsync();
        await WebClientDriver.ExpectChatAsync(guest);
        // The page lists the use once it loads the invites again.
        await settings.GetByRole(AriaRole.Tab, new() { Name = "Overview" }).ClickAsync();
        await settings.GetByRole(AriaRole.Tab, new() { Name = "Invites" }).ClickAsync();
        var listed = settings.GetByRole(AriaRole.List, new() { Name = "Invites" });
        await Assertions.Expect(listed).ToContainTextAsync("1 of 1 uses");
        await Assertions.Expect(listed).ToContainTextAsync("used up");

        // The invite is used up: the next person with the link is told so, and registering is refused.
        var late = await app.OpenAsync(await app.LaunchAsync(), "late");
        await late.GotoAsync(url);
        await Assertions.Expect(late.GetByRole(AriaRole.Alert).First).ToContainTextAsync("This invite is not valid");
        await WebClientDriver.FillNewAccountAsync(late, "latecomer", Password);
        await late.GetByRole(AriaRole.Button, new() { Name = "Create account", Exact = true }).ClickAsync();
        await Assertions.Expect(late.Locator(".field-error")).ToContainTextAsync("This invite is not valid");
    }
}

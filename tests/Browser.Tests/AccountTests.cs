using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Playwright;
using OpenChat.TestSupport;
using Xunit;
using Xunit.Abstractions;

namespace OpenChat.Browser.Tests;

/// <summary>
/// Accounts in the web client against the all-in-one server: registering, signing out and in, a wrong password,
/// the owner's setup code from the server's log, and signing out everywhere.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class AccountTests(WebApp app, ITestOutputHelper output) : IClassFixture<WebApp>, IAsyncLifetime
{
    private const string Password = "correct horse battery";

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync() => app.EndTestAsync();

    private static ILocator SignedOutNotice(IPage page) => AccountPages.Notice(page, "You were signed out.");

    [Fact]
    public async Task An_account_registers_signs_out_and_signs_in_again_and_a_wrong_password_is_explained()
    {
        var page = await app.RegisterAsync(await app.LaunchAsync(), "grace", Password);
        // An account is not a guest.
        await Assertions.Expect(page.GetByRole(AriaRole.Button, new() { Name = "Account: grace", Exact = true })).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator(".guest-tag")).ToHaveCountAsync(0);
        await AccountPages.OpenSettingsAsync(page, "grace");
        await Assertions.Expect(AccountPages.Dialog(page)).ToContainTextAsync("Signed in as grace");
        await AccountPages.Dialog(page).GetByRole(AriaRole.Button, new() { Name = "Sign out", Exact = true }).ClickAsync();

        await AccountPages.ExpectWrongPasswordAsync(page, "grace", "not her password");

        // Usernames compare case-insensitively.
        await WebClientDriver.SubmitSignInAsync(page, "GRACE", Password);
        await WebClientDriver.ExpectChatAsync(page);
        await Assertions.Expect(page.GetByRole(AriaRole.Button, new() { Name = "Account: grace", Exact = true })).ToBeVisibleAsync();

        // A guest is shown as one, and cannot take the registered name.
        var guest = await app.OpenAsync(await app.LaunchAsync(), "guest");
        await guest.GetByLabel("Display name").FillAsync("Grace");
        await guest.GetByRole(AriaRole.Button, new() { Name = "Join" }).ClickAsync();
        await Assertions.Expect(guest.GetByRole(AriaRole.Alert)).ToContainTextAsync("belongs to a registered account");
        await guest.GetByLabel("Display name").FillAsync("Ada");
        await guest.GetByRole(AriaRole.Button, new() { Name = "Join" }).ClickAsync();
        await Assertions.Expect(guest.GetByRole(AriaRole.Button, new() { Name = "Account: Ada", Exact = true })).ToHaveAccessibleDescriptionAsync("guest");
    }

    [Fact]
    public async Task The_owner_claims_the_server_with_the_setup_code_from_the_server_s_log()
    {
        var code = app.SetupCode;
        var page = await app.OpenAsync(await app.LaunchAsync(), "owner");
        await page.GetByRole(AriaRole.Button, new() { Name = "Set up this server" }).ClickAsync();

        // A wrong code is refused; the account it made is kept for the next try.
        await page.GetByLabel("Setup code").FillAsync("not-the-setup-code");
        await WebClientDriver.FillNewAccountAsync(page, "hopper", Password);
        await page.GetByRole(AriaRole.Button, new() { Name = "Set up this server" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Alert)).ToContainTextAsync("That setup code is not right");

        await page.GetByLabel("Setup code").FillAsync(code);
        await page.GetByRole(AriaRole.Button, new() { Name = "Set up this server" }).ClickAsync();
        await WebClientDriver.ExpectChatAsync(page);
        await AccountPages.OpenSettingsAsync(page, "hopper");
        await Assertions.Expect(AccountPages.Dialog(page)).ToContainTextAsync("Signed in as hopper");
        await Assertions.Expect(AccountPages.Dialog(page).Locator(".owner-tag")).ToHaveTextAsync("owner");

        using var http = new HttpClient();
        var info = await http.GetFromJsonAsync<JsonElement>(app.BaseUrl + "/api/info");
        Assert.False(info.GetProperty("auth").GetProperty("setupRequired").GetBoolean());
        // Signed in elsewhere, the owner is no longer offered the setup.
        var again = await app.OpenAsync(await app.LaunchAsync(), "owner again");
        await Assertions.Expect(again.GetByRole(AriaRole.Button, new() { Name = "Sign in", Exact = true })).ToBeVisibleAsync();
        await Assertions.Expect(again.GetByRole(AriaRole.Button, new() { Name = "Set up this server" })).ToHaveCountAsync(0);
    }

    [Fact]
    public async Task Signing_out_everywhere_sends_the_user_s_other_page_to_the_sign_in_screen_within_seconds()
    {
        var (here, there) = await AccountPages.SignedInTwiceAsync(app, "turing", Password);
        var clock = Stopwatch.StartNew();
        await AccountPages.Dialog(here).GetByRole(AriaRole.Button, new() { Name = "Sign out everywhere" }).ClickAsync();
        await Assertions.Expect(SignedOutNotice(there)).ToBeVisibleAsync(new() { Timeout = 10_000 });
        output.WriteLine($"the other page showed the sign-in screen {clock.ElapsedMilliseconds} ms after the click");
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(8), $"the other page was signed out after {clock.Elapsed.TotalSeconds:0.0} s");
        await Assertions.Expect(there.GetByLabel("Username", new() { Exact = true })).ToBeVisibleAsync();

        // This page stays signed in with its fresh token: it says so, and it can still post.
        await Assertions.Expect(AccountPages.Dialog(here).GetByRole(AriaRole.Status)).ToHaveTextAsync("Your other sessions were signed out.");
        await here.Keyboard.PressAsync("Escape");
        await here.GetByRole(AriaRole.Button, new() { Name = "Text channel general" }).ClickAsync();
        var box = here.GetByRole(AriaRole.Textbox, new() { Name = "Message" });
        await box.FillAsync("still here");
        await box.PressAsync("Enter");
        await Assertions.Expect(here.GetByRole(AriaRole.Log, new() { Name = "Messages" }).GetByText("still here")).ToBeVisibleAsync(new() { Timeout = 15_000 });
        await Assertions.Expect(SignedOutNotice(here)).ToHaveCountAsync(0);
    }
}

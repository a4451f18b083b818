using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using OpenChat.TestSupport;
using Xunit;

namespace OpenChat.Browser.Tests;

/// <summary>
/// What happens to an account over its life, through the web client against the all-in-one server: a new password,
/// the account deleted, a guest claiming an account, and a password reset link the owner makes in the account
/// settings, and a moderator's kick. Its own server, so the setup code is still unused.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class AccountLifecycleTests(WebApp app) : IClassFixture<WebApp>, IAsyncLifetime
{
    private const string Password = "correct horse battery";
    private const string NewPassword = "a stapled battery horse";

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync() => app.EndTestAsync();

    private static ILocator Dialog(IPage page) => AccountPages.Dialog(page);

    private static ILocator Notice(IPage page, string text) => AccountPages.Notice(page, text);

    private static ILocator Messages(IPage page) => page.GetByRole(AriaRole.Log, new() { Name = "Messages" });

    /// <summary>The message pane's entry of the message <paramref name="text"/>.</summary>
    private static ILocator MessageItem(IPage page, string text) => Messages(page).GetByRole(AriaRole.Listitem).Filter(new() { HasText = text });

    private static async Task PostAsync(IPage page, string text)
    {
        var box = page.GetByRole(AriaRole.Textbox, new() { Name = "Message" });
        await box.FillAsync(text);
        await box.PressAsync("Enter");
        await Assertions.Expect(MessageItem(page, text)).ToBeVisibleAsync(new() { Timeout = 15_000 });
    }

    [Fact]
    public async Task A_new_password_signs_out_the_other_page_and_only_the_new_password_signs_in()
    {
        var (here, there) = await AccountPages.SignedInTwiceAsync(app, "lovelace", Password);
        var form = Dialog(here).GetByRole(AriaRole.Form, new() { Name = "Change password" });
        await form.GetByLabel("Current password").FillAsync("not the password");
        await form.GetByLabel("New password", new() { Exact = true }).FillAsync(NewPassword);
        await form.GetByLabel("Repeat new password").FillAsync(NewPassword);
        await form.GetByRole(AriaRole.Button, new() { Name = "Change password" }).ClickAsync();
        await Assertions.Expect(form.GetByRole(AriaRole.Alert)).ToHaveTextAsync("That password is not right.");

        await form.GetByLabel("Current password").FillAsync(Password);
        await form.GetByRole(AriaRole.Button, new() { Name = "Change password" }).ClickAsync();
        // This page starts its chat again with the new session; the settings open again and say what happened.
        await Assertions.Expect(Dialog(here).GetByRole(AriaRole.Status)).ToHaveTextAsync("Password changed; your other sessions were signed out.",
            new() { Timeout = 10_000 });

        // docs/protocol.md: a password change ends every other session; the other page is sent to the sign-in screen.
        await Assertions.Expect(Notice(there, "You were signed out.")).ToBeVisibleAsync(new() { Timeout = 10_000 });
        await AccountPages.ExpectWrongPasswordAsync(there, "lovelace", Password);
        await WebClientDriver.SubmitSignInAsync(there, "lovelace", NewPassword);
        await WebClientDriver.ExpectChatAsync(there);

        // The page that changed it stays signed in with its new token.
        await here.Keyboard.PressAsync("Escape");
        await Assertions.Expect(Dialog(here)).ToHaveCountAsync(0);
        await PostAsync(here, "still signed in after the change");
        await Assertions.Expect(Notice(here, "You were signed out.")).ToHaveCountAsync(0);
    }

    [Fact]
    public async Task A_deleted_account_s_message_shows_as_from_a_deleted_user_and_its_name_no_longer_signs_in()
    {
        var author = await app.RegisterAsync(await app.LaunchAsync(), "babbage", Password);
        await PostAsync(author, "engines before the account went");

        await AccountPages.OpenSettingsAsync(author, "babbage");
        await Dialog(author).GetByRole(AriaRole.Button, new() { Name = "Delete account…" }).ClickAsync();
        var form = Dialog(author).GetByRole(AriaRole.Form, new() { Name = "Delete account" });
        await form.GetByLabel("Password", new() { Exact = true }).FillAsync("not the password");
        await form.GetByRole(AriaRole.Button, new() { Name = "Delete my account" }).ClickAsync();
        await Assertions.Expect(form.GetByRole(AriaRole.Alert)).ToHaveTextAsync("That password is not right.");
        await form.GetByLabel("Password", new() { Exact = true }).FillAsync(Password);
        await form.GetByRole(AriaRole.Button, new() { Name = "Delete my account" }).ClickAsync();
        await Assertions.Expect(Notice(author, "Your account was deleted.")).ToBeVisibleAsync(new() { Timeout = 10_000 });
        await AccountPages.ExpectWrongPasswordAsync(author, "babbage", Password);

        // Someone else sees the message, under "Deleted user" and not the old name.
        var reader = await app.SignInAsync(await app.LaunchAsync(), "Reader");
        var message = MessageItem(reader, "engines before the account went");
        await Assertions.Expect(message).ToBeVisibleAsync(new() { Timeout = 15_000 });
        await Assertions.Expect(message).ToContainTextAsync("Deleted user");
        await Assertions.Expect(message).Not.ToContainTextAsync("babbage");
    }

    [Fact]
    public async Task A_guest_who_claims_an_account_keeps_their_id_and_their_earlier_message()
    {
        var page = await app.SignInAsync(await app.LaunchAsync(), "Wanderer");
        await PostAsync(page, "written as a guest");
        var guestId = await MessageItem(page, "written as a guest").GetAttributeAsync("data-author-id");
        Assert.NotNull(guestId);

        await AccountPages.OpenSettingsAsync(page, "Wanderer");
        var form = Dialog(page).GetByRole(AriaRole.Form, new() { Name = "Create an account" });
        await form.GetByLabel("Username", new() { Exact = true }).FillAsync("cartographer");
        await form.GetByLabel("Password", new() { Exact = true }).FillAsync(Password);
        await form.GetByLabel("Repeat password", new() { Exact = true }).FillAsync(Password);
        await form.GetByRole(AriaRole.Button, new() { Name = "Create account" }).ClickAsync();
        // The chat starts again as the account.
        var accountButton = page.GetByRole(AriaRole.Button, new() { Name = "Account: cartographer", Exact = true });
        await Assertions.Expect(accountButton).ToBeVisibleAsync();
        await Assertions.Expect(accountButton).Not.ToHaveAccessibleDescriptionAsync("guest");
        await PostAsync(page, "written as an account");

        // Signed in elsewhere with the password: the same user (docs/protocol.md: the guest keeps id and history).
        // A message keeps the name it was posted under, so the earlier one still says Wanderer; the new one
        // starts its own group under the account's name.
        var elsewhere = await app.SignInWithPasswordAsync(await app.LaunchAsync(), "cartographer", Password);
        var earlier = MessageItem(elsewhere, "written as a guest");
        var later = MessageItem(elsewhere, "written as an account");
        await Assertions.Expect(earlier).ToHaveAttributeAsync("data-author-id", guestId!);
        await Assertions.Expect(later).ToHaveAttributeAsync("data-author-id", guestId!);
        await Assertions.Expect(earlier.Locator(".message-author")).ToHaveTextAsync("Wanderer");
        await Assertions.Expect(later.Locator(".message-author")).ToHaveTextAsync("cartographer");
        await PostAsync(elsewhere, "and from another device");
        await Assertions.Expect(MessageItem(elsewhere, "and from another device")).ToHaveAttributeAsync("data-author-id", guestId!);

        // The guest's own name is free for the account only: its name signs in, a guest cannot take it.
        var guest = await app.OpenAsync(await app.LaunchAsync(), "guest");
        await guest.GetByLabel("Display name").FillAsync("cartographer");
        await guest.GetByRole(AriaRole.Button, new() { Name = "Join as guest" }).ClickAsync();
        await Assertions.Expect(guest.GetByRole(AriaRole.Alert)).ToContainTextAsync("belongs to a registered account");
    }

    [Fact]
    public async Task The_owner_s_reset_link_sets_a_new_password_once()
    {
        var owner = await app.RegisterAsync(await app.LaunchAsync(), "keeper", Password);
        await AccountPages.OpenSettingsAsync(owner, "keeper");
        await Dialog(owner).GetByLabel("Setup code").FillAsync(app.SetupCode);
        await Dialog(owner).GetByRole(AriaRole.Button, new() { Name = "Become the owner" }).ClickAsync();
        await Assertions.Expect(Dialog(owner)).ToHaveCountAsync(0, new() { Timeout = 10_000 });

        var member = await app.RegisterAsync(await app.LaunchAsync(), "forgetful", Password);
        await AccountPages.OpenSettingsAsync(member, "forgetful");
        await Assertions.Expect(Dialog(member)).ToContainTextAsync("Signed in as forgetful");
        // Only the owner is offered reset links.
        await Assertions.Expect(Dialog(member).GetByRole(AriaRole.Form, new() { Name = "Password reset link" })).ToHaveCountAsync(0);
        await member.Keyboard.PressAsync("Escape");

        await AccountPages.OpenSettingsAsync(owner, "keeper");
        var form = Dialog(owner).GetByRole(AriaRole.Form, new() { Name = "Password reset link" });
        await form.GetByLabel("Member’s username").FillAsync("nobody-by-that-name");
        await form.GetByRole(AriaRole.Button, new() { Name = "Make a reset link" }).ClickAsync();
        await Assertions.Expect(form.GetByRole(AriaRole.Alert)).ToHaveTextAsync("No account has that username.");
        await form.GetByLabel("Member’s username").FillAsync("Forgetful");
        await form.GetByRole(AriaRole.Button, new() { Name = "Make a reset link" }).ClickAsync();
        var linkField = form.GetByLabel("Reset link for Forgetful");
        await Assertions.Expect(linkField).ToHaveValueAsync(new Regex("^" + Regex.Escape(app.BaseUrl) + "/#reset=[A-Za-z0-9_-]{20,}$"));
        await Assertions.Expect(form.GetByRole(AriaRole.Status)).ToContainTextAsync("It works once");
        var url = await linkField.InputValueAsync();

        var redeemer = await OpenLinkAsync(url, "redeemer");
        await Assertions.Expect(redeemer.GetByRole(AriaRole.Heading, new() { Name = "Choose a new password" })).ToBeVisibleAsync();
        await ChooseNewPasswordAsync(redeemer);
        await WebClientDriver.ExpectChatAsync(redeemer);
        await Assertions.Expect(redeemer.GetByRole(AriaRole.Button, new() { Name = "Account: forgetful", Exact = true })).ToBeVisibleAsync();
        // The code leaves the address bar once used.
        Assert.DoesNotContain("reset=", redeemer.Url);
        // docs/protocol.md: the reset ends every other session of the account.
        await Assertions.Expect(Notice(member, "You were signed out.")).ToBeVisibleAsync(new() { Timeout = 10_000 });

        // A second use of the same link is refused and says why.
        var again = await OpenLinkAsync(url, "second use");
        await ChooseNewPasswordAsync(again, "yet another good password");
        await Assertions.Expect(again.GetByRole(AriaRole.Alert)).ToHaveTextAsync(
            "This reset link is unknown, was used already or has expired; ask the owner for a new one.");
        await again.GetByRole(AriaRole.Button, new() { Name = "Back to sign in" }).ClickAsync();
        await AccountPages.ExpectWrongPasswordAsync(again, "forgetful", Password);
        await AccountPages.ExpectWrongPasswordAsync(again, "forgetful", "yet another good password");
        await WebClientDriver.SubmitSignInAsync(again, "forgetful", NewPassword);
        await WebClientDriver.ExpectChatAsync(again);
    }

    private async Task<IPage> OpenLinkAsync(string url, string who)
    {
        var page = await app.OpenAsync(await app.LaunchAsync(), who);
        await page.GotoAsync(url);
        // Only the fragment changed: load the page again, as opening the link in a new tab does.
        await page.ReloadAsync();
        return page;
    }

    private static async Task ChooseNewPasswordAsync(IPage page, string password = NewPassword)
    {
        var form = page.GetByRole(AriaRole.Form, new() { Name = "Choose a new password" });
        await form.GetByLabel("New password").FillAsync(password);
        await form.GetByLabel("Repeat password").FillAsync(password);
        await form.GetByRole(AriaRole.Button, new() { Name = "Set password and sign in" }).ClickAsync();
    }

    [Fact]
    public async Task A_kicked_member_s_page_goes_to_the_sign_in_screen_and_says_why_and_a_banned_account_cannot_sign_in()
    {
        var member = await app.RegisterAsync(await app.LaunchAsync(), "rowdy", Password);
        using var http = new HttpClient();
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", WebApp.AdminKey);
        var found = await http.GetFromJsonAsync<JsonElement>(app.BaseUrl + "/api/server/members?query=rowdy");
        var id = found.GetProperty("members")[0].GetProperty("userId").GetString();
        using var kicked = await http.PostAsJsonAsync($"{app.BaseUrl}/api/server/members/{id}/kick", new { reason = "too many memes" });
        Assert.Equal(HttpStatusCode.NoContent, kicked.StatusCode);

        await Assertions.Expect(Notice(member, "A moderator removed you from the server: too many memes")).ToBeVisibleAsync(new() { Timeout = 15_000 });
        await Assertions.Expect(member.GetByRole(AriaRole.Textbox, new() { Name = "Message" })).ToHaveCountAsync(0);

        // A kicked member may come back; a banned one is told why and cannot sign in.
        await WebClientDriver.SubmitSignInAsync(member, "rowdy", Password);
        await WebClientDriver.ExpectChatAsync(member);
        using var banned = await http.PostAsJsonAsync($"{app.BaseUrl}/api/server/members/{id}/ban", new { reason = "spam links" });
        Assert.Equal(HttpStatusCode.NoContent, banned.StatusCode);
        await Assertions.Expect(Notice(member, "This account is banned: spam links")).ToBeVisibleAsync(new() { Timeout = 15_000 });
        await WebClientDriver.SubmitSignInAsync(member, "rowdy", Password);
        await Assertions.Expect(member.GetByRole(AriaRole.Alert)).ToHaveTextAsync("This account is banned: spam links");
        await Assertions.Expect(member.GetByRole(AriaRole.Textbox, new() { Name = "Message" })).ToHaveCountAsync(0);
    }
}

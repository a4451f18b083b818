using Microsoft.Playwright;
using OpenChat.TestSupport;

namespace OpenChat.Browser.Tests;

/// <summary>The web client's account screens as the account tests drive them.</summary>
internal static class AccountPages
{
    /// <summary>The account settings dialog.</summary>
    public static ILocator Dialog(IPage page) => page.GetByRole(AriaRole.Dialog, new() { Name = "Account" });

    /// <summary>Opens the account settings from the user bar's account menu of <paramref name="name"/>.</summary>
    public static async Task OpenSettingsAsync(IPage page, string name)
    {
        await page.GetByRole(AriaRole.Button, new() { Name = $"Account: {name}", Exact = true }).ClickAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Account settings" }).ClickAsync();
        await Assertions.Expect(Dialog(page)).ToBeVisibleAsync();
    }

    /// <summary>A status line saying <paramref name="text"/> ("You were signed out.").</summary>
    public static ILocator Notice(IPage page, string text) => page.GetByRole(AriaRole.Status).Filter(new() { HasText = text });

    /// <summary>
    /// Registers <paramref name="username"/> in one browser and signs in to it in another; the first page has its
    /// account settings open.
    /// </summary>
    public static async Task<(IPage Here, IPage There)> SignedInTwiceAsync(WebApp app, string username, string password)
    {
        var here = await app.RegisterAsync(await app.LaunchAsync(), username, password);
        var there = await app.SignInWithPasswordAsync(await app.LaunchAsync(), username, password);
        await OpenSettingsAsync(here, username);
        return (here, there);
    }

    /// <summary>A sign-in with a wrong password is refused and explained; the page stays on the sign-in screen.</summary>
    public static async Task ExpectWrongPasswordAsync(IPage page, string username, string password)
    {
        await WebClientDriver.SubmitSignInAsync(page, username, password);
        await Assertions.Expect(page.GetByRole(AriaRole.Alert)).ToHaveTextAsync("Wrong username or password.");
        await Assertions.Expect(page.GetByRole(AriaRole.Textbox, new() { Name = "Message" })).ToHaveCountAsync(0);
    }
}

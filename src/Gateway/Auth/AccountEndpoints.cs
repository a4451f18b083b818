using Akka.Actor;
using Akka.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.DependencyInjection;
using OpenChat.Gateway.Edge;
using OpenChat.Gateway.Hub;
using OpenChat.Protocol.Accounts;
using OpenChat.Protocol.Cluster;
using OpenChat.Protocol.Commands;
using OpenChat.Protocol.Ids;
using OpenChat.Protocol.Text;
using OpenChat.Protocol;
using static OpenChat.Gateway.GatewayEndpoints;

using OpenChat.Gateway.Sessions;

namespace OpenChat.Gateway.Auth;

/// <summary>
/// Sessions and accounts over HTTP (<c>docs/protocol.md</c>, "Sessions and accounts"): guests, registration (also
/// claiming a guest's id), password sign-in, renewal, sign-out here and everywhere, password change and reset, account
/// deletion, and claiming the server with the setup code. Passwords are hashed and checked here; the accounts
/// singleton stores the hashes and throttles sign-in attempts for the whole cluster.
/// </summary>
public static class AccountEndpoints
{
    public const string LogCategory = "OpenChat.Gateway.Accounts";

    public sealed record RegisterRequest(string? Username, string? Password, string? Invite = null);

    public sealed record SignInRequest(string? Username, string? Password);

    public sealed record PasswordChangeRequest(string? CurrentPassword, string? NewPassword);

    public sealed record PasswordRequest(string? Password);

    public sealed record SetupRequest(string? Code);

    public sealed record ResetRequest(string? Code, string? NewPassword);

    public sealed record AccountDto(string UserId, string? Username, string DisplayName, string Kind, bool Owner, DateTimeOffset? CreatedAt);

    public sealed record ResetLinkRequest(string? Username);

    public sealed record ResetLinkDto(string Code, string Url, DateTimeOffset ExpiresAt);

    public static void MapAccountEndpoints(this WebApplication app)
    {
        app.MapPost("/api/session", CreateGuestSession).RequireRateLimiting(GatewaySetup.SessionRateLimitPolicy);
        app.MapPost("/api/session/renew", Renew).RequireAuthorization();
        app.MapPost("/api/session/sign-in", SignIn).RequireRateLimiting(GatewaySetup.SessionRateLimitPolicy);
        app.MapPost("/api/session/sign-out", SignOut).RequireAuthorization();
        app.MapPost("/api/session/sign-out-everywhere", SignOutEverywhere).RequireAuthorization();
        app.MapPost("/api/accounts", Register).RequireRateLimiting(GatewaySetup.SessionRateLimitPolicy);
        app.MapGet("/api/account", GetAccount).RequireAuthorization();
        app.MapPut("/api/account/password", ChangePassword).RequireAuthorization();
        app.MapDelete("/api/account", DeleteAccount).RequireAuthorization();
        app.MapPost("/api/account/reset", RedeemReset).RequireRateLimiting(GatewaySetup.SessionRateLimitPolicy);
        app.MapPost("/api/setup", ClaimServer).RequireAuthorization();
        app.MapPost("/api/accounts/{userId}/reset-link", async (string userId, HttpContext context, IRequiredActor<AccountsSingleton> accounts, CallBudgets budgets,
            IdentityCache identities, ChannelCatalog catalog) =>
            MayResetFor(context, identities, catalog, UserId.TryParse(userId, out var target) ? target : null) ?? await IssueResetLink(userId, accounts, budgets, context))
            .RequireAuthorization();
        app.MapPost("/api/accounts/reset-link", async (ResetLinkRequest? request, HttpContext context, IRequiredActor<AccountsSingleton> accounts, CallBudgets budgets,
            IdentityCache identities, ChannelCatalog catalog) =>
        {
            if (string.IsNullOrWhiteSpace(request?.Username) || request.Username.Length > UsernameRules.MaxLength * 4)
                return Problem(StatusCodes.Status400BadRequest, "invalid_argument", "Name the account by its username.");
            var username = request.Username.Trim();
            // Whom the name belongs to decides whether the caller outranks them, and the link goes to that very account.
            if (await Ask(accounts, new FindAccounts(username, FindAccounts.MaxLimit), budgets) is not AccountsFound matches)
                return Problem(StatusCodes.Status503ServiceUnavailable, "unavailable", "The accounts service did not answer in time; try again.");
            var found = matches.Accounts.FirstOrDefault(a => UsernameRules.Same(a.Username, username));
            if (MayResetFor(context, identities, catalog, found?.User) is { } refused) return refused;
            // No such account: the singleton answers for the name, as it does for any unknown one.
            return found is null ? await IssueResetLinkByName(username, accounts, budgets) : await IssueResetLink(found.User.Value, accounts, budgets, context);
        }).RequireAuthorization();
    }

    /// <summary>
    /// Null when the caller may issue a reset link for <paramref name="target"/>: they hold resetPasswords, and a link,
    /// which takes the account over, goes only to members ranked below them (the owner's only from the owner).
    /// Otherwise the refusal.
    /// </summary>
    private static IResult? MayResetFor(HttpContext context, IdentityCache identities, ChannelCatalog catalog, UserId? target)
    {
        if (SessionClaims.From(context.User) is not { } caller)
            return Problem(StatusCodes.Status401Unauthorized, "forbidden", "A session token is required.");
        var access = Access.For(caller, catalog, identities);
        if (!access.Can(Protocol.Permissions.Permission.ResetPasswords))
            return Problem(StatusCodes.Status403Forbidden, "forbidden", "You need the resetPasswords permission.");
        if (!access.Owner && target is { } user && !access.Outranks(user, identities.IsOwner(user)))
            return Problem(StatusCodes.Status403Forbidden, "forbidden", "You can reset the passwords of members ranked below you only.");
        return null;
    }

    private static async Task<IResult> IssueResetLinkByName(string username, IRequiredActor<AccountsSingleton> accounts, CallBudgets budgets)
    {
        return ResetLinkResult(await Ask(accounts, new IssueResetCodeByName(username), budgets));
    }

    /// <summary>Issues a reset link for the account, recorded under the caller (the admin key when no session calls: the admin API).</summary>
    public static async Task<IResult> IssueResetLink(string userId, IRequiredActor<AccountsSingleton> accounts, CallBudgets budgets, HttpContext context)
    {
        if (!UserId.TryParse(userId, out var user)) return Problem(StatusCodes.Status400BadRequest, "invalid_argument", "Not a user id.");
        var reply = await Ask(accounts, new IssueResetCode(user), budgets);
        if (reply is ResetCode)
        {
            var (catalog, identities) = (context.RequestServices.GetRequiredService<ChannelCatalog>(), context.RequestServices.GetRequiredService<IdentityCache>());
            context.RequestServices.GetRequiredService<Audit.AuditTrail>().Record(SessionClaims.From(context.User) is { } caller
                ? Access.For(caller, catalog, identities) : Access.AdminKey(catalog), "password.reset-link", Audit.AuditTarget.Member(user));
        }
        return ResetLinkResult(reply);
    }

    private static IResult ResetLinkResult(object reply) => reply switch
    {
        ResetCode code => Results.Ok(new ResetLinkDto(code.Code, "/#reset=" + code.Code, code.ExpiresAt)),
        var other => Refused(other),
    };

    /// <summary>
    /// Starts a guest session: a display name, optionally with the previous guest token so the user keeps their id
    /// (within the session's maximum age). A guest cannot take a registered username as their name.
    /// </summary>
    private static async Task<IResult> CreateGuestSession(SessionRequest? request, TokenService tokens, IdentityCache identities,
        IOptions<AuthOptions> auth, IRequiredActor<AccountsSingleton> accounts, CallBudgets budgets, ChannelCatalog catalog, IOptions<GatewayOptions> gateway)
    {
        if (!ServerEndpoints.Current(catalog, gateway.Value, auth.Value).GuestsAllowed)
            return Problem(StatusCodes.Status403Forbidden, "guests_not_allowed", "This server does not admit guests: register an account or sign in.");
        if (request is null)
            return Problem(StatusCodes.Status400BadRequest, "invalid_argument", "A JSON body with displayName is required.");
        var name = TextRules.NormalizeDisplayName(request.DisplayName, out var reason);
        if (name is null) return Problem(StatusCodes.Status400BadRequest, "invalid_argument", reason);
        if (!identities.CanAuthenticate) return Unavailable();

        SessionIdentity? previous = null;
        if (!string.IsNullOrEmpty(request.Token))
        {
            previous = tokens.Validate(request.Token);
            if (previous is null || (identities.Loaded && identities.IsRevoked(previous)) || previous.Kind != SessionKind.Guest)
                return Problem(StatusCodes.Status401Unauthorized, "invalid_token", "The previous token is invalid, expired or ended.");
        }
        // Without the accounts singleton (a rolling update from a release without accounts) there are no usernames yet.
        if (identities.Loaded && await Ask(accounts, new CheckGuestName(name), budgets) is not NameAvailability { Free: true })
            return Problem(StatusCodes.Status409Conflict, "name_taken", $"'{name}' is a registered username; choose another name.");

        var issued = previous is null
            ? tokens.IssueNew(UserId.NewGuest(), name, SessionKind.Guest, null)
            : tokens.Renew(previous, name);
        if (issued is not { } session)
            return Problem(StatusCodes.Status401Unauthorized, "invalid_token", "This guest session has reached its maximum age.");
        GatewayMetrics.SessionCreated();
        return Results.Ok(Dto(session, identities));
    }

    private static IResult Renew(HttpContext context, TokenService tokens, IdentityCache identities)
    {
        var caller = Caller(context);
        if (tokens.Renew(caller, notBefore: identities.CutOf(caller.User)) is not { } renewed)
            return Problem(StatusCodes.Status401Unauthorized, "invalid_token", "This session has reached its maximum age; sign in again.");
        return Results.Ok(Dto(renewed, identities));
    }

    private static async Task<IResult> Register(RegisterRequest? request, HttpContext context, TokenService tokens, IdentityCache identities,
        IOptions<AuthOptions> auth, PasswordHashing passwords, IRequiredActor<AccountsSingleton> accounts, CallBudgets budgets, ILoggerFactory logs,
        ChannelCatalog catalog, IOptions<GatewayOptions> gateway)
    {
        if (!auth.Value.AllowRegistration)
            return Problem(StatusCodes.Status403Forbidden, "forbidden", "This server does not take new accounts.");
        if (request is null) return Problem(StatusCodes.Status400BadRequest, "invalid_argument", "A JSON body with username and password is required.");
        var username = UsernameRules.Normalize(request.Username, out var reason);
        if (username is null) return Problem(StatusCodes.Status400BadRequest, "invalid_argument", reason);
        if (!UsernameRules.IsAcceptablePassword(request.Password, username, out reason))
            return Problem(StatusCodes.Status400BadRequest, "invalid_argument", reason);
        if (!identities.Loaded) return Unavailable();
        if (request.Invite is { Length: > 64 }) return Problem(StatusCodes.Status400BadRequest, "invalid_argument", "An invite code has at most 64 characters.");
        // The server's first account (its owner-to-be) needs no invite.
        var inviteRequired = ServerEndpoints.Current(catalog, gateway.Value, auth.Value).JoinPolicy == JoinPolicy.Invite && identities.Owner is not null;

        // With a guest's token (header), the guest becomes the account and keeps their id and history.
        UserId? claim = null;
        var token = TokenAuthenticationHandler.TokenOf(context.Request);
        if (!string.IsNullOrEmpty(token))
        {
            var guest = tokens.Validate(token);
            if (guest is null || identities.IsRevoked(guest))
                return Problem(StatusCodes.Status401Unauthorized, "invalid_token", "The guest token is invalid, expired or ended.");
            if (guest.Kind != SessionKind.Guest)
                return Problem(StatusCodes.Status400BadRequest, "invalid_argument", "You are signed in with an account already.");
            claim = guest.User;
        }

        var hash = await passwords.HashAsync(request.Password!);
        var reply = await Ask(accounts, new RegisterAccount(username, hash, claim, request.Invite, inviteRequired), budgets);
        if (reply is not AccountView account) return Refused(reply);
        if (claim is not null) identities.ApplyOwn(cut: new UserSessionsCut(account.User, account.CreatedAt));
        logs.CreateLogger(LogCategory).LogInformation("Account {User} registered as {Username} from {Address}", account.User, account.Username, ClientAddress.Key(context));
        // A claim cut the guest's sessions at the registration: the account's first token is issued after it.
        var session = tokens.IssueNew(account.User, DisplayNameOf(account), SessionKind.Account, account.Username, claim is null ? null : account.CreatedAt);
        return Results.Ok(Dto(session, identities));
    }

    private static async Task<IResult> SignIn(SignInRequest? request, HttpContext context, TokenService tokens, IdentityCache identities,
        PasswordHashing passwords, IRequiredActor<AccountsSingleton> accounts, CallBudgets budgets)
    {
        if (request is null || string.IsNullOrEmpty(request.Username) || string.IsNullOrEmpty(request.Password)
            || request.Username.Length > UsernameRules.MaxLength * 4 || request.Password.Length > UsernameRules.MaxPassword)
            return WrongCredentials();
        if (!identities.Loaded) return Unavailable();
        var check = await CheckPassword(request.Username, request.Password, ClientAddress.Key(context), passwords, accounts, budgets);
        if (check.Account is not { } account) return check.Refusal ?? WrongCredentials();
        // Told only to whoever knows the password.
        if (check.Ban is { } ban)
            return Problem(StatusCodes.Status403Forbidden, "banned", ban.Reason is null ? "This account is banned." : $"This account is banned: {ban.Reason}");
        var session = tokens.IssueNew(account.User, DisplayNameOf(account), SessionKind.Account, account.Username, identities.CutOf(account.User));
        return Results.Ok(Dto(session, identities));
    }

    private static IResult WrongCredentials() =>
        Problem(StatusCodes.Status401Unauthorized, "invalid_credentials", "Wrong username or password.");

    /// <summary>The outcome of a password check: the account when the password matched, or why not (null: it did not match).</summary>
    private sealed record PasswordCheck(AccountView? Account, IResult? Refusal, StoredBan? Ban = null);

    /// <summary>Asks to try a password (the singleton throttles), verifies it here, and reports the outcome back.</summary>
    private static async Task<PasswordCheck> CheckPassword(string username, string password, string address,
        PasswordHashing passwords, IRequiredActor<AccountsSingleton> accounts, CallBudgets budgets)
    {
        switch (await Ask(accounts, new BeginSignIn(username, address), budgets))
        {
            case SignInThrottled throttled:
                return new PasswordCheck(null, Throttled(throttled.RetryAfter));
            case SignInChallenge challenge:
                bool matches;
                string? rehashed;
                try
                {
                    (matches, rehashed) = await passwords.VerifyAsync(challenge.PasswordHash, password);
                }
                catch (PasswordHashing.BusyException e)
                {
                    return new PasswordCheck(null, Problem(StatusCodes.Status503ServiceUnavailable, "unavailable", e.Message));
                }
                matches &= challenge.Account is not null;
                accounts.ActorRef.Tell(new EndSignIn(username, address, matches, rehashed));
                return new PasswordCheck(matches ? challenge.Account : null, null, matches ? challenge.Ban : null);
            case var other:
                return new PasswordCheck(null, Refused(other));
        }
    }

    /// <summary>Checks the caller's own password before a change only they may make; null when it matched.</summary>
    private static async Task<IResult?> CheckOwnPassword(SessionIdentity caller, string? password, HttpContext context,
        PasswordHashing passwords, IRequiredActor<AccountsSingleton> accounts, CallBudgets budgets)
    {
        if (string.IsNullOrEmpty(password) || password.Length > UsernameRules.MaxPassword) return WrongCredentials();
        var check = await CheckPassword(caller.Username!, password, ClientAddress.Key(context), passwords, accounts, budgets);
        return check.Account?.User == caller.User ? null : check.Refusal ?? WrongCredentials();
    }

    private static async Task<IResult> SignOut(HttpContext context, TokenService tokens, IdentityCache identities, IRequiredActor<AccountsSingleton> accounts, CallBudgets budgets)
    {
        var caller = Caller(context);
        // A token of the earlier form names no session: ending it ends all of the user's (they are a guest's).
        object message = caller.SessionId is { } sid
            ? new RevokeSession(caller.User, sid, caller.AuthTime + tokens.MaxSessionAge)
            : new RevokeAllSessions(caller.User);
        switch (await Ask(accounts, message, budgets))
        {
            case RevocationDone when message is RevokeSession revoke:
                identities.ApplyOwn(revoked: new RevokedSession(revoke.User, revoke.SessionId, revoke.Until));
                return Results.NoContent();
            case SessionsCut cut:
                identities.ApplyOwn(cut: new UserSessionsCut(cut.User, cut.NotBefore));
                return Results.NoContent();
            case var other:
                return Refused(other);
        }
    }

    private static async Task<IResult> SignOutEverywhere(HttpContext context, TokenService tokens, IdentityCache identities,
        IRequiredActor<AccountsSingleton> accounts, CallBudgets budgets)
    {
        var caller = Caller(context);
        var reply = await Ask(accounts, new RevokeAllSessions(caller.User), budgets);
        if (reply is not SessionsCut cut) return Refused(reply);
        identities.ApplyOwn(cut: new UserSessionsCut(cut.User, cut.NotBefore));
        // This client goes on, in a session of its own that begins now.
        var session = tokens.IssueNew(caller.User, caller.DisplayName, caller.Kind, caller.Username, cut.NotBefore);
        return Results.Ok(Dto(session, identities));
    }

    private static async Task<IResult> GetAccount(HttpContext context, IdentityCache identities, IRequiredActor<AccountsSingleton> accounts, CallBudgets budgets)
    {
        var caller = Caller(context);
        if (caller.Kind == SessionKind.Guest)
            return Results.Ok(new AccountDto(caller.User.Value, null, caller.DisplayName, "guest", false, null));
        if (await Ask(accounts, new Protocol.Accounts.GetAccount(caller.User), budgets) is not AccountLookup { Account: { } account })
            return Problem(StatusCodes.Status404NotFound, "not_found", "This account no longer exists.");
        return Results.Ok(new AccountDto(account.User.Value, account.Username, DisplayNameOf(account), "account", identities.IsOwner(account.User), account.CreatedAt));
    }

    private static async Task<IResult> ChangePassword(PasswordChangeRequest? request, HttpContext context, TokenService tokens, IdentityCache identities,
        PasswordHashing passwords, IRequiredActor<AccountsSingleton> accounts, CallBudgets budgets)
    {
        var caller = Caller(context);
        if (caller.Kind != SessionKind.Account || caller.Username is null)
            return Problem(StatusCodes.Status403Forbidden, "forbidden", "Guests have no password; create an account first.");
        if (!UsernameRules.IsAcceptablePassword(request?.NewPassword, caller.Username, out var reason))
            return Problem(StatusCodes.Status400BadRequest, "invalid_argument", reason);
        if (await CheckOwnPassword(caller, request!.CurrentPassword, context, passwords, accounts, budgets) is { } refused) return refused;
        var reply = await Ask(accounts, new Protocol.Accounts.ChangePassword(caller.User, await passwords.HashAsync(request.NewPassword!)), budgets);
        if (reply is not SessionsCut cut) return Refused(reply);
        identities.ApplyOwn(cut: new UserSessionsCut(cut.User, cut.NotBefore));
        var session = tokens.IssueNew(caller.User, caller.DisplayName, SessionKind.Account, caller.Username, cut.NotBefore);
        return Results.Ok(Dto(session, identities));
    }

    private static async Task<IResult> DeleteAccount([Microsoft.AspNetCore.Mvc.FromBody] PasswordRequest? request, HttpContext context, IdentityCache identities, PasswordHashing passwords,
        IRequiredActor<AccountsSingleton> accounts, CallBudgets budgets, ILoggerFactory logs)
    {
        var caller = Caller(context);
        if (caller.Kind != SessionKind.Account || caller.Username is null)
            return Problem(StatusCodes.Status403Forbidden, "forbidden", "Guests have no account to delete.");
        if (await CheckOwnPassword(caller, request?.Password, context, passwords, accounts, budgets) is { } refused) return refused;
        var reply = await Ask(accounts, new Protocol.Accounts.DeleteAccount(caller.User), budgets);
        if (reply is not RevocationDone) return Refused(reply);
        identities.ApplyOwn(deleted: caller.User);
        logs.CreateLogger(LogCategory).LogInformation("Account {User} ({Username}) deleted by its owner", caller.User, caller.Username);
        return Results.NoContent();
    }

    private static async Task<IResult> RedeemReset(ResetRequest? request, HttpContext context, TokenService tokens, IdentityCache identities,
        PasswordHashing passwords, IRequiredActor<AccountsSingleton> accounts, CallBudgets budgets)
    {
        if (request is null || string.IsNullOrEmpty(request.Code) || request.Code.Length > 64)
            return Problem(StatusCodes.Status403Forbidden, "forbidden", "This reset link is not valid.");
        // The username is not known until the code is: check the length rules now, the rest with the account.
        if (request.NewPassword is null || request.NewPassword.Length is < UsernameRules.MinPassword or > UsernameRules.MaxPassword)
            return Problem(StatusCodes.Status400BadRequest, "invalid_argument",
                $"A password has {UsernameRules.MinPassword} to {UsernameRules.MaxPassword} characters.");
        if (!identities.Loaded) return Unavailable();
        var hash = await passwords.HashAsync(request.NewPassword);
        var reply = await Ask(accounts, new RedeemResetCode(request.Code, hash, ClientAddress.Key(context)), budgets);
        if (reply is SignInThrottled throttled) return Throttled(throttled.RetryAfter);
        if (reply is not AccountView account) return Refused(reply);
        // The reset ended every older session of the account, as of about now.
        var now = DateTimeOffset.UtcNow;
        identities.ApplyOwn(cut: new UserSessionsCut(account.User, now));
        var session = tokens.IssueNew(account.User, DisplayNameOf(account), SessionKind.Account, account.Username, identities.CutOf(account.User));
        return Results.Ok(Dto(session, identities));
    }

    private static async Task<IResult> ClaimServer(SetupRequest? request, HttpContext context, TokenService tokens, IdentityCache identities,
        IRequiredActor<AccountsSingleton> accounts, CallBudgets budgets, ILoggerFactory logs)
    {
        var caller = Caller(context);
        if (caller.Kind != SessionKind.Account)
            return Problem(StatusCodes.Status403Forbidden, "forbidden", "Sign in with an account to become the owner.");
        if (request is null || string.IsNullOrWhiteSpace(request.Code) || request.Code.Length > 64)
            return Problem(StatusCodes.Status403Forbidden, "forbidden", "That is not the setup code.");
        var reply = await Ask(accounts, new ClaimOwnership(caller.User, request.Code, ClientAddress.Key(context)), budgets);
        if (reply is SignInThrottled throttled) return Throttled(throttled.RetryAfter);
        if (reply is not AccountView account) return Refused(reply);
        logs.CreateLogger(LogCategory).LogWarning("Account {User} ({Username}) claimed the server with the setup code from {Address}",
            account.User, account.Username, ClientAddress.Key(context));
        var session = tokens.Renew(caller, notBefore: identities.CutOf(caller.User)) ?? tokens.IssueNew(caller.User, caller.DisplayName, caller.Kind, caller.Username);
        return Results.Ok(Dto(session, identities) with { Owner = true });
    }

    /// <summary>Asks the accounts singleton; a timeout (it is moving, or the cluster is busy) is a refusal like any other.</summary>
    internal static async Task<object> Ask(IRequiredActor<AccountsSingleton> accounts, object message, CallBudgets budgets)
    {
        try
        {
            return await accounts.ActorRef.Ask<object>(message, budgets.Cluster);
        }
        catch (AskTimeoutException)
        {
            return new CommandRejected(ErrorCode.Unavailable, "The accounts service did not answer in time; try again.");
        }
    }

    private static SessionIdentity Caller(HttpContext context) =>
        SessionClaims.From(context.User) ?? throw new InvalidOperationException("An authorised endpoint ran without a session.");

    /// <summary>An account's name in chat: its username, as registered.</summary>
    private static string DisplayNameOf(AccountView account) => account.Username;

    private static SessionDto Dto((string Token, SessionIdentity Identity) session, IdentityCache identities) =>
        new(session.Token, session.Identity.User.Value, session.Identity.DisplayName, session.Identity.ExpiresAt,
            session.Identity.Kind == SessionKind.Account ? "account" : "guest", session.Identity.Username, identities.IsOwner(session.Identity.User));

    private static IResult Throttled(TimeSpan retryAfter)
    {
        GatewayMetrics.Limit("sign-in");
        return new ThrottledResult(Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds)));
    }

    /// <summary>429 with <c>Retry-After</c>, and the wait in the body for clients that cannot read headers.</summary>
    private sealed class ThrottledResult(int seconds) : IResult
    {
        public Task ExecuteAsync(HttpContext context)
        {
            context.Response.StatusCode = StatusCodes.Status429TooManyRequests;
            context.Response.Headers.RetryAfter = seconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
            return context.Response.WriteAsJsonAsync(new
            {
                error = "throttled",
                message = $"Too many failed attempts; try again in {seconds} s.",
                retryAfterSeconds = seconds,
            });
        }
    }

    private static IResult Unavailable() =>
        Problem(StatusCodes.Status503ServiceUnavailable, "unavailable", "The server is starting; try again in a moment.");

    private static IResult Refused(object reply) => reply switch
    {
        CommandRejected { Code: ErrorCode.NameTaken } r => Problem(StatusCodes.Status409Conflict, "name_taken", r.Reason),
        CommandRejected { Code: ErrorCode.InvalidArgument } r => Problem(StatusCodes.Status400BadRequest, "invalid_argument", r.Reason),
        CommandRejected { Code: ErrorCode.Forbidden } r => Problem(StatusCodes.Status403Forbidden, "forbidden", r.Reason),
        CommandRejected { Code: ErrorCode.InviteRequired or ErrorCode.InviteInvalid } r => Problem(StatusCodes.Status403Forbidden, r.Code.WireName(), r.Reason),
        CommandRejected r => Problem(StatusCodes.Status503ServiceUnavailable, r.Code.WireName(), r.Reason),
        _ => Problem(StatusCodes.Status503ServiceUnavailable, "unavailable", "The accounts service answered unexpectedly."),
    };
}

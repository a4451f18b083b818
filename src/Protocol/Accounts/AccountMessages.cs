using OpenChat.Protocol.Ids;

namespace OpenChat.Protocol.Accounts;

// The accounts singleton (channels role) keeps every account, the owner, and which sessions are revoked. Gateways
// hash and verify passwords themselves (the work stays spread over the gateways); the singleton stores the hashes
// as opaque strings and decides who may try (sign-in throttling, cluster-wide). Every refusal is a CommandRejected.

/// <summary>What a gateway may tell about an account.</summary>
public sealed record AccountView(UserId User, string Username, DateTimeOffset CreatedAt, bool Owner) : IProtocolMessage;

/// <summary>
/// Creates an account; with <paramref name="ClaimGuest"/> the guest's id (and history) becomes the account's. With
/// <paramref name="InviteRequired"/> (an invite-only server that has its owner) it needs a valid <paramref name="Invite"/>,
/// whose use is counted with the account; on an open server a valid invite is counted and an invalid one ignored.
/// Answer: <see cref="AccountView"/>, or a refusal with <see cref="ErrorCode.InviteRequired"/> or <see cref="ErrorCode.InviteInvalid"/>.
/// </summary>
public sealed record RegisterAccount(string Username, string PasswordHash, UserId? ClaimGuest, string? Invite = null, bool InviteRequired = false)
    : IProtocolMessage;

/// <summary>
/// Creates an invite by <paramref name="By"/>, for at most <paramref name="MaxUses"/> accounts (null: any number) until
/// <paramref name="ExpiresAt"/> (null: until revoked). Answer: <see cref="InviteView"/>.
/// </summary>
public sealed record CreateInvite(UserId By, string ByName, int? MaxUses, DateTimeOffset? ExpiresAt) : IProtocolMessage
{
    public const int MaxUsesLimit = 10_000;
}

/// <summary>Every invite not revoked, newest first. Answer: <see cref="InviteList"/>.</summary>
public sealed record GetInvites : IProtocolMessage
{
    public static readonly GetInvites Instance = new();
}

public sealed record InviteList(IReadOnlyList<InviteView> Invites) : IProtocolMessage;

/// <summary>Ends an invite. Answer: <see cref="RevocationDone"/>, or a refusal with <see cref="ErrorCode.InviteInvalid"/> for an unknown code.</summary>
public sealed record RevokeInvite(string Code, UserId By) : IProtocolMessage;

/// <summary>Whether an invite can be used now. Answer: <see cref="InviteView"/>, or a refusal with <see cref="ErrorCode.InviteInvalid"/>.</summary>
public sealed record CheckInvite(string Code) : IProtocolMessage;

/// <summary>An invite as its creator and the server's managers see it.</summary>
public sealed record InviteView(string Code, UserId CreatedBy, string CreatedByName, DateTimeOffset CreatedAt, DateTimeOffset? ExpiresAt, int? MaxUses, int Uses)
    : IProtocolMessage;

/// <summary>
/// Starts a password check for <paramref name="Username"/> from <paramref name="Address"/>; counts as a failure until
/// <see cref="EndSignIn"/> says otherwise. Answer: <see cref="SignInChallenge"/> or <see cref="SignInThrottled"/>.
/// </summary>
public sealed record BeginSignIn(string Username, string Address) : IProtocolMessage;

/// <summary>The stored hash to verify against; both null for a name no account has.</summary>
public sealed record SignInChallenge(AccountView? Account, string? PasswordHash, StoredBan? Ban = null) : IProtocolMessage;

/// <summary>Too many failures for this account or address lately.</summary>
public sealed record SignInThrottled(TimeSpan RetryAfter) : IProtocolMessage;

/// <summary>
/// The outcome of a password check begun with <see cref="BeginSignIn"/>; <paramref name="Rehashed"/> replaces the stored
/// hash when the hasher asked for it (an older format). No answer.
/// </summary>
public sealed record EndSignIn(string Username, string Address, bool Succeeded, string? Rehashed = null) : IProtocolMessage;

/// <summary>Sets a new password hash; every session of the user issued before now ends except the caller's next one. Answer: <see cref="SessionsCut"/>.</summary>
public sealed record ChangePassword(UserId User, string PasswordHash) : IProtocolMessage;

/// <summary>Ends every session of the user issued before now. Answer: <see cref="SessionsCut"/>.</summary>
public sealed record RevokeAllSessions(UserId User) : IProtocolMessage;

/// <summary>The time from which the user's sessions count again: a token must be issued after it.</summary>
public sealed record SessionsCut(UserId User, DateTimeOffset NotBefore) : IProtocolMessage;

/// <summary>Ends one session (its tokens share <paramref name="SessionId"/>) until it would have expired anyway. Answer: <see cref="RevocationDone"/>.</summary>
public sealed record RevokeSession(UserId User, string SessionId, DateTimeOffset Until) : IProtocolMessage;

public sealed record RevocationDone : IProtocolMessage
{
    public static readonly RevocationDone Instance = new();
}

/// <summary>Deletes an account: its name is free again, its sessions end, its messages stay. Answer: <see cref="RevocationDone"/>.</summary>
public sealed record DeleteAccount(UserId User) : IProtocolMessage;

/// <summary>Makes an account the server's owner with the setup code. Answer: <see cref="AccountView"/>.</summary>
public sealed record ClaimOwnership(UserId User, string Code, string Address) : IProtocolMessage;

/// <summary>Issues a one-time password reset code for an account. Answer: <see cref="ResetCode"/>.</summary>
public sealed record IssueResetCode(UserId User) : IProtocolMessage;

/// <summary>Issues a one-time password reset code for the account named <paramref name="Username"/> (as the owner knows it). Answer: <see cref="ResetCode"/>.</summary>
public sealed record IssueResetCodeByName(string Username) : IProtocolMessage;

public sealed record ResetCode(string Code, DateTimeOffset ExpiresAt) : IProtocolMessage;

/// <summary>Sets a new password with a reset code, ending every session of the account. Answer: <see cref="AccountView"/>.</summary>
public sealed record RedeemResetCode(string Code, string PasswordHash, string Address) : IProtocolMessage;

/// <summary>Whether a display name is free for a guest (not a registered username). Answer: <see cref="NameAvailability"/>.</summary>
public sealed record CheckGuestName(string DisplayName) : IProtocolMessage;

public sealed record NameAvailability(bool Free) : IProtocolMessage;

/// <summary>An account by id. Answer: <see cref="AccountLookup"/>.</summary>
public sealed record GetAccount(UserId User) : IProtocolMessage;

public sealed record AccountLookup(AccountView? Account) : IProtocolMessage;

/// <summary>
/// A moderator removes a member: ends every session (kick), and with <paramref name="Ban"/> keeps the account from
/// signing in until unbanned. The gateway has checked the moderator's permission and rank. Answer: <see cref="SessionsCut"/>.
/// </summary>
public sealed record RemoveMember(UserId User, UserId By, string? Reason, bool Ban) : IProtocolMessage;

/// <summary>Lifts a ban. Answer: <see cref="RevocationDone"/>, or a rejection when the account is not banned.</summary>
public sealed record UnbanMember(UserId User, UserId By) : IProtocolMessage;

/// <summary>
/// Times a member out for <paramref name="Minutes"/> (1 to <see cref="MaxMinutes"/>), with an optional reason: until then
/// they may not post, speak or connect to voice. A new time-out replaces the one in force. The gateway has checked the
/// moderator's permission and rank. Answer: <see cref="TimeOutSet"/>.
/// </summary>
public sealed record TimeOutMember(UserId User, UserId By, int Minutes, string? Reason) : IProtocolMessage
{
    /// <summary>Four weeks.</summary>
    public const int MaxMinutes = 40_320;
}

/// <summary>The member is timed out until <paramref name="Until"/>.</summary>
public sealed record TimeOutSet(UserId User, DateTimeOffset Until, string? Reason) : IProtocolMessage;

/// <summary>Ends a member's time-out early. Answer: <see cref="RevocationDone"/>, or a rejection when the member is not timed out.</summary>
public sealed record LiftTimeOut(UserId User, UserId By) : IProtocolMessage;

/// <summary>The bans in force, newest first. Answer: <see cref="BanList"/>.</summary>
public sealed record GetBans : IProtocolMessage
{
    public static readonly GetBans Instance = new();
}

public sealed record BanList(IReadOnlyList<BannedAccount> Bans) : IProtocolMessage;

/// <summary>A ban as moderators see it; <c>ByName</c> is the banning account's username (null when it has none).</summary>
public sealed record BannedAccount(UserId User, string Username, UserId By, string? Reason, DateTimeOffset At, string? ByName = null);

/// <summary>Live accounts whose username contains <paramref name="Query"/> (empty: any). Answer: <see cref="AccountsFound"/>.</summary>
public sealed record FindAccounts(string Query, int Limit) : IProtocolMessage
{
    public const int MaxLimit = 50;
}

public sealed record AccountsFound(IReadOnlyList<AccountView> Accounts) : IProtocolMessage;

/// <summary>Subscribes a gateway to <see cref="IdentityUpdate"/>s: a full one at once, then the changes.</summary>
public sealed record WatchIdentity(Akka.Actor.IActorRef Watcher) : IProtocolMessage;

/// <summary>
/// What gateways need to check tokens and show who is who: the owner, users whose sessions from before a time are
/// ended, single sessions revoked until their expiry, deleted users, members timed out. <paramref name="Full"/>: replaces what the
/// gateway knew; otherwise adds to it.
/// </summary>
public sealed record IdentityUpdate(
    bool Full,
    UserId? Owner,
    IReadOnlyList<UserSessionsCut> Cuts,
    IReadOnlyList<RevokedSession> Revoked,
    IReadOnlyList<UserId> Deleted,
    IReadOnlyList<UserTimeOut>? TimeOuts = null) : IProtocolMessage;

/// <summary>The user's sessions from before <paramref name="NotBefore"/> are ended; <paramref name="Reason"/>: what the user is told (a kick's or ban's).</summary>
public sealed record UserSessionsCut(UserId User, DateTimeOffset NotBefore, string? Reason = null);

public sealed record RevokedSession(UserId User, string SessionId, DateTimeOffset Until);

/// <summary>
/// A member's time-out: until <paramref name="Until"/> they may not post, speak or connect. A lifted time-out is sent
/// with <paramref name="Until"/> at the time it was lifted.
/// </summary>
public sealed record UserTimeOut(UserId User, DateTimeOffset Until, string? Reason);

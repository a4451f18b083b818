using OpenChat.Protocol.Ids;

namespace OpenChat.Protocol.Accounts;

// Journal events of the accounts singleton (persistence id "accounts") and its snapshot. Never rename them.

public sealed record AccountRegistered(UserId User, string Username, string PasswordHash, DateTimeOffset At, bool ClaimedGuest) : IProtocolMessage;

/// <summary>A new password hash; with <paramref name="SessionsNotBefore"/> the user's older sessions end too.</summary>
public sealed record AccountPasswordChanged(UserId User, string PasswordHash, DateTimeOffset? SessionsNotBefore) : IProtocolMessage;

public sealed record AccountSessionsCut(UserId User, DateTimeOffset NotBefore) : IProtocolMessage;

public sealed record AccountSessionRevoked(UserId User, string SessionId, DateTimeOffset Until) : IProtocolMessage;

public sealed record AccountDeleted(UserId User, DateTimeOffset At) : IProtocolMessage;

public sealed record OwnershipClaimed(UserId User, DateTimeOffset At) : IProtocolMessage;

/// <summary>A reset code was issued; only its SHA-256 is kept.</summary>
public sealed record ResetCodeIssued(UserId User, string CodeHash, DateTimeOffset ExpiresAt) : IProtocolMessage;

/// <summary>A reset code was used: the new hash, and every older session of the account ended.</summary>
public sealed record PasswordResetDone(UserId User, string PasswordHash, string CodeHash, DateTimeOffset At) : IProtocolMessage;

/// <summary>A moderator ended every session of the user (kick), with why; the user may come back.</summary>
public sealed record MemberKicked(UserId User, UserId By, string? Reason, DateTimeOffset At) : IProtocolMessage;

/// <summary>A moderator banned the account, with why: every session ends and it cannot sign in until unbanned.</summary>
public sealed record MemberBanned(UserId User, UserId By, string? Reason, DateTimeOffset At) : IProtocolMessage;

public sealed record MemberUnbanned(UserId User, UserId By, DateTimeOffset At) : IProtocolMessage;

/// <summary>A moderator timed the member out until <paramref name="Until"/>, with why (replacing a time-out in force).</summary>
public sealed record MemberTimedOut(UserId User, UserId By, DateTimeOffset Until, string? Reason, DateTimeOffset At) : IProtocolMessage;

/// <summary>A moderator ended the member's time-out early.</summary>
public sealed record MemberTimeOutLifted(UserId User, UserId By, DateTimeOffset At) : IProtocolMessage;

/// <summary>An invite was made; the code is kept as it is, so the server's managers can copy its link again.</summary>
public sealed record InviteCreated(string Code, UserId By, string ByName, DateTimeOffset At, DateTimeOffset? ExpiresAt, int? MaxUses) : IProtocolMessage;

/// <summary>An invite admitted an account (stored with its registration, in the same write).</summary>
public sealed record InviteUsed(string Code, UserId User, DateTimeOffset At) : IProtocolMessage;

public sealed record InviteRevoked(string Code, UserId By, DateTimeOffset At) : IProtocolMessage;

/// <summary>An invite not revoked, with how often it was used.</summary>
public sealed record StoredInvite(string Code, UserId By, string ByName, DateTimeOffset CreatedAt, DateTimeOffset? ExpiresAt, int? MaxUses, int Uses);

/// <summary>A time-out: whom, until when, who gave it and why.</summary>
public sealed record StoredTimeOut(UserId User, UserId By, DateTimeOffset Until, string? Reason, DateTimeOffset At);

/// <summary>A ban in force: whom, who banned them, why and when.</summary>
public sealed record StoredBan(UserId User, UserId By, string? Reason, DateTimeOffset At);

public sealed record StoredAccount(UserId User, string Username, string PasswordHash, DateTimeOffset CreatedAt, bool Deleted);

public sealed record StoredResetCode(UserId User, string CodeHash, DateTimeOffset ExpiresAt);

public sealed record AccountsSnapshot(
    IReadOnlyList<StoredAccount> Accounts,
    UserId? Owner,
    IReadOnlyList<UserSessionsCut> Cuts,
    IReadOnlyList<RevokedSession> Revoked,
    IReadOnlyList<StoredResetCode> ResetCodes,
    IReadOnlyList<StoredBan>? Bans = null,
    IReadOnlyList<StoredInvite>? Invites = null,
    IReadOnlyList<StoredTimeOut>? TimeOuts = null) : IProtocolMessage;

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

public sealed record StoredAccount(UserId User, string Username, string PasswordHash, DateTimeOffset CreatedAt, bool Deleted);

public sealed record StoredResetCode(UserId User, string CodeHash, DateTimeOffset ExpiresAt);

public sealed record AccountsSnapshot(
    IReadOnlyList<StoredAccount> Accounts,
    UserId? Owner,
    IReadOnlyList<UserSessionsCut> Cuts,
    IReadOnlyList<RevokedSession> Revoked,
    IReadOnlyList<StoredResetCode> ResetCodes) : IProtocolMessage;

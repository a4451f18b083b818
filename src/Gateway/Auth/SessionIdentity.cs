using OpenChat.Protocol.Ids;

namespace OpenChat.Gateway.Auth;

public enum SessionKind
{
    Guest,
    Account,
}

/// <summary>
/// Who a connection belongs to, as proven by its session token: the user, the name shown, and for tokens of the
/// current form the session's id (shared by its renewals), when this token was issued and when the session began.
/// Tokens of the earlier form (guests) have no session id and no issue time.
/// </summary>
public sealed record SessionIdentity(
    UserId User,
    string DisplayName,
    DateTimeOffset ExpiresAt,
    SessionKind Kind = SessionKind.Guest,
    string? Username = null,
    string? SessionId = null,
    DateTimeOffset? IssuedAt = null,
    DateTimeOffset AuthTime = default);

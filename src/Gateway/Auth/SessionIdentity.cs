using OpenChat.Protocol.Ids;

namespace OpenChat.Gateway.Auth;

/// <summary>Who a connection belongs to, as proven by its session token.</summary>
public sealed record SessionIdentity(UserId User, string DisplayName, DateTimeOffset ExpiresAt);

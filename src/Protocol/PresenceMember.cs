using OpenChat.Protocol.Ids;

namespace OpenChat.Protocol;

/// <summary>A user who currently has a channel open.</summary>
public sealed record PresenceMember(UserId User, string DisplayName);

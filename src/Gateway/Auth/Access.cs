using OpenChat.Gateway.Sessions;
using OpenChat.Protocol.Ids;
using OpenChat.Protocol.Permissions;

namespace OpenChat.Gateway.Auth;

/// <summary>
/// What one caller may do, computed from this gateway's copy of the roles and overrides (<see cref="ChannelCatalog"/>)
/// and from who owns the server (<see cref="IdentityCache"/>). Cheap to make: a call makes one and asks it.
/// </summary>
public readonly record struct Access(UserId User, bool Owner, PermissionModel Model)
{
    public static Access For(SessionIdentity identity, ChannelCatalog catalog, IdentityCache? identities) =>
        new(identity.User, identities?.IsOwner(identity.User) == true && identity.Kind == SessionKind.Account, catalog.Permissions);

    /// <summary>A caller with no session: no user id can equal it, so it holds what @everyone holds and nothing more.</summary>
    public static UserId Anonymous { get; } = new(" anonymous");

    /// <summary>The admin key: the owner's rights, under no user.</summary>
    public static Access AdminKey(ChannelCatalog catalog) => new(Caller.AdminKey.User, true, catalog.Permissions);

    public Caller Caller => new(User, Owner);

    public Permission Server => Model.ServerPermissions(User, Owner);

    public Permission In(ChannelId channel) => Model.InChannel(User, Owner, channel);

    public bool Can(Permission needed) => (Server & needed) == needed;

    public bool Can(Permission needed, ChannelId channel) => (In(channel) & needed) == needed;

    public bool CanView(ChannelId channel) => In(channel) != Permission.None;

    /// <summary>
    /// Whether the caller may act on <paramref name="target"/> (moderate, reset, kick, ban): the owner on anyone else;
    /// others on members whose most senior role is below theirs, never the owner nor themselves.
    /// </summary>
    public bool Outranks(UserId target, bool targetIsOwner) =>
        target != User && (Owner || !targetIsOwner && Model.Rank(target, false) < Model.Rank(User, false));
}

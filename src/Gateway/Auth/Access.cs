using OpenChat.Gateway.Sessions;
using OpenChat.Protocol.Accounts;
using OpenChat.Protocol.Ids;
using OpenChat.Protocol.Permissions;

namespace OpenChat.Gateway.Auth;

/// <summary>
/// What one caller may do, computed from this gateway's copy of the roles and overrides (<see cref="ChannelCatalog"/>)
/// and from who owns the server and who is timed out (<see cref="IdentityCache"/>). Cheap to make: a call makes one and asks it.
/// While <paramref name="TimedOut"/> holds a time-out, the caller holds neither <see cref="Permission.SendMessages"/>,
/// <see cref="Permission.Speak"/> nor <see cref="Permission.Connect"/>, anywhere.
/// </summary>
public readonly record struct Access(UserId User, bool Owner, PermissionModel Model, UserTimeOut? TimedOut = null)
{
    /// <summary>What a time-out takes away.</summary>
    public const Permission TimeOutDenies = Permission.SendMessages | Permission.Speak | Permission.Connect;

    public static Access For(SessionIdentity identity, ChannelCatalog catalog, IdentityCache? identities)
    {
        var owner = identities?.IsOwner(identity.User) == true && identity.Kind == SessionKind.Account;
        // The owner cannot be timed out; a time-out given before they became the owner does not bind them.
        return new(identity.User, owner, catalog.Permissions, owner ? null : identities?.TimeOutOf(identity.User));
    }

    /// <summary>A caller with no session: no user id can equal it, so it holds what @everyone holds and nothing more.</summary>
    public static UserId Anonymous { get; } = new(" anonymous");

    /// <summary>The admin key: the owner's rights, under no user.</summary>
    public static Access AdminKey(ChannelCatalog catalog) => new(Caller.AdminKey.User, true, catalog.Permissions);

    public Caller Caller => new(User, Owner);

    public Permission Server => Limited(Model.ServerPermissions(User, Owner));

    public Permission In(ChannelId channel) => Limited(Model.InChannel(User, Owner, channel));

    private Permission Limited(Permission held) => TimedOut is null ? held : held & ~TimeOutDenies;

    /// <summary>What the caller is told when a call needs what their time-out takes away.</summary>
    public string? TimeOutNotice => TimedOut is { } t ? TimeOutText(t) : null;

    public static string TimeOutText(UserTimeOut t) =>
        $"You are timed out until {t.Until.UtcDateTime:yyyy-MM-dd HH:mm} UTC" + (t.Reason is null ? "." : ": " + t.Reason);

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

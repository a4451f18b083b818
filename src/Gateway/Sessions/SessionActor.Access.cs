using OpenChat.Gateway.Auth;
using OpenChat.Gateway.Hub;
using OpenChat.Protocol.Events;
using OpenChat.Protocol.Ids;
using OpenChat.Protocol.Permissions;
using OpenChat.Protocol.Voice;

namespace OpenChat.Gateway.Sessions;

/// <summary>Gateway to its sessions: the roles, the overrides, the channel list or the owner changed.</summary>
public sealed record AccessChanged
{
    public static readonly AccessChanged Instance = new();
}

/// <summary>Session to client: the channels this user can see now, each with the user's permissions in it.</summary>
public sealed record ChannelsView(ChannelDto[] Channels);

/// <summary>Session to client: one channel's new settings, with the user's permissions in it.</summary>
public sealed record ChannelView(ChannelDto Channel);

/// <summary>Session to client: the user's server-wide permissions changed.</summary>
public sealed record PermissionsView(PermissionsDto Permissions);

/// <summary>
/// What the user may do, applied to the connection as soon as it changes: the channel list it shows (a channel that
/// became hidden disappears and is closed, one that became visible appears), its voice membership (left when the user
/// may no longer connect; mixed as muted while they may not speak), and the server-wide permissions the client shows.
/// </summary>
public sealed partial class SessionActor
{
    private readonly ChannelCatalog? _catalog;
    private ChannelDto[]? _shownChannels;
    private PermissionsDto? _shownPermissions;

    /// <summary>
    /// What the channel was last told of this member's voice (may not speak; server-deafened; server-muted); null when
    /// not told since joining.
    /// </summary>
    private (bool Suppressed, bool Deafened, bool Muted)? _toldVoice;

    private Access CurrentAccess() =>
        _catalog is null ? new Access(_identity.User, false, PermissionModel.Default) : Access.For(_identity, _catalog, _identities);

    /// <summary>The channels the user can see, with their permissions in each: what <c>GetChannels</c> returns.</summary>
    public static ChannelDto[] VisibleChannels(ChannelCatalog catalog, Access access) =>
        catalog.Channels
            .Select(c => (Channel: c, Permissions: access.In(c.Id)))
            .Where(c => c.Permissions != Permission.None)
            .Select(c => ChannelDto.From(c.Channel, c.Permissions))
            .ToArray();

    private void AccessHandlers()
    {
        Receive<AccessChanged>(_ => ApplyAccess());
        // The channel's answers to what ApplyAccess told it; a member who left meanwhile is simply not there.
        Receive<VoiceAck>(_ => { });
        Receive<Protocol.Commands.CommandRejected>(_ => { });
        Receive<ChannelUpdated>(e =>
        {
            if (!_open.ContainsKey(e.Channel.Id)) return;
            var permissions = CurrentAccess().In(e.Channel.Id);
            if (permissions != Permission.None) _push.TryPush(new ChannelView(ChannelDto.From(e.Channel, permissions)));
        });
    }

    private void ApplyAccess()
    {
        if (_catalog is null || !_catalog.IsLoaded) return;
        var access = CurrentAccess();

        var channels = VisibleChannels(_catalog, access);
        if (_shownChannels is null || !SameChannels(_shownChannels, channels))
        {
            _shownChannels = channels;
            _push.TryPush(new ChannelsView(channels));
        }
        var permissions = PermissionsDto.From(access);
        if (_shownPermissions is null || !SamePermissions(_shownPermissions, permissions))
        {
            _shownPermissions = permissions;
            _push.TryPush(new PermissionsView(permissions));
        }

        foreach (var channel in _open.Keys.Concat(_subscribing.Keys).Distinct().ToArray())
        {
            if (!access.CanView(channel)) Self.Tell(new ChannelRemoved(channel), Self);
        }

        if (_voice is { } voice)
        {
            var held = access.In(voice);
            if ((held & Permission.Connect) == 0)
            {
                LeaveCurrentVoice();
                _push.TryPush(new VoiceEnded(voice, access.TimeOutNotice ?? "You may no longer connect to this voice channel."));
                return;
            }
            var state = ((held & Permission.Speak) == 0, ServerDeafened(access), ServerMuted(access));
            if (_toldVoice != state)
            {
                _toldVoice = state;
                _region.Tell(new SetVoiceSuppressed(voice, _identity.User, state.Item1, state.Item2, state.Item3), Self);
            }
        }
    }

    private static bool ServerDeafened(Access access) => !access.Owner && access.Model.VoiceOf(access.User).Deafened;

    private static bool ServerMuted(Access access) => !access.Owner && access.Model.VoiceOf(access.User).Muted;

    /// <summary>Remembers what the client was given at connection time, so only changes after it are pushed.</summary>
    private void BaselineAccess()
    {
        if (_catalog is null || !_catalog.IsLoaded) return;
        var access = CurrentAccess();
        _shownChannels = VisibleChannels(_catalog, access);
        _shownPermissions = PermissionsDto.From(access);
    }

    private static bool SameChannels(ChannelDto[] a, ChannelDto[] b) =>
        a.Length == b.Length && a.Zip(b).All(p => p.First with { Permissions = null } == p.Second with { Permissions = null }
                                              && p.First.Permissions!.SequenceEqual(p.Second.Permissions!));

    private static bool SamePermissions(PermissionsDto a, PermissionsDto b) =>
        a.Owner == b.Owner && a.Server.SequenceEqual(b.Server) && a.Roles.SequenceEqual(b.Roles) && a.TimedOutUntil == b.TimedOutUntil
        && a.TimeOutReason == b.TimeOutReason;
}

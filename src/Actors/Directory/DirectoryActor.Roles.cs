using Akka.Actor;
using Akka.Event;
using OpenChat.Protocol;
using OpenChat.Protocol.Commands;
using OpenChat.Protocol.Events;
using OpenChat.Protocol.Ids;
using OpenChat.Protocol.Permissions;
using OpenChat.Protocol.Text;

namespace OpenChat.Channels.Directory;

/// <summary>
/// The roles, who holds them, and the channels' overrides. Every change is checked here against the directory's own
/// state, so two changes racing are judged on the same model: a caller needs <see cref="Permission.ManageRoles"/> (in
/// the channel, for an override), may act only on roles below their most senior one, and may grant only what they hold.
/// </summary>
public sealed partial class DirectoryActor
{
    private readonly Dictionary<string, Role> _roles = new() { [Role.EveryoneId] = PermissionModel.Default.Roles[0] };
    private readonly Dictionary<string, IReadOnlyList<string>> _memberRoles = new();
    private readonly Dictionary<string, IReadOnlyList<ChannelOverride>> _overrides = new();
    private readonly Dictionary<string, ServerVoice> _voiceModeration = new();
    private PermissionModel? _model;

    /// <summary>The model as it is now; rebuilt after any change (so its revision follows the journal).</summary>
    private PermissionModel Model => _model ??= new PermissionModel(
        _roles.Values.OrderByDescending(r => r.Position).ToArray(),
        new Dictionary<string, IReadOnlyList<string>>(_memberRoles),
        new Dictionary<string, IReadOnlyList<ChannelOverride>>(_overrides),
        LastSequenceNr,
        new Dictionary<string, ServerVoice>(_voiceModeration));

    private void RecoverRoles()
    {
        Recover<DirectoryRoleSaved>(Apply);
        Recover<DirectoryRolesOrdered>(Apply);
        Recover<DirectoryRoleDeleted>(Apply);
        Recover<DirectoryMemberRolesSet>(Apply);
        Recover<DirectoryOverrideSet>(Apply);
        Recover<DirectoryMemberVoiceModerated>(Apply);
    }

    private void RoleCommands()
    {
        Command<CreateRole>(CreateRole);
        Command<UpdateRole>(UpdateRole);
        Command<DeleteRole>(DeleteRole);
        Command<SetMemberRole>(SetMemberRole);
        Command<SetChannelOverride>(SetOverride);
        Command<ModerateVoice>(ModerateVoice);
    }

    private void ModerateVoice(ModerateVoice cmd)
    {
        if (!_byId.ContainsKey(cmd.Channel))
        {
            Reject(ErrorCode.UnknownChannel, $"Channel '{cmd.Channel}' does not exist.");
            return;
        }
        if ((Model.InChannel(cmd.By.User, cmd.By.Owner, cmd.Channel) & Permission.MuteMembers) == 0)
        {
            Reject(ErrorCode.Forbidden, "You need the mute members permission here.");
            return;
        }
        if (cmd.MemberIsOwner || cmd.Member == cmd.By.User
            || !cmd.By.Owner && Model.Rank(cmd.Member, false) >= Model.Rank(cmd.By.User, false))
        {
            Reject(ErrorCode.Forbidden, cmd.Member == cmd.By.User ? "You cannot moderate yourself." : "You can moderate members ranked below you only.");
            return;
        }
        if ((cmd.Muted || cmd.Deafened) && !_voiceModeration.ContainsKey(cmd.Member.Value) && _voiceModeration.Count >= PermissionModel.MaxModeratedVoices)
        {
            Reject(ErrorCode.InvalidArgument, $"At most {PermissionModel.MaxModeratedVoices} members can be server-muted or deafened at once.");
            return;
        }
        if (!ServerVoice.TryNormalizeReason(cmd.Reason, out var reason))
        {
            Reject(ErrorCode.InvalidArgument, ServerVoice.ReasonRule);
            return;
        }
        var sender = Sender;
        Persist(new DirectoryMemberVoiceModerated(cmd.Member, cmd.Muted, cmd.Deafened, cmd.By.User, reason, DateTimeOffset.UtcNow), e =>
        {
            Apply(e);
            _log.Info("{0} set the server voice of {1}: muted {2}, deafened {3}{4}", e.By, e.Member, e.Muted, e.Deafened, e.Reason is null ? "" : " (" + e.Reason + ")");
            sender.Tell(new PermissionsSaved(Model));
            NotifyWatchers();
        });
    }

    private void Apply(DirectoryMemberVoiceModerated e)
    {
        if (e.Muted || e.Deafened) _voiceModeration[e.Member.Value] = new ServerVoice(e.Muted, e.Deafened);
        else _voiceModeration.Remove(e.Member.Value);
        _model = null;
    }

    private void CreateRole(CreateRole cmd)
    {
        if (!MayManageRoles(cmd.By, null) || !MayGrant(cmd.By, cmd.Permissions, null)) return;
        var name = RoleName(cmd.Name);
        if (name is null || !ValidColor(cmd.Color)) return;
        if (_roles.Count >= PermissionModel.MaxRoles)
        {
            Reject(ErrorCode.InvalidArgument, $"This server already has {PermissionModel.MaxRoles} roles.");
            return;
        }
        // Just below the caller's most senior role (the owner's go on top); the roles from there up move one higher.
        var position = cmd.By.Owner ? _roles.Values.Max(r => r.Position) + 1 : Math.Max(1, Model.Rank(cmd.By.User, false));
        string id;
        do id = "r" + Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(5));
        while (_roles.ContainsKey(id));
        var role = new Role(id, name, cmd.Permissions, position, cmd.Color);
        var order = Order().Where(r => r.Position < position).Select(r => r.Id)
            .Append(id)
            .Concat(Order().Where(r => r.Position >= position).Select(r => r.Id))
            .ToArray();
        var sender = Sender;
        PersistAll(new object[] { new DirectoryRoleSaved(role), new DirectoryRolesOrdered(order) }, e =>
        {
            ApplyEvent(e);
            if (e is not DirectoryRolesOrdered) return;
            sender.Tell(new RoleResult(_roles[id], LastSequenceNr));
            NotifyWatchers();
        });
    }

    private void UpdateRole(UpdateRole cmd)
    {
        if (!_roles.TryGetValue(cmd.Role, out var role))
        {
            Reject(ErrorCode.UnknownRole, $"Role '{cmd.Role}' does not exist.");
            return;
        }
        if (!MayManageRoles(cmd.By, null) || !Outranks(cmd.By, role)) return;
        var updated = role;
        if (cmd.Name is not null)
        {
            if (role.IsEveryone)
            {
                Reject(ErrorCode.InvalidArgument, "@everyone cannot be renamed.");
                return;
            }
            if (RoleName(cmd.Name) is not { } name) return;
            updated = updated with { Name = name };
        }
        if (cmd.Permissions is { } permissions)
        {
            // Only what changes needs to be held: a caller may keep a permission they lack in a role they may edit.
            if (!MayGrant(cmd.By, permissions & ~role.Permissions, null)) return;
            updated = updated with { Permissions = permissions & Permissions.All };
        }
        if (cmd.Color is not null)
        {
            if (!ValidColor(cmd.Color == "" ? null : cmd.Color)) return;
            updated = updated with { Color = cmd.Color == "" ? null : cmd.Color };
        }
        var events = new List<object>();
        if (updated != role) events.Add(new DirectoryRoleSaved(updated));
        if (cmd.Position is { } wanted && wanted != role.Position)
        {
            if (role.IsEveryone)
            {
                Reject(ErrorCode.InvalidArgument, "@everyone is always the lowest role.");
                return;
            }
            var rank = cmd.By.Owner ? int.MaxValue : Model.Rank(cmd.By.User, false);
            if (wanted < 1 || wanted >= rank || wanted > _roles.Count - 1)
            {
                Reject(cmd.By.Owner ? ErrorCode.InvalidArgument : ErrorCode.Forbidden,
                    $"A role's position is 1 to {Math.Min(_roles.Count - 1, rank - 1)} for you.");
                return;
            }
            var others = Order().Where(r => r.Id != role.Id).Select(r => r.Id).ToList();
            others.Insert(wanted - 1, role.Id);
            events.Add(new DirectoryRolesOrdered(others));
        }
        var sender = Sender;
        if (events.Count == 0)
        {
            sender.Tell(new RoleResult(role, LastSequenceNr));
            return;
        }
        var last = events[^1];
        PersistAll(events, e =>
        {
            ApplyEvent(e);
            if (!ReferenceEquals(e, last)) return;
            sender.Tell(new RoleResult(_roles[role.Id], LastSequenceNr));
            NotifyWatchers();
        });
    }

    private void DeleteRole(DeleteRole cmd)
    {
        if (!_roles.TryGetValue(cmd.Role, out var role))
        {
            Reject(ErrorCode.UnknownRole, $"Role '{cmd.Role}' does not exist.");
            return;
        }
        if (role.IsEveryone)
        {
            Reject(ErrorCode.InvalidArgument, "@everyone cannot be deleted.");
            return;
        }
        if (!MayManageRoles(cmd.By, null) || !Outranks(cmd.By, role)) return;
        var sender = Sender;
        Persist(new DirectoryRoleDeleted(role.Id), e =>
        {
            Apply(e);
            sender.Tell(new PermissionsSaved(Model));
            NotifyWatchers();
        });
    }

    private void SetMemberRole(SetMemberRole cmd)
    {
        if (!_roles.TryGetValue(cmd.Role, out var role) || role.IsEveryone)
        {
            Reject(ErrorCode.UnknownRole, $"Role '{cmd.Role}' does not exist.");
            return;
        }
        if (!MayManageRoles(cmd.By, null) || !Outranks(cmd.By, role)) return;
        var held = _memberRoles.GetValueOrDefault(cmd.Member.Value) ?? [];
        if (held.Contains(role.Id) == cmd.Assigned)
        {
            Sender.Tell(new PermissionsSaved(Model));
            return;
        }
        if (cmd.Assigned && held.Count >= PermissionModel.MaxRolesPerMember)
        {
            Reject(ErrorCode.InvalidArgument, $"A member holds at most {PermissionModel.MaxRolesPerMember} roles.");
            return;
        }
        var roles = cmd.Assigned ? held.Append(role.Id).ToArray() : held.Where(r => r != role.Id).ToArray();
        var sender = Sender;
        Persist(new DirectoryMemberRolesSet(cmd.Member, roles), e =>
        {
            Apply(e);
            sender.Tell(new PermissionsSaved(Model));
            NotifyWatchers();
        });
    }

    private void SetOverride(SetChannelOverride cmd)
    {
        if (!_byId.ContainsKey(cmd.Channel))
        {
            Reject(ErrorCode.UnknownChannel, $"Channel '{cmd.Channel}' does not exist.");
            return;
        }
        if (!MayManageRoles(cmd.By, cmd.Channel)) return;
        if (!Enum.IsDefined(cmd.Target) || string.IsNullOrEmpty(cmd.Id) || cmd.Id.Length > 64)
        {
            Reject(ErrorCode.InvalidArgument, "An override is for a role or a member.");
            return;
        }
        if (cmd.Target == OverrideTarget.Role)
        {
            if (!_roles.TryGetValue(cmd.Id, out var role))
            {
                Reject(ErrorCode.UnknownRole, $"Role '{cmd.Id}' does not exist.");
                return;
            }
            if (!Outranks(cmd.By, role)) return;
        }
        else if (!UserId.TryParse(cmd.Id, out _))
        {
            Reject(ErrorCode.InvalidArgument, "The member is not a valid user id.");
            return;
        }
        var allow = cmd.Allow & Permissions.All;
        var deny = cmd.Deny & Permissions.All & ~allow;
        if (((allow | deny) & ~Permissions.ChannelScoped) != 0)
        {
            Reject(ErrorCode.InvalidArgument,
                $"A channel override can allow or deny only: {string.Join(", ", Permissions.ToNames(Permissions.ChannelScoped))}.");
            return;
        }
        // Allowing or denying is granting: the caller must hold, in this channel, every permission the override touches
        // and did not touch before.
        var existing = Model.OverridesOf(cmd.Channel).FirstOrDefault(o => o.Target == cmd.Target && o.Id == cmd.Id);
        var touched = (allow | deny) & ~((existing?.Allow ?? 0) | (existing?.Deny ?? 0));
        if (!MayGrant(cmd.By, touched, cmd.Channel)) return;
        var current = _overrides.GetValueOrDefault(cmd.Channel.Value) ?? [];
        if (existing is null && (allow | deny) != 0 && current.Count >= PermissionModel.MaxOverridesPerChannel)
        {
            Reject(ErrorCode.InvalidArgument, $"A channel has at most {PermissionModel.MaxOverridesPerChannel} overrides.");
            return;
        }
        var sender = Sender;
        Persist(new DirectoryOverrideSet(cmd.Channel, new ChannelOverride(cmd.Target, cmd.Id, allow, deny)), e =>
        {
            Apply(e);
            sender.Tell(new PermissionsSaved(Model));
            NotifyWatchers();
        });
    }

    private bool MayManageRoles(Caller by, ChannelId? channel)
    {
        var held = channel is { } c ? Model.InChannel(by.User, by.Owner, c) : Model.ServerPermissions(by.User, by.Owner);
        if ((held & Permission.ManageRoles) != 0) return true;
        Reject(ErrorCode.Forbidden, "You need the manage roles permission.");
        return false;
    }

    private bool MayGrant(Caller by, Permission wanted, ChannelId? channel)
    {
        var held = channel is { } c ? Model.InChannel(by.User, by.Owner, c) : Model.ServerPermissions(by.User, by.Owner);
        var missing = wanted & ~held;
        if (missing == 0) return true;
        Reject(ErrorCode.Forbidden, $"You cannot grant what you do not hold: {string.Join(", ", Permissions.ToNames(missing))}.");
        return false;
    }

    private bool Outranks(Caller by, Role role)
    {
        if (by.Owner || role.IsEveryone && Model.ServerPermissions(by.User, false).HasFlag(Permission.ManageRoles)) return true;
        if (role.Position < Model.Rank(by.User, false)) return true;
        Reject(ErrorCode.Forbidden, $"'{role.Name}' is not below your most senior role.");
        return false;
    }

    private string? RoleName(string? raw)
    {
        var name = TextRules.NormalizeDisplayName(raw, out var reason);
        if (name is null)
        {
            Reject(ErrorCode.InvalidArgument, reason.Replace("display name", "role name", StringComparison.OrdinalIgnoreCase));
            return null;
        }
        if (name.Length > Role.MaxNameLength || name.StartsWith('@'))
        {
            Reject(ErrorCode.InvalidArgument, $"A role name has 1 to {Role.MaxNameLength} characters and does not start with @.");
            return null;
        }
        return name;
    }

    private bool ValidColor(string? color)
    {
        if (Role.IsValidColor(color)) return true;
        Reject(ErrorCode.InvalidArgument, "A role color is #rrggbb.");
        return false;
    }

    /// <summary>The roles other than @everyone, lowest first.</summary>
    private IEnumerable<Role> Order() => _roles.Values.Where(r => !r.IsEveryone).OrderBy(r => r.Position).ThenBy(r => r.Id, StringComparer.Ordinal);

    private void ApplyEvent(object e)
    {
        switch (e)
        {
            case DirectoryRoleSaved saved: Apply(saved); break;
            case DirectoryRolesOrdered ordered: Apply(ordered); break;
        }
    }

    private void Apply(DirectoryRoleSaved e)
    {
        _roles[e.Role.Id] = e.Role.IsEveryone ? e.Role with { Position = 0 } : e.Role;
        _model = null;
    }

    private void Apply(DirectoryRolesOrdered e)
    {
        var position = 1;
        foreach (var id in e.Roles)
        {
            if (_roles.TryGetValue(id, out var role) && !role.IsEveryone) _roles[id] = role with { Position = position++ };
        }
        _model = null;
    }

    private void Apply(DirectoryRoleDeleted e)
    {
        _roles.Remove(e.Role);
        foreach (var (member, roles) in _memberRoles.ToArray())
        {
            if (roles.Contains(e.Role)) _memberRoles[member] = roles.Where(r => r != e.Role).ToArray();
        }
        foreach (var (channel, overrides) in _overrides.ToArray())
        {
            _overrides[channel] = overrides.Where(o => !(o.Target == OverrideTarget.Role && o.Id == e.Role)).ToArray();
        }
        // Close the gap the role leaves.
        Apply(new DirectoryRolesOrdered(Order().Select(r => r.Id).ToArray()));
    }

    private void Apply(DirectoryMemberRolesSet e)
    {
        if (e.Roles.Count == 0) _memberRoles.Remove(e.Member.Value);
        else _memberRoles[e.Member.Value] = e.Roles;
        _model = null;
    }

    private void Apply(DirectoryOverrideSet e)
    {
        var others = (_overrides.GetValueOrDefault(e.Channel.Value) ?? [])
            .Where(o => !(o.Target == e.Override.Target && o.Id == e.Override.Id));
        var list = (e.Override.Allow | e.Override.Deny) == 0 ? others.ToArray() : others.Append(e.Override).ToArray();
        if (list.Length == 0) _overrides.Remove(e.Channel.Value);
        else _overrides[e.Channel.Value] = list;
        _model = null;
    }
}

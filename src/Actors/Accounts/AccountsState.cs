using OpenChat.Protocol.Accounts;
using OpenChat.Protocol.Ids;
using OpenChat.Protocol.Text;

namespace OpenChat.Channels.Accounts;

/// <summary>
/// The accounts' state, rebuilt from the journal: accounts by id and by name key, the owner, session cuts, revoked
/// sessions and outstanding reset codes. Pure: the actor decides, this applies.
/// </summary>
public sealed class AccountsState
{
    private readonly Dictionary<UserId, StoredAccount> _byId = new();
    private readonly Dictionary<string, UserId> _byKey = new(StringComparer.Ordinal);
    private readonly Dictionary<UserId, DateTimeOffset> _cuts = new();
    private readonly Dictionary<(UserId, string), DateTimeOffset> _revoked = new();
    private readonly Dictionary<string, StoredResetCode> _resetCodes = new(StringComparer.Ordinal);
    private readonly Dictionary<UserId, StoredBan> _bans = new();
    private readonly Dictionary<UserId, string> _cutReasons = new();
    private readonly Dictionary<string, StoredInvite> _invites = new(StringComparer.Ordinal);
    private readonly Dictionary<UserId, StoredTimeOut> _timeOuts = new();

    /// <summary>The member's time-out, when one is in force at <paramref name="now"/>.</summary>
    public StoredTimeOut? TimeOutOf(UserId user, DateTimeOffset now) =>
        _timeOuts.TryGetValue(user, out var t) && t.Until > now ? t : null;

    private IReadOnlyList<StoredTimeOut> TimeOutsInForce(DateTimeOffset now) => _timeOuts.Values.Where(t => t.Until > now).ToList();

    /// <summary>What gateways are told of a time-out.</summary>
    public static UserTimeOut Told(StoredTimeOut t) => new(t.User, t.Until, t.Reason);

    public StoredInvite? Invite(string code) => _invites.GetValueOrDefault(code);

    public int InviteCount => _invites.Count;

    /// <summary>Whether the invite admits one more account at <paramref name="now"/>.</summary>
    public static bool Usable(StoredInvite invite, DateTimeOffset now) =>
        (invite.ExpiresAt is not { } expires || expires > now) && (invite.MaxUses is not { } max || invite.Uses < max);

    /// <summary>The invites not revoked, newest first.</summary>
    public IReadOnlyList<InviteView> Invites() =>
        _invites.Values.OrderByDescending(i => i.CreatedAt).Select(InviteView).ToArray();

    public static InviteView InviteView(StoredInvite i) => new(i.Code, i.By, i.ByName, i.CreatedAt, i.ExpiresAt, i.MaxUses, i.Uses);

    /// <summary>What a kicked or banned user is told when their session is refused.</summary>
    public static string RemovalNotice(bool ban, string? reason) =>
        (ban ? "This account is banned" : "A moderator removed you from the server") + (reason is null ? "." : ": " + reason);

    public StoredBan? BanOf(UserId user) => _bans.GetValueOrDefault(user);

    /// <summary>The bans in force, newest first, with the accounts' names.</summary>
    public IReadOnlyList<BannedAccount> Bans() =>
        _bans.Values.OrderByDescending(b => b.At)
            .Select(b => new BannedAccount(b.User, _byId.GetValueOrDefault(b.User)?.Username ?? b.User.Value, b.By, b.Reason, b.At,
                _byId.GetValueOrDefault(b.By)?.Username))
            .ToArray();

    public UserId? Owner { get; private set; }

    public int LiveAccounts => _byKey.Count;

    public StoredAccount? ById(UserId user) => _byId.GetValueOrDefault(user);

    public StoredAccount? ByName(string username) =>
        _byKey.TryGetValue(UsernameRules.Key(username), out var id) ? _byId[id] : null;

    public bool IsNameTaken(string name) => _byKey.ContainsKey(UsernameRules.Key(name));

    /// <summary>Live accounts whose name contains <paramref name="query"/> (compared as names are), names that start with it first.</summary>
    public IReadOnlyList<AccountView> Search(string query, int limit)
    {
        var key = UsernameRules.Key(query);
        return _byKey
            .Where(k => k.Key.Contains(key, StringComparison.Ordinal))
            .OrderBy(k => k.Key.StartsWith(key, StringComparison.Ordinal) ? 0 : 1)
            .ThenBy(k => k.Key, StringComparer.Ordinal)
            .Take(limit)
            .Select(k => View(_byId[k.Value]))
            .ToArray();
    }

    public StoredResetCode? ResetCodeByHash(string hash) => _resetCodes.GetValueOrDefault(hash);

    public AccountView View(StoredAccount account) => new(account.User, account.Username, account.CreatedAt, Owner == account.User);

    public void Apply(object e)
    {
        switch (e)
        {
            case AccountRegistered r:
                _byId[r.User] = new StoredAccount(r.User, r.Username, r.PasswordHash, r.At, Deleted: false);
                _byKey[UsernameRules.Key(r.Username)] = r.User;
                // A claimed guest's guest tokens end: the user now signs in as the account.
                if (r.ClaimedGuest) Cut(r.User, r.At);
                break;
            case AccountPasswordChanged p when _byId.TryGetValue(p.User, out var account):
                _byId[p.User] = account with { PasswordHash = p.PasswordHash };
                if (p.SessionsNotBefore is { } notBefore) Cut(p.User, notBefore);
                break;
            case AccountSessionsCut c:
                Cut(c.User, c.NotBefore);
                break;
            case AccountSessionRevoked r:
                _revoked[(r.User, r.SessionId)] = r.Until;
                break;
            case AccountDeleted d when _byId.TryGetValue(d.User, out var deleted):
                _byId[d.User] = deleted with { Deleted = true, PasswordHash = "" };
                _byKey.Remove(UsernameRules.Key(deleted.Username));
                Cut(d.User, d.At);
                if (Owner == d.User) Owner = null;
                foreach (var code in _resetCodes.Values.Where(c => c.User == d.User).ToList()) _resetCodes.Remove(code.CodeHash);
                break;
            case OwnershipClaimed o:
                Owner = o.User;
                break;
            case ResetCodeIssued i:
                _resetCodes[i.CodeHash] = new StoredResetCode(i.User, i.CodeHash, i.ExpiresAt);
                break;
            case PasswordResetDone d when _byId.TryGetValue(d.User, out var reset):
                _byId[d.User] = reset with { PasswordHash = d.PasswordHash };
                _resetCodes.Remove(d.CodeHash);
                Cut(d.User, d.At);
                break;
            case MemberKicked k:
                Cut(k.User, k.At, RemovalNotice(false, k.Reason));
                break;
            case MemberBanned b:
                _bans[b.User] = new StoredBan(b.User, b.By, b.Reason, b.At);
                Cut(b.User, b.At, RemovalNotice(true, b.Reason));
                break;
            case MemberUnbanned u:
                _bans.Remove(u.User);
                break;
            case MemberTimedOut t:
                _timeOuts[t.User] = new StoredTimeOut(t.User, t.By, t.Until, t.Reason, t.At);
                break;
            case MemberTimeOutLifted l:
                _timeOuts.Remove(l.User);
                break;
            case InviteCreated c:
                _invites[c.Code] = new StoredInvite(c.Code, c.By, c.ByName, c.At, c.ExpiresAt, c.MaxUses, 0);
                break;
            case InviteUsed u when _invites.TryGetValue(u.Code, out var invite):
                _invites[u.Code] = invite with { Uses = invite.Uses + 1 };
                break;
            case InviteRevoked r:
                _invites.Remove(r.Code);
                break;
            case AccountsSnapshot s:
                Restore(s);
                break;
        }
    }

    private void Cut(UserId user, DateTimeOffset notBefore, string? reason = null)
    {
        if (_cuts.TryGetValue(user, out var current) && current >= notBefore) return;
        _cuts[user] = notBefore;
        if (reason is null) _cutReasons.Remove(user);
        else _cutReasons[user] = reason;
    }

    private UserSessionsCut CutOf(KeyValuePair<UserId, DateTimeOffset> cut) => new(cut.Key, cut.Value, _cutReasons.GetValueOrDefault(cut.Key));

    /// <summary>Everything a gateway needs, for a new watcher.</summary>
    public IdentityUpdate Full(DateTimeOffset now) => new(
        Full: true,
        Owner,
        _cuts.Select(CutOf).ToList(),
        _revoked.Where(r => r.Value > now).Select(r => new RevokedSession(r.Key.Item1, r.Key.Item2, r.Value)).ToList(),
        _byId.Values.Where(a => a.Deleted).Select(a => a.User).ToList(),
        TimeOutsInForce(now).Select(Told).ToList());

    /// <summary>The state to snapshot, without what has expired.</summary>
    public AccountsSnapshot Snapshot(DateTimeOffset now) => new(
        _byId.Values.ToList(),
        Owner,
        _cuts.Select(CutOf).ToList(),
        _revoked.Where(r => r.Value > now).Select(r => new RevokedSession(r.Key.Item1, r.Key.Item2, r.Value)).ToList(),
        _resetCodes.Values.Where(c => c.ExpiresAt > now).ToList(),
        _bans.Values.ToList(),
        _invites.Values.ToList(),
        TimeOutsInForce(now));

    private void Restore(AccountsSnapshot s)
    {
        _byId.Clear();
        _byKey.Clear();
        _cuts.Clear();
        _revoked.Clear();
        _resetCodes.Clear();
        foreach (var a in s.Accounts)
        {
            _byId[a.User] = a;
            if (!a.Deleted) _byKey[UsernameRules.Key(a.Username)] = a.User;
        }
        Owner = s.Owner;
        _cutReasons.Clear();
        foreach (var c in s.Cuts) Cut(c.User, c.NotBefore, c.Reason);
        foreach (var r in s.Revoked) _revoked[(r.User, r.SessionId)] = r.Until;
        foreach (var c in s.ResetCodes) _resetCodes[c.CodeHash] = c;
        _bans.Clear();
        foreach (var b in s.Bans ?? []) _bans[b.User] = b;
        _invites.Clear();
        foreach (var i in s.Invites ?? []) _invites[i.Code] = i;
        _timeOuts.Clear();
        foreach (var t in s.TimeOuts ?? []) _timeOuts[t.User] = t;
    }
}

using System.Collections.Concurrent;
using OpenChat.Protocol.Accounts;
using OpenChat.Protocol.Ids;

namespace OpenChat.Gateway.Auth;

/// <summary>
/// This gateway's copy of what the accounts singleton says about sessions: the owner, users whose sessions from
/// before a time have ended, single revoked sessions, deleted users, members timed out. Kept current by <see cref="Sessions.IdentityWatcher"/>;
/// read by every request and hub connection. Until the first full copy arrives, <see cref="Loaded"/> is false and
/// no token is accepted (answered 503, not 401: the token is not known to be bad), unless the singleton has not
/// answered for a while since this gateway started (<see cref="Unavailable"/>): then the channels nodes run a release
/// without accounts (a rolling update in progress), and tokens are checked for signature and expiry only.
/// </summary>
public sealed class IdentityCache(TimeProvider time)
{
    private sealed class State
    {
        public readonly ConcurrentDictionary<UserId, DateTimeOffset> Cuts = new();
        public readonly ConcurrentDictionary<(UserId, string), DateTimeOffset> Revoked = new();
        public readonly ConcurrentDictionary<UserId, bool> Deleted = new();
        public readonly ConcurrentDictionary<UserId, string> CutReasons = new();
        public readonly ConcurrentDictionary<UserId, UserTimeOut> TimeOuts = new();
        public UserId? Owner;
    }

    private volatile State _state = new();
    private volatile bool _loaded;
    private volatile bool _unavailable;

    public bool Loaded => _loaded;

    /// <summary>Never loaded, and the accounts singleton has not answered for a while: tokens cannot be checked for revocation.</summary>
    public bool Unavailable => _unavailable && !_loaded;

    /// <summary>Whether tokens can be accepted: the revocations are loaded, or cannot be (see <see cref="Unavailable"/>).</summary>
    public bool CanAuthenticate => _loaded || _unavailable;

    public void MarkUnavailable() => _unavailable = true;

    /// <summary>Raised after every update, so that the sessions ended by it can be closed.</summary>
    public event Action? Changed;

    /// <summary>
    /// What this gateway just had the singleton store (a cut, a revocation), applied at once so that its own next
    /// request sees it; the singleton's own message follows and changes nothing more.
    /// </summary>
    public void ApplyOwn(UserSessionsCut? cut = null, RevokedSession? revoked = null, UserId? deleted = null, UserTimeOut? timeOut = null) =>
        Apply(new IdentityUpdate(false, null, cut is null ? [] : [cut], revoked is null ? [] : [revoked], deleted is { } d ? [d] : [],
            timeOut is null ? null : [timeOut]));

    /// <summary>The member's time-out, when one is in force now.</summary>
    public UserTimeOut? TimeOutOf(UserId user) =>
        _state.TimeOuts.TryGetValue(user, out var t) && t.Until > time.GetUtcNow() ? t : null;

    /// <summary>Every time-out in force now.</summary>
    public IReadOnlyList<UserTimeOut> TimeOutsInForce()
    {
        var now = time.GetUtcNow();
        return _state.TimeOuts.Values.Where(t => t.Until > now).ToList();
    }

    public UserId? Owner => _state.Owner;

    public bool IsOwner(UserId user) => _state.Owner == user;

    public bool IsDeleted(UserId user) => _state.Deleted.ContainsKey(user);

    public void Apply(IdentityUpdate update)
    {
        var state = update.Full ? new State { Owner = update.Owner } : _state;
        foreach (var cut in update.Cuts)
        {
            if (state.Cuts.TryGetValue(cut.User, out var known) && known >= cut.NotBefore) continue;
            state.Cuts[cut.User] = cut.NotBefore;
            if (cut.Reason is { } reason) state.CutReasons[cut.User] = reason;
            else state.CutReasons.TryRemove(cut.User, out _);
        }
        var now = time.GetUtcNow();
        foreach (var r in update.Revoked)
        {
            if (r.Until > now) state.Revoked[(r.User, r.SessionId)] = r.Until;
        }
        foreach (var user in update.Deleted) state.Deleted[user] = true;
        // The latest word on a member's time-out replaces the one before; a lift comes with Until at its time, which ends it.
        foreach (var t in update.TimeOuts ?? [])
        {
            if (t.Until > now || state.TimeOuts.ContainsKey(t.User)) state.TimeOuts[t.User] = t;
        }
        if (update.Full)
        {
            _state = state;
            _loaded = true;
        }
        Changed?.Invoke();
        if (!update.Full) return;
        // Revocations outlive their sessions only until those would have expired anyway.
        foreach (var (key, until) in state.Revoked)
        {
            if (until <= now) state.Revoked.TryRemove(key, out _);
        }
        foreach (var (user, t) in state.TimeOuts)
        {
            if (t.Until <= now) state.TimeOuts.TryRemove(user, out _);
        }
    }

    /// <summary>Whether a session that its token proves was ended since: deleted user, all sessions cut, or this one revoked.</summary>
    public bool IsRevoked(SessionIdentity identity)
    {
        var state = _state;
        if (state.Deleted.ContainsKey(identity.User)) return true;
        // A token of the earlier form has no issue time: any cut ends it.
        if (state.Cuts.TryGetValue(identity.User, out var cut) && (identity.IssuedAt is not { } issued || issued <= cut)) return true;
        return identity.SessionId is { } sid && state.Revoked.TryGetValue((identity.User, sid), out var until) && until > time.GetUtcNow();
    }

    /// <summary>
    /// Why a session the server refuses was ended, when a moderator said so (kick, ban): what the user is told. Null for
    /// other endings (sign-out, a password change, a revoked session).
    /// </summary>
    public string? EndedBecause(SessionIdentity identity)
    {
        var state = _state;
        return state.Cuts.TryGetValue(identity.User, out var cut) && (identity.IssuedAt is not { } issued || issued <= cut)
            ? state.CutReasons.GetValueOrDefault(identity.User)
            : null;
    }

    /// <summary>The latest cut of a user's sessions, if any: a new token must be issued after it.</summary>
    public DateTimeOffset? CutOf(UserId user) => _state.Cuts.TryGetValue(user, out var cut) ? cut : null;
}

using System.Security.Cryptography;
using System.Text;
using Akka.Actor;
using Akka.Event;
using Akka.Persistence;
using OpenChat.Protocol;
using OpenChat.Protocol.Accounts;
using OpenChat.Protocol.Commands;
using OpenChat.Protocol.Ids;
using OpenChat.Protocol.Text;

namespace OpenChat.Channels.Accounts;

/// <summary>
/// The server's accounts (a cluster singleton, event-sourced): registration, the stored password hashes, the owner,
/// ended and revoked sessions, reset codes, and sign-in throttling for the whole cluster. Gateways watch it for what
/// they need to check tokens (<see cref="IdentityUpdate"/>).
/// </summary>
public sealed class AccountsActor : ReceivePersistentActor
{
    public const string Id = "accounts";
    private const int SnapshotEvery = 500;

    /// <summary>Invites kept at once (used up and expired ones count until revoked).</summary>
    public const int MaxInvites = 1000;

    private readonly AccountsOptions _options;
    private readonly TimeProvider _time;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly AccountsState _state = new();
    private readonly HashSet<IActorRef> _watchers = new();
    private readonly FailureBudget _accountFailures;
    private readonly FailureBudget _addressFailures;
    private string? _setupCode;

    public AccountsActor(AccountsOptions options, TimeProvider time)
    {
        _options = options;
        _time = time;
        _accountFailures = new FailureBudget(options.SignInFailuresPerAccount, options.SignInFailureWindow, time);
        _addressFailures = new FailureBudget(options.SignInFailuresPerAddress, options.SignInFailureWindow, time);

        Recover<SnapshotOffer>(offer =>
        {
            if (offer.Snapshot is AccountsSnapshot s) _state.Apply(s);
        });
        Recover<IProtocolMessage>(e => _state.Apply(e));
        Recover<RecoveryCompleted>(_ =>
        {
            _log.Info("Accounts loaded: {0} accounts, owner {1}", _state.LiveAccounts, _state.Owner?.Value ?? "none");
            AnnounceSetupCode();
        });

        Command<WatchIdentity>(w =>
        {
            // Gateways re-register periodically; only a new watcher needs everything.
            if (!_watchers.Add(w.Watcher)) return;
            Context.Watch(w.Watcher);
            w.Watcher.Tell(_state.Full(_time.GetUtcNow()));
        });
        Command<Terminated>(t => _watchers.Remove(t.ActorRef));
        Command<RegisterAccount>(Register);
        Command<BeginSignIn>(BeginSignIn);
        Command<EndSignIn>(EndSignIn);
        Command<ChangePassword>(c => WithAccount(c.User, account =>
        {
            var now = _time.GetUtcNow();
            Store(new AccountPasswordChanged(account.User, c.PasswordHash, now), Sender, new SessionsCut(account.User, now));
        }));
        Command<RevokeAllSessions>(c =>
        {
            var now = _time.GetUtcNow();
            Store(new AccountSessionsCut(c.User, now), Sender, new SessionsCut(c.User, now));
        });
        Command<RevokeSession>(c => Store(new AccountSessionRevoked(c.User, c.SessionId, c.Until), Sender, RevocationDone.Instance));
        Command<DeleteAccount>(c => WithAccount(c.User, account =>
        {
            var sender = Sender;
            var wasOwner = _state.Owner == account.User;
            Persist(new AccountDeleted(account.User, _time.GetUtcNow()), e =>
            {
                Applied(e);
                // Without an owner the server can get a new one at once, not only at the singleton's next start.
                if (wasOwner)
                {
                    _log.Warning("The owner's account {0} ({1}) was deleted", account.User, account.Username);
                    AnnounceSetupCode();
                }
                sender.Tell(RevocationDone.Instance);
            });
        }));
        Command<ClaimOwnership>(Claim);
        Command<IssueResetCode>(c => WithAccount(c.User, IssueReset));
        Command<IssueResetCodeByName>(c =>
        {
            if (_state.ByName(c.Username ?? "") is { } account) IssueReset(account);
            else Reject(ErrorCode.Forbidden, "There is no account with that username.");
        });
        Command<RedeemResetCode>(Redeem);
        Command<CheckGuestName>(c => Sender.Tell(new NameAvailability(!_state.IsNameTaken(c.DisplayName))));
        Command<GetAccount>(c => Sender.Tell(new AccountLookup(
            _state.ById(c.User) is { Deleted: false } account ? _state.View(account) : null)));
        Command<RemoveMember>(c =>
        {
            if (!Protocol.Permissions.ServerVoice.TryNormalizeReason(c.Reason, out var reason))
            {
                Sender.Tell(new CommandRejected(ErrorCode.InvalidArgument, Protocol.Permissions.ServerVoice.ReasonRule));
                return;
            }
            if (c.Ban && _state.ById(c.User) is not { Deleted: false })
            {
                Sender.Tell(new CommandRejected(ErrorCode.UnknownUser, "Only a registered account can be banned."));
                return;
            }
            var now = _time.GetUtcNow();
            IProtocolMessage e = c.Ban ? new MemberBanned(c.User, c.By, reason, now) : new MemberKicked(c.User, c.By, reason, now);
            _log.Info("{0} {1} {2}{3}", c.By, c.Ban ? "banned" : "kicked", c.User, reason is null ? "" : " (" + reason + ")");
            Store(e, Sender, new SessionsCut(c.User, now));
        });
        Command<UnbanMember>(c =>
        {
            if (_state.BanOf(c.User) is null)
            {
                Sender.Tell(new CommandRejected(ErrorCode.UnknownUser, "This account is not banned."));
                return;
            }
            Store(new MemberUnbanned(c.User, c.By, _time.GetUtcNow()), Sender, RevocationDone.Instance);
        });
        Command<TimeOutMember>(c =>
        {
            if (c.Minutes is < 1 or > TimeOutMember.MaxMinutes)
            {
                Reject(ErrorCode.InvalidArgument, $"A time-out lasts 1 to {TimeOutMember.MaxMinutes} minutes.");
                return;
            }
            if (!Protocol.Permissions.ServerVoice.TryNormalizeReason(c.Reason, out var reason))
            {
                Reject(ErrorCode.InvalidArgument, Protocol.Permissions.ServerVoice.ReasonRule);
                return;
            }
            var now = _time.GetUtcNow();
            var until = now.AddMinutes(c.Minutes);
            _log.Info("{0} timed {1} out until {2:u}{3}", c.By, c.User, until, reason is null ? "" : " (" + reason + ")");
            Store(new MemberTimedOut(c.User, c.By, until, reason, now), Sender, new TimeOutSet(c.User, until, reason));
        });
        Command<LiftTimeOut>(c =>
        {
            if (_state.TimeOutOf(c.User, _time.GetUtcNow()) is null)
            {
                Reject(ErrorCode.UnknownUser, "This member is not timed out.");
                return;
            }
            _log.Info("{0} lifted the time-out of {1}", c.By, c.User);
            Store(new MemberTimeOutLifted(c.User, c.By, _time.GetUtcNow()), Sender, RevocationDone.Instance);
        });
        Command<GetBans>(_ => Sender.Tell(new BanList(_state.Bans())));
        Command<FindAccounts>(c => Sender.Tell(new AccountsFound(_state.Search(c.Query ?? "", Math.Clamp(c.Limit, 1, FindAccounts.MaxLimit)))));
        Command<CreateInvite>(CreateInvite);
        Command<GetInvites>(_ => Sender.Tell(new InviteList(_state.Invites())));
        Command<RevokeInvite>(c =>
        {
            if (_state.Invite(c.Code ?? "") is null) Reject(ErrorCode.InviteInvalid, "There is no such invite.");
            else Store(new InviteRevoked(c.Code!, c.By, _time.GetUtcNow()), Sender, RevocationDone.Instance);
        });
        Command<CheckInvite>(c =>
        {
            if (UsableInvite(c.Code) is { } invite) Sender.Tell(AccountsState.InviteView(invite));
            else Reject(ErrorCode.InviteInvalid, InviteInvalidReason);
        });
        Command<SaveSnapshotSuccess>(_ => { });
        Command<SaveSnapshotFailure>(f => _log.Warning("Accounts snapshot failed: {0}", f.Cause.Message));
    }

    public override string PersistenceId => Id;

    public static Props Props(AccountsOptions options, TimeProvider? time = null) =>
        Akka.Actor.Props.Create(() => new AccountsActor(options, time ?? TimeProvider.System));

    private void Register(RegisterAccount cmd)
    {
        var name = UsernameRules.Normalize(cmd.Username, out var reason);
        if (name is null)
        {
            Reject(ErrorCode.InvalidArgument, reason);
            return;
        }
        if (_state.IsNameTaken(name))
        {
            Reject(ErrorCode.NameTaken, $"The username '{name}' is taken (or looks the same as one that is).");
            return;
        }
        if (_state.LiveAccounts >= _options.MaxAccounts)
        {
            Reject(ErrorCode.Forbidden, "This server has as many accounts as it takes.");
            return;
        }
        var user = cmd.ClaimGuest ?? NewAccountId();
        if (_state.ById(user) is not null)
        {
            Reject(ErrorCode.Forbidden, "This guest has already claimed an account.");
            return;
        }
        // Checked and counted in this one actor, in one write with the account: two registrations racing for an
        // invite's last use are judged one after the other, and the second finds it used up.
        var invite = string.IsNullOrEmpty(cmd.Invite) ? null : UsableInvite(cmd.Invite);
        if (cmd.InviteRequired && invite is null)
        {
            if (string.IsNullOrEmpty(cmd.Invite)) Reject(ErrorCode.InviteRequired, "This server takes new accounts by invite only: ask a member for an invite link.");
            else Reject(ErrorCode.InviteInvalid, InviteInvalidReason);
            return;
        }
        var now = _time.GetUtcNow();
        var registered = new AccountRegistered(user, name, cmd.PasswordHash, now, cmd.ClaimGuest is not null);
        IProtocolMessage[] events = invite is null ? [registered] : [registered, new InviteUsed(invite.Code, user, now)];
        var sender = Sender;
        PersistAll(events, e =>
        {
            Applied(e);
            if (e is not AccountRegistered r)
            {
                sender.Tell(_state.View(_state.ById(user)!));
                return;
            }
            _log.Info("Account {0} registered as {1}{2}", r.User, r.Username, r.ClaimedGuest ? " (claimed guest)" : "");
            if (invite is null) sender.Tell(_state.View(_state.ById(r.User)!));
        });
    }

    private const string InviteInvalidReason = "This invite is not valid: it expired, it was used as often as it may be, or it was revoked.";

    private StoredInvite? UsableInvite(string? code) =>
        code is { Length: > 0 and <= 64 } && _state.Invite(code) is { } invite && AccountsState.Usable(invite, _time.GetUtcNow()) ? invite : null;

    private void CreateInvite(CreateInvite cmd)
    {
        if (cmd.MaxUses is < 1 or > OpenChat.Protocol.Accounts.CreateInvite.MaxUsesLimit)
        {
            Reject(ErrorCode.InvalidArgument, $"An invite is for 1 to {OpenChat.Protocol.Accounts.CreateInvite.MaxUsesLimit} uses, or any number.");
            return;
        }
        if (_state.InviteCount >= MaxInvites)
        {
            Reject(ErrorCode.InvalidArgument, $"This server keeps at most {MaxInvites} invites: revoke some first.");
            return;
        }
        // 128 random bits, URL-safe.
        var code = Base64Url(RandomNumberGenerator.GetBytes(16));
        var created = new InviteCreated(code, cmd.By, cmd.ByName, _time.GetUtcNow(), cmd.ExpiresAt, cmd.MaxUses);
        var sender = Sender;
        Persist(created, e =>
        {
            Applied(e);
            _log.Info("{0} created an invite for {1} uses until {2}", e.By, e.MaxUses?.ToString() ?? "any number of", e.ExpiresAt?.ToString("u") ?? "revoked");
            sender.Tell(AccountsState.InviteView(_state.Invite(e.Code)!));
        });
    }

    private UserId NewAccountId()
    {
        while (true)
        {
            var id = new UserId("u-" + Convert.ToHexString(RandomNumberGenerator.GetBytes(10)).ToLowerInvariant());
            if (_state.ById(id) is null) return id;
        }
    }

    private void BeginSignIn(BeginSignIn cmd)
    {
        var account = _state.ByName(cmd.Username ?? "");
        var accountKey = AccountKey(account, cmd.Username ?? "");
        var addressKey = "ip:" + cmd.Address;
        var addressFree = _addressFailures.CanTry(addressKey, out var addressWait);
        var accountFree = _accountFailures.CanTry(accountKey, out var accountWait);
        if (!addressFree || !accountFree)
        {
            Sender.Tell(new SignInThrottled(addressWait > accountWait ? addressWait : accountWait));
            return;
        }
        // Counted as failed until the gateway reports success: parallel guesses cannot outrun the budget.
        _addressFailures.Fail(addressKey);
        _accountFailures.Fail(accountKey);
        Sender.Tell(account is null
            ? new SignInChallenge(null, null)
            : new SignInChallenge(_state.View(account), account.PasswordHash, _state.BanOf(account.User)));
    }

    private void EndSignIn(EndSignIn cmd)
    {
        if (!cmd.Succeeded) return;
        var account = _state.ByName(cmd.Username ?? "");
        _addressFailures.Refund("ip:" + cmd.Address);
        _accountFailures.Clear(AccountKey(account, cmd.Username ?? ""));
        if (account is not null && cmd.Rehashed is { Length: > 0 } rehashed)
            Persist(new AccountPasswordChanged(account.User, rehashed, null), Applied);
    }

    private static string AccountKey(StoredAccount? account, string username) =>
        account is null ? "n:" + UsernameRules.Key(username) : "a:" + account.User.Value;

    private void Claim(ClaimOwnership cmd)
    {
        var addressKey = "ip:" + cmd.Address;
        if (!_addressFailures.CanTry(addressKey, out var wait))
        {
            Sender.Tell(new SignInThrottled(wait));
            return;
        }
        if (_state.Owner is not null || _setupCode is null)
        {
            Reject(ErrorCode.Forbidden, "This server already has an owner.");
            return;
        }
        if (!SameCode(cmd.Code, _setupCode))
        {
            _addressFailures.Fail(addressKey);
            Reject(ErrorCode.Forbidden, "That is not the setup code.");
            return;
        }
        WithAccount(cmd.User, account =>
        {
            var sender = Sender;
            Persist(new OwnershipClaimed(account.User, _time.GetUtcNow()), e =>
            {
                Applied(e);
                _setupCode = null;
                _log.Warning("Account {0} ({1}) is now the server's owner", account.User, account.Username);
                sender.Tell(_state.View(account));
            });
        });
    }

    private void IssueReset(StoredAccount account)
    {
        var code = Base64Url(RandomNumberGenerator.GetBytes(16));
        var expires = _time.GetUtcNow() + _options.ResetLinkLifetime;
        Store(new ResetCodeIssued(account.User, Hash(code), expires), Sender, new ResetCode(code, expires));
    }

    private void Redeem(RedeemResetCode cmd)
    {
        var addressKey = "ip:" + cmd.Address;
        if (!_addressFailures.CanTry(addressKey, out var wait))
        {
            Sender.Tell(new SignInThrottled(wait));
            return;
        }
        var code = _state.ResetCodeByHash(Hash(cmd.Code ?? ""));
        if (code is null || code.ExpiresAt <= _time.GetUtcNow() || _state.ById(code.User) is not { Deleted: false } account)
        {
            _addressFailures.Fail(addressKey);
            Reject(ErrorCode.Forbidden, "This reset link is not valid: it was used, it expired, or it never existed.");
            return;
        }
        var sender = Sender;
        Persist(new PasswordResetDone(account.User, cmd.PasswordHash, code.CodeHash, _time.GetUtcNow()), e =>
        {
            Applied(e);
            _log.Info("Password of {0} reset with a reset link", account.User);
            sender.Tell(_state.View(_state.ById(account.User)!));
        });
    }

    private void WithAccount(UserId user, Action<StoredAccount> action)
    {
        if (_state.ById(user) is { Deleted: false } account) action(account);
        else Reject(ErrorCode.Forbidden, "There is no such account.");
    }

    private void Store(IProtocolMessage e, IActorRef replyTo, object reply) =>
        Persist(e, stored =>
        {
            Applied(stored);
            replyTo.Tell(reply);
        });

    /// <summary>Applies a stored event, tells the watchers what changed, and snapshots now and then.</summary>
    private void Applied(IProtocolMessage e)
    {
        _state.Apply(e);
        var update = e switch
        {
            AccountRegistered { ClaimedGuest: true } r => Delta(cuts: [new UserSessionsCut(r.User, r.At)]),
            AccountPasswordChanged { SessionsNotBefore: { } at } p => Delta(cuts: [new UserSessionsCut(p.User, at)]),
            AccountSessionsCut c => Delta(cuts: [new UserSessionsCut(c.User, c.NotBefore)]),
            MemberKicked k => Delta(cuts: [new UserSessionsCut(k.User, k.At, AccountsState.RemovalNotice(false, k.Reason))]),
            MemberBanned b => Delta(cuts: [new UserSessionsCut(b.User, b.At, AccountsState.RemovalNotice(true, b.Reason))]),
            AccountSessionRevoked r => Delta(revoked: [new RevokedSession(r.User, r.SessionId, r.Until)]),
            PasswordResetDone d => Delta(cuts: [new UserSessionsCut(d.User, d.At)]),
            MemberTimedOut t => Delta(timeOuts: [new UserTimeOut(t.User, t.Until, t.Reason)]),
            MemberTimeOutLifted l => Delta(timeOuts: [new UserTimeOut(l.User, l.At, null)]),
            AccountDeleted or OwnershipClaimed => _state.Full(_time.GetUtcNow()),
            _ => null,
        };
        if (update is not null)
        {
            foreach (var watcher in _watchers) watcher.Tell(update);
        }
        if (LastSequenceNr % SnapshotEvery == 0) SaveSnapshot(_state.Snapshot(_time.GetUtcNow()));
    }

    private static IdentityUpdate Delta(IReadOnlyList<UserSessionsCut>? cuts = null, IReadOnlyList<RevokedSession>? revoked = null,
        IReadOnlyList<UserTimeOut>? timeOuts = null) =>
        new(false, null, cuts ?? [], revoked ?? [], [], timeOuts);

    private void AnnounceSetupCode()
    {
        if (_state.Owner is not null) return;
        _setupCode = string.IsNullOrWhiteSpace(_options.SetupCode) ? NewSetupCode() : _options.SetupCode.Trim();
        if (string.IsNullOrWhiteSpace(_options.SetupCode))
            _log.Warning("This server has no owner yet. Setup code: {0} - enter it in the web client (Set up this server) to become the owner.", _setupCode);
        else
            _log.Warning("This server has no owner yet; the setup code from OpenChat:Auth:SetupCode makes one.");
    }

    /// <summary>About 79 random bits: four groups of four characters that cannot be misread (no 0/O, 1/I/L).</summary>
    private static string NewSetupCode()
    {
        const string alphabet = "ABCDEFGHJKMNPQRSTUVWXYZ23456789";
        var chars = new char[19];
        for (var i = 0; i < chars.Length; i++)
            chars[i] = i % 5 == 4 ? '-' : alphabet[RandomNumberGenerator.GetInt32(alphabet.Length)];
        return new string(chars);
    }

    private static bool SameCode(string? given, string expected)
    {
        static string Canonical(string s) => new(s.Where(char.IsLetterOrDigit).Select(char.ToUpperInvariant).ToArray());
        var a = SHA256.HashData(Encoding.UTF8.GetBytes(Canonical(given ?? "")));
        var b = SHA256.HashData(Encoding.UTF8.GetBytes(Canonical(expected)));
        return CryptographicOperations.FixedTimeEquals(a, b);
    }

    private static string Hash(string code) => Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(code)));

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private void Reject(ErrorCode code, string reason) => Sender.Tell(new CommandRejected(code, reason));
}

using System.Security.Cryptography;
using System.Threading.Channels;
using Akka.Actor;
using Akka.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using OpenChat.Gateway.Auth;
using OpenChat.Gateway.Sessions;
using OpenChat.Protocol.Accounts;
using OpenChat.Protocol.Audit;
using OpenChat.Protocol.Cluster;
using OpenChat.Protocol.Commands;
using OpenChat.Protocol.Ids;
using OpenChat.Protocol.Permissions;

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
/// <see cref="Record"/> never waits: the record joins a bounded queue that one loop sends to the audit log singleton,
/// asking again with a growing pause while the singleton does not answer (a failover, the database away). A record
/// is lost only when the queue is full or every attempt failed, and each loss is logged as an error.
/// </summary>
public sealed class AuditTrail : IAsyncDisposable
{
    public const int QueueCapacity = 1000;

    /// <summary>Attempts per record; the pauses between them double from half a second (about 30 s in all).</summary>
    public const int Attempts = 7;

    /// <summary>The name the admin key acts under in the log.</summary>
    public const string AdminKeyName = "admin key";

    private readonly Channel<RecordAudit> _queue = Channel.CreateBounded<RecordAudit>(
        new BoundedChannelOptions(QueueCapacity) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });

    private readonly IRequiredActor<AuditLogSingleton> _log;
    private readonly IRequiredActor<AccountsSingleton> _accounts;
    private readonly ChannelCatalog _catalog;
    private readonly IHttpContextAccessor? _http;
    private readonly CallBudgets _budgets;
    private readonly TimeProvider _time;
    private readonly ILogger<AuditTrail> _logger;
    private readonly CancellationTokenSource _stopping = new();
    private readonly Task _sending;

    public AuditTrail(IRequiredActor<AuditLogSingleton> log, IRequiredActor<AccountsSingleton> accounts, ChannelCatalog catalog, CallBudgets budgets,
        TimeProvider time, ILogger<AuditTrail> logger, IHttpContextAccessor? http = null)
    {
        _log = log;
        _accounts = accounts;
        _catalog = catalog;
        _budgets = budgets;
        _time = time;
        _logger = logger;
        _http = http;
        _sending = Task.Run(SendAllAsync);
    }

    public void Record(Access caller, string action, AuditTarget target, string? reason = null, string? detail = null)
    {
        var actorName = caller.User == Caller.AdminKey.User ? AdminKeyName : SessionName(caller.User);
        var record = new RecordAudit(NewKey(), _time.GetUtcNow(), new AuditActor(caller.User.Value, actorName ?? ""), action,
            new AuditSubject(target.Kind, target.Id, target.Name ?? KnownName(target)), reason, detail);
        if (!_queue.Writer.TryWrite(record)) Lost(record, "the queue is full");
    }

    /// <summary>The caller's display name from the request or hub connection they act through, when it is theirs.</summary>
    private string? SessionName(UserId user) =>
        _http?.HttpContext?.User is { } principal && SessionClaims.From(principal) is { } identity && identity.User == user ? identity.DisplayName : null;

    /// <summary>A channel's or role's name as this gateway knows it (a member's is asked of the accounts singleton later).</summary>
    private string? KnownName(AuditTarget target) => target.Kind switch
    {
        "channel" when ChannelId.TryParse(target.Id, out var id) => _catalog.Find(id)?.Name,
        "role" => _catalog.Permissions.FindRole(target.Id)?.Name,
        _ => null,
    };

    private async Task SendAllAsync()
    {
        try
        {
            await foreach (var record in _queue.Reader.ReadAllAsync(_stopping.Token))
            {
                try
                {
                    await SendAsync(await WithNamesAsync(record));
                }
                catch (OperationCanceledException)
                {
                    Lost(record, "the gateway stopped");
                    throw;
                }
                catch (Exception e)
                {
                    Lost(record, e.Message);
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>Names the actor and a member target by their usernames when the record has none yet (the id when they have no account).</summary>
    private async Task<RecordAudit> WithNamesAsync(RecordAudit record)
    {
        if (record.Actor.Name.Length == 0)
            record = record with { Actor = record.Actor with { Name = await UsernameAsync(record.Actor.Id) ?? record.Actor.Id } };
        if (record.Target is { Kind: "member", Name: null })
            record = record with { Target = record.Target with { Name = await UsernameAsync(record.Target.Id) } };
        return record;
    }

    private async Task<string?> UsernameAsync(string id)
    {
        if (!UserId.TryParse(id, out var user)) return null;
        try
        {
            return await _accounts.ActorRef.Ask<object>(new GetAccount(user), _budgets.Cluster, _stopping.Token) is AccountLookup { Account: { } account }
                ? account.Username
                : null;
        }
        catch (AskTimeoutException)
        {
            return null;
        }
    }

    private async Task SendAsync(RecordAudit record)
    {
        var pause = TimeSpan.FromMilliseconds(500);
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                switch (await _log.ActorRef.Ask<object>(record, _budgets.Cluster, _stopping.Token))
                {
                    case AuditRecorded:
                        return;
                    case CommandRejected rejected:
                        Lost(record, rejected.Reason);
                        return;
                }
            }
            catch (AskTimeoutException)
            {
            }
            if (attempt == Attempts)
            {
                Lost(record, $"the audit log did not answer {Attempts} times");
                return;
            }
            _logger.LogWarning("The audit log did not take {Action} by {Actor} yet; asking again in {Pause} ms", record.Action, record.Actor.Id,
                pause.TotalMilliseconds);
            await Task.Delay(pause, _time, _stopping.Token);
            pause *= 2;
        }
    }

    private void Lost(RecordAudit record, string why) =>
        _logger.LogError("Audit record lost ({Why}): {Action} by {ActorId} ({ActorName}) on {Kind} {TargetId} at {At:o}, reason {Reason}, detail {Detail}",
            why, record.Action, record.Actor.Id, record.Actor.Name, record.Target.Kind, record.Target.Id, record.At, record.Reason, record.Detail);

    private static string NewKey() => Convert.ToHexString(RandomNumberGenerator.GetBytes(12)).ToLowerInvariant();

    /// <summary>Sends what is queued for a few seconds more; what is still queued then is logged as lost.</summary>
    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await Task.WhenAny(_sending, Task.Delay(TimeSpan.FromSeconds(3)));
        await _stopping.CancelAsync();
        await _sending;
        while (_queue.Reader.TryRead(out var record)) Lost(record, "the gateway stopped");
        _stopping.Dispose();
    }
}

using OpenChat.Hosting;
using System.Diagnostics;
using System.Security.Claims;
using Akka.Actor;
using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OpenChat.Protocol;
using OpenChat.Gateway.Edge;
using OpenChat.Gateway.Sessions;

namespace OpenChat.Gateway.Hub;

/// <summary>
/// Runs around every hub connection and call: caps connections per user and per client address, applies a
/// per-connection token bucket to calls of any kind, spends the user's and the address's shared budgets
/// (<see cref="EdgeBudgets"/>), and gives a clear error instead of an internal exception when the cluster does not
/// answer. Calls the dispatcher cannot bind (unknown methods, wrong argument types or counts) never get here: SignalR
/// answers them with an error and nothing runs.
/// </summary>
public sealed class HubGuardFilter(
    IOptions<GatewayOptions> options,
    EdgeBudgets budgets,
    ConnectionLimits connections,
    ILogger<HubGuardFilter> log,
    TimeProvider time) : IHubFilter
{
    private const string BucketKey = "openchat:bucket";
    private const string LeaseKey = "openchat:lease";
    private const string CallerKey = "openchat:caller";

    public async Task OnConnectedAsync(HubLifetimeContext context, Func<HubLifetimeContext, Task> next)
    {
        var caller = Caller(context.Context);
        var lease = connections.TryOpen(caller.User, caller.Address, out var reason);
        if (lease is null)
        {
            GatewayMetrics.Limit("connections");
            throw HubErrors.Error(ErrorCode.TooManyConnections, reason);
        }
        context.Context.Items[LeaseKey] = lease;
        // The user and address of a connection do not change; work them out once.
        context.Context.Items[CallerKey] = caller;
        try
        {
            await next(context);
            GatewayMetrics.ConnectionOpened();
        }
        catch
        {
            lease.Dispose();
            context.Context.Items.Remove(LeaseKey);
            throw;
        }
    }

    public async Task OnDisconnectedAsync(HubLifetimeContext context, Exception? exception, Func<HubLifetimeContext, Exception?, Task> next)
    {
        try
        {
            await next(context, exception);
        }
        finally
        {
            if (context.Context.Items.Remove(LeaseKey, out var lease))
            {
                (lease as IDisposable)?.Dispose();
                GatewayMetrics.ConnectionClosed();
            }
        }
    }

    public async ValueTask<object?> InvokeMethodAsync(HubInvocationContext context, Func<HubInvocationContext, ValueTask<object?>> next)
    {
        var started = Stopwatch.GetTimestamp();
        var method = context.HubMethodName;
        using var span = StartCallSpan(method);
        var bucket = (TokenBucket)context.Context.Items.GetOrAdd(BucketKey,
            () => new TokenBucket(options.Value.CallsPerSecond * 2, options.Value.CallsPerSecond, time));
        if (!bucket.TryTake())
        {
            GatewayMetrics.Limit("connection");
            GatewayMetrics.Call(method, GatewayMetrics.RateLimited, started);
            throw HubErrors.Error(ErrorCode.RateLimited, "Too many calls; slow down.");
        }
        var cost = EdgeBudgets.CostOf(method);
        if (cost != EdgeCost.None)
        {
            var (user, address) = CallerOf(context.Context);
            if (budgets.TryCharge(cost, user, address) is { } refusal)
            {
                GatewayMetrics.Limit("budget");
                GatewayMetrics.Call(method, GatewayMetrics.RateLimited, started);
                throw HubErrors.Error(ErrorCode.RateLimited, refusal);
            }
        }
        try
        {
            var result = await next(context);
            GatewayMetrics.Call(method, GatewayMetrics.Ok, started);
            return result;
        }
        catch (AskTimeoutException)
        {
            GatewayMetrics.Call(method, GatewayMetrics.Unavailable, started);
            throw HubErrors.Unavailable();
        }
        catch (HubException e)
        {
            GatewayMetrics.Call(method, GatewayMetrics.OutcomeOf(e), started);
            throw;
        }
        catch (Exception e)
        {
            GatewayMetrics.Call(method, GatewayMetrics.Error, started);
            log.LogError(e, "Hub method {Method} failed", method);
            throw new HubException("internal: The server could not complete this call.");
        }
    }

    /// <summary>
    /// A call's span, current while the hub method runs, so that what it asks of the cluster continues its trace. Each
    /// call is a trace of its own rather than a child of the connection's request, which lasts as long as the connection.
    /// </summary>
    private static Activity? StartCallSpan(string method)
    {
        if (!GatewayTracing.Source.HasListeners()) return null;
        Activity.Current = null;
        var span = GatewayTracing.Source.StartActivity("hub " + GatewayMetrics.MethodLabel(method), ActivityKind.Server);
        span?.SetTag("rpc.system", "signalr");
        span?.SetTag("rpc.method", GatewayMetrics.MethodLabel(method));
        return span;
    }

    /// <summary>The user and client address of a connection, as worked out when it connected.</summary>
    internal static (string User, string Address) CallerOf(HubCallerContext context) =>
        context.Items.TryGetValue(CallerKey, out var known) && known is ValueTuple<string, string> caller ? caller : Caller(context);

    private static (string User, string Address) Caller(HubCallerContext context) =>
        (context.User?.FindFirstValue(ClaimTypes.NameIdentifier) ?? context.UserIdentifier ?? "",
            ClientAddress.Key(context.GetHttpContext()));
}

internal static class ItemsExtensions
{
    public static object GetOrAdd(this IDictionary<object, object?> items, object key, Func<object> create)
    {
        lock (items)
        {
            if (items.TryGetValue(key, out var value) && value is not null) return value;
            var created = create();
            items[key] = created;
            return created;
        }
    }
}

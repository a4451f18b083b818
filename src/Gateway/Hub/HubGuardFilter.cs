using Akka.Actor;
using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OpenChat.Protocol;
using OpenChat.Gateway.Sessions;

namespace OpenChat.Gateway.Hub;

/// <summary>
/// Runs around every hub call: a per-connection token bucket for calls of any kind, and a clear error instead of
/// an internal exception when the cluster does not answer.
/// </summary>
public sealed class HubGuardFilter(IOptions<GatewayOptions> options, ILogger<HubGuardFilter> log, TimeProvider time) : IHubFilter
{
    private const string BucketKey = "openchat:bucket";

    public async ValueTask<object?> InvokeMethodAsync(HubInvocationContext context, Func<HubInvocationContext, ValueTask<object?>> next)
    {
        var bucket = (TokenBucket)context.Context.Items.GetOrAdd(BucketKey,
            () => new TokenBucket(options.Value.CallsPerSecond * 2, options.Value.CallsPerSecond, time));
        if (!bucket.TryTake())
            throw HubErrors.Error(ErrorCode.RateLimited, "Too many calls; slow down.");
        try
        {
            return await next(context);
        }
        catch (AskTimeoutException)
        {
            throw HubErrors.Unavailable();
        }
        catch (HubException)
        {
            throw;
        }
        catch (Exception e)
        {
            log.LogError(e, "Hub method {Method} failed", context.HubMethodName);
            throw new HubException("internal: The server could not complete this call.");
        }
    }
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

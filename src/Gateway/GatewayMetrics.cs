using System.Collections.Frozen;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Reflection;
using OpenChat.Gateway.Hub;

namespace OpenChat.Gateway;

/// <summary>
/// The gateway's figures (meter <c>OpenChat.Gateway</c>): hub connections and calls, sessions, pushed events, and the
/// clients the gateway refused or cut off. The method label only ever holds a method the hub declares.
/// </summary>
public static class GatewayMetrics
{
    public const string MeterName = "OpenChat.Gateway";

    public const string Ok = "ok";
    public const string Refused = "refused";
    public const string RateLimited = "rate_limited";
    public const string Unavailable = "unavailable";
    public const string Error = "error";

    private static readonly Meter Meter = new(MeterName);

    /// <summary>The hub's own methods: the only values of the <c>method</c> label.</summary>
    private static readonly FrozenSet<string> HubMethods = typeof(ChatHub)
        .GetMethods(BindingFlags.Public | BindingFlags.Instance | BindingFlags.DeclaredOnly)
        .Where(m => !m.IsSpecialName && m.Name is not (nameof(ChatHub.OnConnectedAsync) or nameof(ChatHub.OnDisconnectedAsync)))
        .Select(m => m.Name)
        .ToFrozenSet(StringComparer.Ordinal);

    private static readonly UpDownCounter<long> Connections = Meter.CreateUpDownCounter<long>(
        "openchat.gateway.connections", "{connection}", "Open hub connections.");

    private static readonly Counter<long> SessionsCreated = Meter.CreateCounter<long>(
        "openchat.gateway.sessions.created", "{session}", "Session tokens issued (new guests and renewals).");

    private static readonly Counter<long> HubCalls = Meter.CreateCounter<long>(
        "openchat.gateway.hub.calls", "{call}", "Hub calls by method and outcome: ok, refused (an error answer), rate_limited, unavailable (the cluster did not answer), error.");

    private static readonly Histogram<double> HubCallDuration = Meter.CreateHistogram<double>(
        "openchat.gateway.hub.call.duration", "s", "Time from a hub call's arrival to its answer, by method.",
        tags: null, advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] });

    private static readonly Counter<long> EventsPushed = Meter.CreateCounter<long>(
        "openchat.gateway.events.pushed", "{event}", "Events delivered to clients.");

    private static readonly Counter<long> ClientsCutOff = Meter.CreateCounter<long>(
        "openchat.gateway.clients.cut_off", "{connection}", "Connections the gateway closed because the client fell too far behind reading its events.");

    private static readonly Counter<long> RateLimitedCounter = Meter.CreateCounter<long>(
        "openchat.gateway.rate_limited", "{request}", "Requests refused for exceeding a limit, by scope: connection (calls per connection), budget (the user's or address's shared budget), sessions (session creation per address), connections (open connections per user or address).");

    public static string MethodLabel(string method) => HubMethods.Contains(method) ? method : "unknown";

    internal static void ConnectionOpened() => Connections.Add(1);

    internal static void ConnectionClosed() => Connections.Add(-1);

    internal static void SessionCreated() => SessionsCreated.Add(1);

    internal static void Call(string method, string outcome, long startTimestamp)
    {
        var label = MethodLabel(method);
        HubCalls.Add(1, new KeyValuePair<string, object?>("method", label), new KeyValuePair<string, object?>("outcome", outcome));
        HubCallDuration.Record(Stopwatch.GetElapsedTime(startTimestamp).TotalSeconds, new KeyValuePair<string, object?>("method", label));
    }

    internal static void EventPushed() => EventsPushed.Add(1);

    internal static void SlowReaderCutOff() => ClientsCutOff.Add(1, new KeyValuePair<string, object?>("reason", "slow_reader"));

    internal static void Limited(string scope) => RateLimitedCounter.Add(1, new KeyValuePair<string, object?>("scope", scope));
}

using System.Collections.Frozen;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Reflection;
using Microsoft.AspNetCore.SignalR;
using OpenChat.Gateway.Hub;
using OpenChat.Protocol;

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

    private static readonly string[] LimitScopes = ["connection", "budget", "sessions", "connections", "sign-in"];

    private static long _connections;
    private static long _sessionsCreated;
    private static long _eventsPushed;
    private static long _eventsSerialized;
    private static long _slowReaders;
    private static readonly long[] Limited = new long[LimitScopes.Length];

    private static readonly Counter<long> HubCalls = Meter.CreateCounter<long>(
        "openchat.gateway.hub.calls", "{call}", "Hub calls by method and outcome: ok, refused (an error answer), rate_limited, unavailable (the cluster did not answer), error.");

    private static readonly Histogram<double> HubCallDuration = Meter.CreateHistogram<double>(
        "openchat.gateway.hub.call.duration", "s", "Time from a hub call's arrival to its answer, by method.",
        tags: null, advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] });

    // Counted in fields and observed, so that each series exists (at zero) from the start rather than from its first event.
    static GatewayMetrics()
    {
        Meter.CreateObservableUpDownCounter("openchat.gateway.connections", () => Volatile.Read(ref _connections), "{connection}", "Open hub connections.");
        Meter.CreateObservableCounter("openchat.gateway.sessions.created", () => Volatile.Read(ref _sessionsCreated), "{session}",
            "Session tokens issued (new guests and renewals).");
        Meter.CreateObservableCounter("openchat.gateway.events.pushed", () => Volatile.Read(ref _eventsPushed), "{event}", "Events delivered to clients.");
        Meter.CreateObservableCounter("openchat.gateway.events.serialized", () => Volatile.Read(ref _eventsSerialized), "{event}",
            "Events turned into their wire form: once per event and gateway, however many of its connections receive it.");
        Meter.CreateObservableCounter("openchat.gateway.clients.cut_off",
            () => new Measurement<long>(Volatile.Read(ref _slowReaders), new KeyValuePair<string, object?>("reason", "slow_reader")), "{connection}",
            "Connections the gateway closed because the client fell too far behind reading its events.");
        Meter.CreateObservableCounter("openchat.gateway.rate_limited", () => LimitScopes.Select((scope, i) =>
                new Measurement<long>(Volatile.Read(ref Limited[i]), new KeyValuePair<string, object?>("scope", scope))), "{request}",
            "Requests refused for exceeding a limit, by scope: connection (calls per connection), budget (the user's or address's shared budget), " +
            "sessions (session creation per address), connections (open connections per user or address).");
    }

    /// <summary>Creates the meter's instruments, so that they are exported from the node's start.</summary>
    public static void Enable()
    {
    }

    public static string MethodLabel(string method) => HubMethods.Contains(method) ? method : "unknown";

    /// <summary>The outcome a hub error stands for: its code when that is a limit or an outage, otherwise refused.</summary>
    internal static string OutcomeOf(HubException error) =>
        HubErrors.IsCode(error, ErrorCode.RateLimited) ? RateLimited
        : HubErrors.IsCode(error, ErrorCode.Unavailable) ? Unavailable
        : Refused;

    internal static void ConnectionOpened() => Interlocked.Increment(ref _connections);

    internal static void ConnectionClosed() => Interlocked.Decrement(ref _connections);

    internal static void SessionCreated() => Interlocked.Increment(ref _sessionsCreated);

    internal static void Call(string method, string outcome, long startTimestamp)
    {
        var label = MethodLabel(method);
        HubCalls.Add(1, new KeyValuePair<string, object?>("method", label), new KeyValuePair<string, object?>("outcome", outcome));
        HubCallDuration.Record(Stopwatch.GetElapsedTime(startTimestamp).TotalSeconds, new KeyValuePair<string, object?>("method", label));
    }

    internal static void EventsPushed(int count) => Interlocked.Add(ref _eventsPushed, count);

    internal static void EventSerialized() => Interlocked.Increment(ref _eventsSerialized);

    internal static void SlowReaderCutOff() => Interlocked.Increment(ref _slowReaders);

    /// <summary>A request refused by a limit of <paramref name="scope"/> (one of connection, budget, sessions, connections).</summary>
    internal static void Limit(string scope) => Interlocked.Increment(ref Limited[Array.IndexOf(LimitScopes, scope)]);
}

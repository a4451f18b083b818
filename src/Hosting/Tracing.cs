using System.Diagnostics;

namespace OpenChat.Hosting;

/// <summary>
/// Spans that continue a trace carried in a message. Akka messages do not carry <see cref="Activity.Current"/>, so the
/// commands on a traced path hold the W3C trace context (<c>traceparent</c>) of the span that sent them.
/// </summary>
public static class Tracing
{
    /// <summary>
    /// Starts a span as the child of <paramref name="traceParent"/> (a W3C <c>traceparent</c>; none: a new trace).
    /// Null, and nothing allocated, when nobody listens to <paramref name="source"/>.
    /// </summary>
    public static Activity? StartChild(this ActivitySource source, string name, string? traceParent, ActivityKind kind = ActivityKind.Internal)
    {
        if (!source.HasListeners()) return null;
        return traceParent is not null && ActivityContext.TryParse(traceParent, null, out var parent)
            ? source.StartActivity(name, kind, parent)
            : source.StartActivity(name, kind);
    }

    /// <summary>The trace context to put in a message: the span's own, or the one it continued when not recorded.</summary>
    public static string? Context(this Activity? activity, string? fallback) => activity?.Id ?? fallback;
}

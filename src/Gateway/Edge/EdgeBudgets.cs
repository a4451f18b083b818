using Microsoft.Extensions.Options;

namespace OpenChat.Gateway.Edge;

/// <summary>What a hub call spends from the shared budgets.</summary>
public enum EdgeCost
{
    None,
    Post,
    ChannelOpen,
    HistoryPage,
    VoiceChange,
}

/// <summary>
/// Budgets shared by all connections of a user, and of a client address, on this gateway: posts, channel opens,
/// history pages and voice changes. A connection's own limits (calls per second, posts per window) still apply;
/// these stop a client from multiplying them by opening more connections. An address gets
/// <see cref="GatewayOptions.AddressBudgetFactor"/> times a user's budget, since several people may share it.
/// </summary>
public sealed class EdgeBudgets
{
    private readonly Dictionary<EdgeCost, (KeyedBudget User, KeyedBudget Address, string What)> _budgets;

    public EdgeBudgets(IOptions<GatewayOptions> options, TimeProvider time)
    {
        var o = options.Value;
        var minute = TimeSpan.FromMinutes(1);
        _budgets = new()
        {
            [EdgeCost.Post] = Pair(o.UserPostsPerWindow, o.PostWindow, "messages"),
            [EdgeCost.ChannelOpen] = Pair(o.UserChannelOpensPerMinute, minute, "channel opens"),
            [EdgeCost.HistoryPage] = Pair(o.UserHistoryPagesPerMinute, minute, "history pages"),
            [EdgeCost.VoiceChange] = Pair(o.UserVoiceChangesPerMinute, minute, "voice changes"),
        };

        (KeyedBudget, KeyedBudget, string) Pair(int perUser, TimeSpan period, string what) =>
            (new KeyedBudget(perUser, period, time), new KeyedBudget(checked(perUser * o.AddressBudgetFactor), period, time), what);
    }

    /// <summary>What each hub method spends; methods not listed spend only the per-connection call budget.</summary>
    public static EdgeCost CostOf(string hubMethod) => hubMethod switch
    {
        "PostMessage" or "ReplyToMessage" or "EditMessage" => EdgeCost.Post,
        "OpenChannel" => EdgeCost.ChannelOpen,
        "GetHistory" => EdgeCost.HistoryPage,
        // A client asks for ICE servers before each join: fresh TURN credentials are minted only as often as joins.
        "GetIceServers" or "JoinVoice" or "ResumeVoice" or "LeaveVoice" or "SetVoiceState" or "SetMemberVolume" => EdgeCost.VoiceChange,
        _ => EdgeCost.None,
    };

    /// <summary>Spends one unit of <paramref name="cost"/> for the user and their address; null when allowed, else why not.</summary>
    public string? TryCharge(EdgeCost cost, string user, string address)
    {
        if (cost == EdgeCost.None) return null;
        var (perUser, perAddress, what) = _budgets[cost];
        if (!perUser.TryTake(user, out var wait))
            return Refusal(perUser, what, "this user", wait);
        if (!perAddress.TryTake(address, out wait))
        {
            perUser.Refund(user);
            return Refusal(perAddress, what, "this address", wait);
        }
        return null;
    }

    private static string Refusal(KeyedBudget budget, string what, string whom, TimeSpan wait) =>
        $"At most {budget.Capacity} {what} per {Describe(budget.Period)} for {whom}, over all its connections; try again in {Math.Max(1, Math.Ceiling(wait.TotalSeconds)):0} s.";

    private static string Describe(TimeSpan period) =>
        period == TimeSpan.FromMinutes(1) ? "minute" : $"{period.TotalSeconds:0.#} s";
}

using Microsoft.AspNetCore.SignalR;
using OpenChat.Protocol;
using OpenChat.Protocol.Commands;

namespace OpenChat.Gateway.Hub;

/// <summary>Hub errors carry a stable code before the reason: <c>"rate_limited: ..."</c>.</summary>
public static class HubErrors
{
    public static HubException Error(ErrorCode code, string reason) => new($"{code.WireName()}: {reason}");

    public static HubException From(CommandRejected rejected) => Error(rejected.Code, rejected.Reason);

    /// <summary>Whether <paramref name="error"/> carries <paramref name="code"/> (its message starts with the wire name).</summary>
    public static bool IsCode(HubException error, ErrorCode code) =>
        error.Message.StartsWith(code.WireName() + ":", StringComparison.Ordinal);

    public static HubException Unavailable() =>
        Error(ErrorCode.Unavailable, "The cluster did not answer in time; try again.");
}

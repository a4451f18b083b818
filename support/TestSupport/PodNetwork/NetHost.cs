using System.Diagnostics;
using System.Net;
using OpenChat.SimulatedClients.Network;

namespace OpenChat.TestSupport.PodNetwork;

/// <summary>
/// A machine on a <see cref="SimulatedNetwork"/>: a pod, or a node for host-network pods. It is a network namespace
/// with one interface, <c>eth0</c>, on the network's bridge, and its own loopback.
/// </summary>
public sealed class NetHost
{
    internal NetHost(string name, string netns, string bridgePort, IPAddress address, IReadOnlyList<IPAddress> extraAddresses)
    {
        Name = name;
        Namespace = netns;
        BridgePort = bridgePort;
        Address = address;
        ExtraAddresses = extraAddresses;
    }

    /// <summary>The name it was added under (a pod's or node's name).</summary>
    public string Name { get; }

    /// <summary>Its network namespace, <c>PREFIX-NAME</c> (for <c>ip netns exec</c>).</summary>
    public string Namespace { get; }

    /// <summary>Its address (the pod IP), from the network's pod subnet.</summary>
    public IPAddress Address { get; }

    /// <summary>
    /// Further addresses on its interface, for simulated clients that each need an address of their own. Each is
    /// placed in this namespace for <see cref="SourceAddress"/>, so an HTTP client, hub connection or WebRTC client made
    /// from it there (such as a simulated member's with that source address) has its sockets here.
    /// </summary>
    public IReadOnlyList<IPAddress> ExtraAddresses { get; }

    /// <summary>Its interface's peer on the bridge (in the bridge's namespace).</summary>
    internal string BridgePort { get; }

    /// <summary>Whether the network removed it.</summary>
    public bool Removed { get; internal set; }

    /// <summary>A process started from this runs in the namespace: <c>ip netns exec NAMESPACE file args…</c>.</summary>
    public ProcessStartInfo Command(string file, IEnumerable<string> args)
    {
        var info = new ProcessStartInfo("ip") { UseShellExecute = false };
        foreach (var arg in (string[])["netns", "exec", Namespace, file, .. args]) info.ArgumentList.Add(arg);
        return info;
    }

    /// <summary>Runs a command in the namespace to its end and returns what it printed (it does not throw on failure).</summary>
    public Task<CommandResult> RunAsync(string file, IEnumerable<string> args, CancellationToken ct = default) =>
        Commands.RunAsync(Command(file, args), null, ct);

    /// <summary>Runs <paramref name="create"/> in the namespace (see <see cref="NetworkNamespace.InNamespace{T}"/>): sockets it makes belong here.</summary>
    public T InNamespace<T>(Func<T> create) => NetworkNamespace.InNamespace(Namespace, create);

    public override string ToString() => $"{Name} ({Address}, netns {Namespace})";
}

using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;
using OpenChat.SimulatedClients.Network;

namespace OpenChat.TestSupport.PodNetwork;

/// <summary>
/// A Kubernetes-like pod network on this machine without Kubernetes: every host (pod, or node for host-network pods)
/// is a network namespace whose <c>eth0</c> is a veth on one bridge, and the bridge has a namespace of its own, so
/// nothing is added to the machine's own namespace and no traffic can leave: hosts have routes to the pod subnet and
/// the service CIDR only (no default route) and a <c>resolv.conf</c> naming 127.0.0.1, where no DNS server listens.
/// Services are kube-proxy's nftables rules in every host (DNAT of a ClusterIP's port to a ready endpoint, round
/// robin; refused without endpoints), names come from each host's hosts file (<c>/etc/netns/NS/hosts</c>, which
/// <c>ip netns exec</c> mounts over <c>/etc/hosts</c>), and network policies are nftables input rules in their pod.
/// Needs root, iproute2 and nftables. Disposing deletes every namespace and <c>/etc/netns</c> directory it made.
/// </summary>
public sealed partial class SimulatedNetwork : IAsyncDisposable
{
    /// <summary>The pod subnet; hosts get addresses from it in order.</summary>
    public const string PodSubnet = "10.77.0.0/16";

    /// <summary>The service CIDR; ClusterIPs come from it in order.</summary>
    public const string ServiceCidr = "10.96.0.0/16";

    private const string BridgeSuffix = "bridge";
    private const string KubeProxyTable = "kube_proxy";
    private const string PolicyTable = "network_policy";
    private const string NetnsEtc = "/etc/netns";

    private static readonly uint PodBase = Parse("10.77.0.0");
    private static readonly uint ServiceBase = Parse("10.96.0.0");

    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly Dictionary<string, NetHost> _hosts = new(StringComparer.Ordinal);
    private readonly Dictionary<string, IPAddress> _services = new(StringComparer.Ordinal);
    private readonly Dictionary<string, (IReadOnlyList<ServicePort> Ports, IReadOnlyList<IPAddress> Endpoints)> _endpoints = new(StringComparer.Ordinal);
    private IReadOnlyDictionary<string, IPAddress> _names = new Dictionary<string, IPAddress>();
    private uint _nextPod = 10;
    private uint _nextService = 1;
    private int _nextPort;
    private bool _disposed;

    private SimulatedNetwork(string prefix)
    {
        Prefix = prefix;
        BridgeNamespace = $"{prefix}-{BridgeSuffix}";
    }

    /// <summary>The prefix of every namespace of this network (<c>PREFIX-NAME</c>).</summary>
    public string Prefix { get; }

    /// <summary>The namespace holding the bridge <c>br0</c>, which connects the hosts.</summary>
    public string BridgeNamespace { get; }

    /// <summary>The hosts, in the order they were added (removed ones excluded).</summary>
    public IReadOnlyList<NetHost> Hosts
    {
        get
        {
            lock (_hosts) return [.. _hosts.Values];
        }
    }

    /// <summary>
    /// Makes the bridge, after deleting namespaces and <c>/etc/netns</c> directories named <c>PREFIX-…</c> left by an
    /// earlier run that did not dispose its network. <paramref name="prefix"/>: lower-case letters and digits, such as
    /// <c>"ock" + a few digits of the process id</c>; networks alive at the same time need different prefixes.
    /// </summary>
    public static async Task<SimulatedNetwork> CreateAsync(string prefix, CancellationToken ct = default)
    {
        if (!PrefixPattern().IsMatch(prefix)) throw new ArgumentException("The prefix is 1 to 12 lower-case letters and digits, starting with a letter.", nameof(prefix));
        await RemoveStaleAsync(prefix, ct).ConfigureAwait(false);
        var network = new SimulatedNetwork(prefix);
        try
        {
            await Commands.CheckedAsync("ip", ["netns", "add", network.BridgeNamespace], ct: ct).ConfigureAwait(false);
            await Commands.IpBatchAsync(network.BridgeNamespace,
            [
                "link set lo up",
                "link add br0 type bridge stp_state 0 forward_delay 0",
                "link set br0 up",
            ], ct).ConfigureAwait(false);
        }
        catch
        {
            await network.DisposeAsync().ConfigureAwait(false);
            throw;
        }
        return network;
    }

    /// <summary>A prefix for this process: <paramref name="tag"/> (up to 3 letters) and the last digits of the process id.</summary>
    public static string PrefixForProcess(string tag = "ock")
    {
        var pid = Environment.ProcessId.ToString(CultureInfo.InvariantCulture);
        return tag + pid[Math.Max(0, pid.Length - 5)..];
    }

    /// <summary>
    /// Adds a host: namespace <c>PREFIX-NAME</c>, its <c>eth0</c> on the bridge with the next free address of the pod
    /// subnet (and <paramref name="extraAddresses"/> more after it, see <see cref="NetHost.ExtraAddresses"/>), loopback
    /// up, routes to the pod subnet and the service CIDR only, the Services' rules and the network's hosts file.
    /// </summary>
    public async Task<NetHost> AddHostAsync(string name, int extraAddresses = 0, CancellationToken ct = default)
    {
        if (!HostNamePattern().IsMatch(name) || name == BridgeSuffix)
            throw new ArgumentException($"A host name is lower-case letters, digits, '-' and '.', up to 40, not \"{BridgeSuffix}\".", nameof(name));
        ArgumentOutOfRangeException.ThrowIfNegative(extraAddresses);
        await _gate.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_hosts.ContainsKey(name)) throw new InvalidOperationException($"There is a host {name} already.");
            var netns = $"{Prefix}-{name}";
            var address = NextPodAddress();
            var extras = Enumerable.Range(0, extraAddresses).Select(_ => NextPodAddress()).ToList();
            var host = new NetHost(name, netns, $"v{_nextPort++}", address, extras);

            // The files first: `ip netns exec` mounts them when it starts a process, so they must exist before any.
            Directory.CreateDirectory(EtcDirectory(netns));
            WriteEtc(netns, "resolv.conf", "nameserver 127.0.0.1\n");
            WriteEtc(netns, "hosts", HostsFile(host, _names));
            await Commands.CheckedAsync("ip", ["netns", "add", netns], ct: ct).ConfigureAwait(false);
            try
            {
                await Commands.IpBatchAsync(BridgeNamespace,
                [
                    $"link add {host.BridgePort} type veth peer name eth0 netns {netns}",
                    $"link set {host.BridgePort} master br0 up",
                ], ct).ConfigureAwait(false);
                var bits = PodSubnet.Split('/')[1];
                await Commands.IpBatchAsync(netns,
                [
                    "link set lo up",
                    $"addr add {address}/{bits} dev eth0",
                    .. extras.Select(a => $"addr add {a}/{bits} dev eth0"),
                    "link set eth0 up",
                    $"route add {ServiceCidr} dev eth0 src {address}",
                ], ct).ConfigureAwait(false);
                await Commands.NftAsync(netns, KubeProxyRules(), ct).ConfigureAwait(false);
            }
            catch
            {
                await DeleteHostAsync(host).ConfigureAwait(false);
                throw;
            }
            foreach (var extra in extras) SourceAddress.PlaceInNamespace(extra, netns);
            lock (_hosts) _hosts[name] = host;
            return host;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>
    /// Removes a host, as a deleted pod: unplugs it from the bridge and deletes its namespace and <c>/etc/netns</c>
    /// directory. Processes still running in it (stop them first) keep a namespace of their own, cut off.
    /// </summary>
    public async Task RemoveHostAsync(NetHost host)
    {
        await _gate.WaitAsync().ConfigureAwait(false);
        try
        {
            lock (_hosts)
            {
                if (!_hosts.TryGetValue(host.Name, out var known) || known != host) return;
                _hosts.Remove(host.Name);
            }
            await DeleteHostAsync(host).ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Gives a Service its ClusterIP, the next of the service CIDR (the same one when called again for the name).</summary>
    public IPAddress AddService(string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        lock (_services)
        {
            if (_services.TryGetValue(name, out var existing)) return existing;
            var address = ToAddress(ServiceBase + _nextService++);
            _services[name] = address;
            return address;
        }
    }

    /// <summary>The ClusterIP of a Service added by <see cref="AddService"/>.</summary>
    public IPAddress ServiceAddress(string name)
    {
        lock (_services)
            return _services.TryGetValue(name, out var address) ? address : throw new KeyNotFoundException($"No service {name}.");
    }

    /// <summary>
    /// kube-proxy's work for one Service: in every host (and ones added later), a new connection to ClusterIP:port
    /// goes to one of <paramref name="readyEndpoints"/> on the target port, in turn (round robin), TCP or UDP; with
    /// no endpoints it is refused (TCP reset, ICMP port unreachable for UDP). Replaces the Service's earlier ports
    /// and endpoints; connections already made keep their endpoint.
    /// </summary>
    public async Task SetServiceEndpointsAsync(string service, IReadOnlyList<ServicePort> ports, IReadOnlyList<IPAddress> readyEndpoints, CancellationToken ct = default)
    {
        _ = ServiceAddress(service);
        foreach (var port in ports)
        {
            _ = Protocol(port.Protocol);
            if (port.Port is < 1 or > 65535 || port.TargetPort is < 1 or > 65535) throw new ArgumentOutOfRangeException(nameof(ports), $"Bad port {port}.");
        }
        if (readyEndpoints.Any(e => e.AddressFamily != AddressFamily.InterNetwork))
            throw new ArgumentException("Endpoints are IPv4 addresses.", nameof(readyEndpoints));
        await _gate.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            lock (_services) _endpoints[service] = ([.. ports], [.. readyEndpoints]);
            var rules = KubeProxyRules();
            foreach (var host in Hosts) await Commands.NftAsync(host.Namespace, rules, ct).ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>
    /// Sets the names every host resolves (and hosts added later): each host's <c>/etc/netns/NS/hosts</c> has the
    /// localhost lines, these names, and the host's own name for its address unless these name it. The file is
    /// rewritten in place, so processes already running see the change.
    /// </summary>
    public async Task SetHostsAsync(IReadOnlyDictionary<string, IPAddress> names, CancellationToken ct = default)
    {
        await _gate.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            _names = new Dictionary<string, IPAddress>(names, StringComparer.OrdinalIgnoreCase);
            foreach (var host in Hosts) WriteEtc(host.Namespace, "hosts", HostsFile(host, _names));
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>
    /// Applies a NetworkPolicy's ingress to <paramref name="target"/>: on the policy's ports only, connections are
    /// admitted from the allowed sources (and the host's own loopback), packets of connections already admitted pass,
    /// and everything else is dropped (a connect times out); other ports are untouched. Replaces the host's earlier
    /// policy in one nftables transaction.
    /// </summary>
    public async Task SetIngressPolicyAsync(NetHost target, IngressPolicy policy, CancellationToken ct = default)
    {
        var script = PolicyRules(policy);
        await _gate.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (target.Removed) throw new InvalidOperationException($"{target} was removed.");
            await Commands.NftAsync(target.Namespace, script, ct).ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Removes <paramref name="target"/>'s ingress policy: every port is open again.</summary>
    public Task ClearIngressPolicyAsync(NetHost target, CancellationToken ct = default) =>
        SetIngressPolicyAsync(target, new IngressPolicy([], []), ct);

    /// <summary>Deletes every host, the bridge, their namespaces and <c>/etc/netns</c> directories.</summary>
    public async ValueTask DisposeAsync()
    {
        await _gate.WaitAsync().ConfigureAwait(false);
        try
        {
            if (_disposed) return;
            _disposed = true;
            List<NetHost> hosts;
            lock (_hosts)
            {
                hosts = [.. _hosts.Values];
                _hosts.Clear();
            }
            var errors = new List<string>();
            foreach (var host in hosts)
            {
                try
                {
                    await DeleteHostAsync(host).ConfigureAwait(false);
                }
                catch (Exception e) when (e is IOException or InvalidOperationException or UnauthorizedAccessException)
                {
                    errors.Add(e.Message);
                }
            }
            if (NetworkNamespace.Exists(BridgeNamespace))
            {
                var result = await Commands.RunAsync(Commands.Info("ip", ["netns", "delete", BridgeNamespace])).ConfigureAwait(false);
                if (result.ExitCode != 0) errors.Add(result.StandardError.Trim());
            }
            TryRemoveEmptyEtcNetns();
            if (errors.Count > 0) throw new IOException("Could not remove all of the simulated network: " + string.Join("; ", errors));
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task DeleteHostAsync(NetHost host)
    {
        host.Removed = true;
        foreach (var extra in host.ExtraAddresses)
            if (SourceAddress.NamespaceOf(extra) == host.Namespace) SourceAddress.PlaceInNamespace(extra, null);
        // Unplugging deletes both ends of the veth, so processes still in the namespace are cut off at once.
        await Commands.RunAsync(Commands.Info("ip", ["-n", BridgeNamespace, "link", "delete", host.BridgePort])).ConfigureAwait(false);
        if (NetworkNamespace.Exists(host.Namespace))
            await Commands.CheckedAsync("ip", ["netns", "delete", host.Namespace]).ConfigureAwait(false);
        if (Directory.Exists(EtcDirectory(host.Namespace))) Directory.Delete(EtcDirectory(host.Namespace), recursive: true);
    }

    private static async Task RemoveStaleAsync(string prefix, CancellationToken ct)
    {
        var listed = await Commands.CheckedAsync("ip", ["netns", "list"], ct: ct).ConfigureAwait(false);
        var names = listed.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(line => line.Split(' ')[0])
            .Where(n => n.StartsWith(prefix + "-", StringComparison.Ordinal));
        foreach (var stale in names)
            await Commands.CheckedAsync("ip", ["netns", "delete", stale], ct: ct).ConfigureAwait(false);
        if (Directory.Exists(NetnsEtc))
            foreach (var dir in Directory.GetDirectories(NetnsEtc, prefix + "-*"))
                Directory.Delete(dir, recursive: true);
    }

    private string KubeProxyRules()
    {
        var nat = new StringBuilder();
        lock (_services)
        {
            foreach (var (service, (ports, endpoints)) in _endpoints.OrderBy(e => e.Key, StringComparer.Ordinal))
            {
                if (endpoints.Count == 0) continue; // refused by the filter chain below
                var clusterIp = _services[service];
                foreach (var port in ports)
                {
                    var target = endpoints.Count == 1
                        ? $"{endpoints[0]}:{port.TargetPort}"
                        : $"numgen inc mod {endpoints.Count} map {{ {string.Join(", ", endpoints.Select((e, i) => $"{i} : {e}"))} }} : {port.TargetPort}";
                    nat.Append(CultureInfo.InvariantCulture, $"    ip daddr {clusterIp} {Protocol(port.Protocol)} dport {port.Port} dnat to {target}\n");
                }
            }
        }
        return $$"""
            table ip {{KubeProxyTable}}
            delete table ip {{KubeProxyTable}}
            table ip {{KubeProxyTable}} {
              chain services {
                type nat hook output priority -100; policy accept;
            {{nat}}  }
              chain unserved {
                type filter hook output priority 0; policy accept;
                ip daddr {{ServiceCidr}} meta l4proto tcp reject with tcp reset
                ip daddr {{ServiceCidr}} reject
              }
            }

            """;
    }

    private static string PolicyRules(IngressPolicy policy)
    {
        var reset = $"table inet {PolicyTable}\ndelete table inet {PolicyTable}\n";
        if (policy.Ports.Count == 0) return reset;
        var ports = string.Join(", ", policy.Ports.Select(p =>
        {
            if (p.Port is < 1 or > 65535) throw new ArgumentOutOfRangeException(nameof(policy), $"Bad port {p.Port}.");
            return $"{Protocol(p.Protocol)} . {p.Port}";
        }).Distinct());
        var v4 = new List<string>();
        var v6 = new List<string>();
        foreach (var source in policy.AllowedSources)
        {
            var network = IPNetwork.Parse(source.Contains('/') ? source : source + (source.Contains(':') ? "/128" : "/32"));
            (network.BaseAddress.AddressFamily == AddressFamily.InterNetwork ? v4 : v6).Add(network.ToString());
        }
        static string Set(string name, string type, List<string> elements) =>
            $"  set {name} {{\n    type {type}; flags interval; auto-merge;\n{(elements.Count == 0 ? "" : $"    elements = {{ {string.Join(", ", elements)} }}\n")}  }}\n";
        return reset + $$"""
            table inet {{PolicyTable}} {
              set ports {
                type inet_proto . inet_service;
                elements = { {{ports}} }
              }
            {{Set("allowed4", "ipv4_addr", v4)}}{{Set("allowed6", "ipv6_addr", v6)}}  chain input {
                type filter hook input priority 0; policy accept;
                meta l4proto . th dport @ports jump isolated
              }
              chain isolated {
                ct state established,related accept
                iifname "lo" accept
                ip saddr @allowed4 accept
                ip6 saddr @allowed6 accept
                drop
              }
            }

            """;
    }

    private static string Protocol(string protocol) => protocol.ToUpperInvariant() switch
    {
        "TCP" => "tcp",
        "UDP" => "udp",
        _ => throw new ArgumentException($"Protocol {protocol} is not simulated (TCP or UDP).", nameof(protocol)),
    };

    private static string HostsFile(NetHost host, IReadOnlyDictionary<string, IPAddress> names)
    {
        var text = new StringBuilder("127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n");
        var all = names.ToList();
        if (!names.ContainsKey(host.Name)) all.Add(new(host.Name, host.Address));
        foreach (var group in all.GroupBy(n => n.Value).OrderBy(g => g.Key.ToString(), StringComparer.Ordinal))
            text.Append(CultureInfo.InvariantCulture, $"{group.Key}\t{string.Join(' ', group.Select(n => n.Key).Order(StringComparer.Ordinal))}\n");
        return text.ToString();
    }

    private static string EtcDirectory(string netns) => Path.Combine(NetnsEtc, netns);

    // In place (truncate and write), not by renaming a new file over it: a running process's /etc/hosts is a bind
    // mount of the file it found when it started, so only the same file's new content reaches it.
    private static void WriteEtc(string netns, string file, string content)
    {
        var directory = EtcDirectory(netns);
        Directory.CreateDirectory(directory);
        File.WriteAllText(Path.Combine(directory, file), content);
    }

    private static void TryRemoveEmptyEtcNetns()
    {
        try
        {
            if (Directory.Exists(NetnsEtc) && !Directory.EnumerateFileSystemEntries(NetnsEtc).Any()) Directory.Delete(NetnsEtc);
        }
        catch (IOException)
        {
            // Another network wrote its directory meanwhile.
        }
    }

    private IPAddress NextPodAddress()
    {
        while (true)
        {
            var n = _nextPod++;
            if (n >= 65534) throw new InvalidOperationException("The pod subnet is used up.");
            if ((n & 0xFF) is 0 or 255) continue;
            return ToAddress(PodBase + n);
        }
    }

    private static uint Parse(string address)
    {
        var bytes = IPAddress.Parse(address).GetAddressBytes();
        return (uint)(bytes[0] << 24 | bytes[1] << 16 | bytes[2] << 8 | bytes[3]);
    }

    private static IPAddress ToAddress(uint value) =>
        new([(byte)(value >> 24), (byte)(value >> 16), (byte)(value >> 8), (byte)value]);

    [GeneratedRegex("^[a-z][a-z0-9]{0,11}$")]
    private static partial Regex PrefixPattern();

    [GeneratedRegex("^[a-z0-9][a-z0-9.-]{0,39}$")]
    private static partial Regex HostNamePattern();
}

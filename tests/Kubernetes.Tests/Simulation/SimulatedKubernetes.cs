using System.Net;
using System.Text;
using k8s.Models;
using OpenChat.Kubernetes.Tests.Manifests;
using OpenChat.TestSupport.PodNetwork;

namespace OpenChat.Kubernetes.Tests.Simulation;

/// <summary>
/// Runs rendered manifests as a Kubernetes cluster would, on this machine: nodes are network namespaces on a
/// bridge, the workload controllers (StatefulSet, Deployment, DaemonSet) make pods from their templates, each pod
/// is a <see cref="SimulatedPod"/>, Services send to ready pods only (nftables DNAT in every namespace, as
/// kube-proxy), names resolve from every namespace's hosts file (as cluster DNS: Services, StatefulSet pods through
/// their headless Service), and NetworkPolicies are enforced with nftables in each selected pod's namespace.
/// </summary>
public sealed class SimulatedKubernetes : IAsyncDisposable
{
    public const string Namespace = "openchat";
    private const string ClusterDomain = "svc.cluster.local";

    private readonly RenderedManifests _manifests;
    private readonly List<SimulatedPod> _pods = [];
    private readonly List<SimulatedNode> _nodes = [];
    private readonly List<string> _createdMountPoints = [];
    private readonly Dictionary<string, int> _revisions = [];
    private readonly SemaphoreSlim _reconcile = new(1, 1);
    private int _podSerial;
    private int _pendingSync;

    public SimulatedNetwork Network { get; }
    internal string Root { get; }
    internal ImageCatalog Images { get; }
    public IReadOnlyList<SimulatedNode> Nodes { get { lock (_nodes) return _nodes.ToList(); } }
    /// <summary>Every pod not yet deleted.</summary>
    public IReadOnlyList<SimulatedPod> Pods { get { lock (_pods) return _pods.Where(p => !p.Terminated).ToList(); } }

    private SimulatedKubernetes(RenderedManifests manifests, SimulatedNetwork network, string root)
    {
        _manifests = manifests;
        Network = network;
        Root = root;
        Images = new ImageCatalog(manifests.ImageReference, root);
    }

    /// <summary>
    /// Runs <paramref name="manifests"/> on <paramref name="nodes"/>: the Services, then the workloads' pods, which start
    /// at once and become ready as their probes pass.
    /// </summary>
    public static async Task<SimulatedKubernetes> StartAsync(RenderedManifests manifests, SimulatedNetwork network, IEnumerable<SimulatedNode> nodes)
    {
        PodFieldCoverage.Check(manifests);
        var root = Path.Combine("/var/tmp", "openchat-k8s-" + network.Prefix);
        if (Directory.Exists(root)) Directory.Delete(root, recursive: true);
        Directory.CreateDirectory(root);
        var cluster = new SimulatedKubernetes(manifests, network, root);
        lock (cluster._nodes) cluster._nodes.AddRange(nodes);
        foreach (var service in manifests.All<V1Service>().Where(s => s.Spec.ClusterIP != "None")) network.AddService(service.Metadata.Name);
        await cluster.ReconcileAsync();
        return cluster;
    }

    /// <summary>The smallest network holding every node's address (what an operator writes as the nodes' CIDR).</summary>
    public static string NodeCidr(IEnumerable<IPAddress> nodes)
    {
        var values = nodes.Select(a => (uint)IPAddress.NetworkToHostOrder(BitConverter.ToInt32(a.GetAddressBytes()))).ToList();
        for (var bits = 32; bits >= 8; bits--)
        {
            var mask = uint.MaxValue << (32 - bits);
            if (values.All(v => (v & mask) == (values[0] & mask)))
                return $"{new IPAddress(BitConverter.GetBytes(IPAddress.HostToNetworkOrder((int)(values[0] & mask))))}/{bits}";
        }
        throw new InvalidOperationException("The nodes are too far apart.");
    }

    public IPAddress ServiceAddress(string name) => Network.ServiceAddress(name);

    public IReadOnlyList<SimulatedPod> PodsOf(string workload) => Pods.Where(p => p.WorkloadName == workload).OrderBy(p => p.Name).ToList();

    /// <summary>Labels a node (<c>kubectl label node</c>): DaemonSets whose node selector now matches get a pod there.</summary>
    public async Task LabelNodeAsync(string node, string key, string value)
    {
        Nodes.Single(n => n.Name == node).Labels[key] = value;
        await ReconcileAsync();
    }

    /// <summary>Deletes a pod as <c>kubectl delete pod</c> does (SIGTERM, SIGKILL after its grace period); its controller makes a new one.</summary>
    public async Task DeletePodAsync(SimulatedPod pod)
    {
        await pod.DeleteAsync();
        await RemovePodAsync(pod);
        await ReconcileAsync();
    }

    /// <summary>Kills a pod's container with SIGKILL, as a crash; the kubelet restarts it in the same pod.</summary>
    public void KillContainer(SimulatedPod pod) => pod.KillContainer();

    /// <summary>
    /// A rolling update of a Deployment (<c>kubectl rollout restart</c>) as its strategy says: with maxSurge 1 and
    /// maxUnavailable 0, one new pod is made and waited for until ready, then one old pod is deleted, and so on.
    /// </summary>
    public async Task RolloutRestartAsync(string deployment, TimeSpan timeout, Action<SimulatedPod, SimulatedPod>? stepped = null)
    {
        var d = _manifests.Get<V1Deployment>(deployment);
        var surge = int.Parse(d.Spec.Strategy?.RollingUpdate?.MaxSurge?.Value ?? "1");
        var unavailable = int.Parse(d.Spec.Strategy?.RollingUpdate?.MaxUnavailable?.Value ?? "0");
        if (surge != 1 || unavailable != 0) throw new NotSupportedException("The simulation rolls Deployments with maxSurge 1 and maxUnavailable 0.");
        var old = PodsOf(deployment).ToList();
        lock (_revisions) _revisions[deployment] = _revisions.GetValueOrDefault(deployment, 1) + 1;
        foreach (var pod in old)
        {
            var fresh = await StartPodAsync("Deployment", deployment, d.Spec.Template, NextNode(), HostNetwork(d.Spec.Template) ? null : NewPodName(deployment));
            await WaitUntilAsync(() => fresh.Ready, timeout, $"the new pod {fresh.Name} to be ready");
            await pod.DeleteAsync();
            await RemovePodAsync(pod);
            stepped?.Invoke(pod, fresh);
        }
    }

    /// <summary>Waits until every pod is ready and the Services and names say so.</summary>
    public async Task WaitUntilAllReadyAsync(TimeSpan timeout)
    {
        await WaitUntilAsync(() => Pods.Count > 0 && Pods.All(p => p.Ready), timeout, "every pod to be ready");
        await SyncNetworkAsync();
    }

    public async Task WaitUntilAsync(Func<bool> condition, TimeSpan timeout, string what)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"Timed out waiting for {what}. Pods: {string.Join("; ", Pods.Select(p => $"{p.Name} ready={p.Ready} restarts={p.Restarts}"))}\n{Diagnostics()}");
            await Task.Delay(100);
        }
    }

    /// <summary>The last lines each pod printed, for a failure's message.</summary>
    public string Diagnostics(int lines = 15) => string.Join("\n", Pods.Select(p =>
        $"--- {p.Name}\n" + string.Join('\n', p.Log.Split('\n').TakeLast(lines))));

    private bool HostNetwork(V1PodTemplateSpec template) => template.Spec.HostNetwork == true;

    private SimulatedNode NextNode()
    {
        var nodes = Nodes;
        return nodes[Interlocked.Increment(ref _podSerial) % nodes.Count];
    }

    private string NewPodName(string deployment)
    {
        int revision;
        lock (_revisions) revision = _revisions.GetValueOrDefault(deployment, 1);
        return $"{deployment}-{revision}-{Guid.NewGuid().ToString("N")[..5]}";
    }

    /// <summary>The controllers: every workload gets the pods its spec asks for.</summary>
    private async Task ReconcileAsync()
    {
        await _reconcile.WaitAsync();
        try
        {
            foreach (var s in _manifests.All<V1StatefulSet>())
            {
                var ordinals = Enumerable.Range(0, s.Spec.Replicas ?? 1).ToList();
                var ordered = s.Spec.PodManagementPolicy != "Parallel";
                foreach (var i in ordinals)
                {
                    var name = $"{s.Metadata.Name}-{i}";
                    if (Pods.Any(p => p.Name == name)) continue;
                    var pod = await StartPodAsync("StatefulSet", s.Metadata.Name, s.Spec.Template, Nodes[i % Nodes.Count], name);
                    if (ordered) await WaitUntilAsync(() => pod.Ready, TimeSpan.FromMinutes(3), $"{name} to be ready (OrderedReady)");
                }
            }
            foreach (var d in _manifests.All<V1Deployment>())
            {
                var missing = (d.Spec.Replicas ?? 1) - PodsOf(d.Metadata.Name).Count;
                for (var i = 0; i < missing; i++)
                    await StartPodAsync("Deployment", d.Metadata.Name, d.Spec.Template, NextNode(), HostNetwork(d.Spec.Template) ? null : NewPodName(d.Metadata.Name));
            }
            foreach (var ds in _manifests.All<V1DaemonSet>())
                foreach (var node in Nodes.Where(n => (ds.Spec.Template.Spec.NodeSelector ?? new Dictionary<string, string>())
                             .All(kv => n.Labels.TryGetValue(kv.Key, out var v) && v == kv.Value)))
                    if (!PodsOf(ds.Metadata.Name).Any(p => p.Node == node))
                        await StartPodAsync("DaemonSet", ds.Metadata.Name, ds.Spec.Template, node, $"{ds.Metadata.Name}-{node.Name}-{Guid.NewGuid().ToString("N")[..5]}");
        }
        finally
        {
            _reconcile.Release();
        }
    }

    private async Task<SimulatedPod> StartPodAsync(string kind, string workload, V1PodTemplateSpec template, SimulatedNode node, string? name)
    {
        name ??= $"{workload}-{Guid.NewGuid().ToString("N")[..5]}";
        if (template.Spec.HostNetwork == true && Pods.Any(p => p.HostNetwork && p.Node == node
                && p.Container.Ports.Any(a => template.Spec.Containers.SelectMany(c => c.Ports ?? []).Any(b => a.ContainerPort == b.ContainerPort && a.Protocol == b.Protocol))))
            throw new InvalidOperationException($"{name}: a host port on {node.Name} is taken");
        var host = template.Spec.HostNetwork == true ? node.Host : await Network.AddHostAsync(name);
        var pod = new SimulatedPod(this, name, kind, workload, template, node, host);
        lock (_pods) _pods.Add(pod);
        await SyncNetworkAsync();
        pod.Start();
        return pod;
    }

    private async Task RemovePodAsync(SimulatedPod pod)
    {
        lock (_pods) _pods.Remove(pod);
        if (!pod.HostNetwork) await Network.RemoveHostAsync(pod.Host);
        await SyncNetworkAsync();
    }

    internal void PodReadinessChanged(SimulatedPod pod)
    {
        if (Interlocked.Exchange(ref _pendingSync, 1) == 1) return;
        _ = Task.Run(async () =>
        {
            Interlocked.Exchange(ref _pendingSync, 0);
            try { await SyncNetworkAsync(); } catch (Exception e) when (e is InvalidOperationException or ObjectDisposedException) { }
        });
    }

    private readonly SemaphoreSlim _sync = new(1, 1);

    /// <summary>Endpoints of every Service, the hosts files (cluster DNS) and the network policies, from the pods now.</summary>
    private async Task SyncNetworkAsync()
    {
        await _sync.WaitAsync();
        try
        {
            var pods = Pods;
            var names = new Dictionary<string, IPAddress>();
            foreach (var service in _manifests.All<V1Service>())
            {
                var selected = pods.Where(p => Selects(service.Spec.Selector, p.Labels)).ToList();
                if (service.Spec.ClusterIP == "None")
                {
                    foreach (var p in selected.Where(p => p.WorkloadKind == "StatefulSet"
                                 && _manifests.Get<V1StatefulSet>(p.WorkloadName).Spec.ServiceName == service.Metadata.Name
                                 && (p.Ready || service.Spec.PublishNotReadyAddresses == true) && !p.Terminating))
                        names[$"{p.Name}.{service.Metadata.Name}.{Namespace}.{ClusterDomain}"] = p.Address;
                    continue;
                }
                var address = Network.ServiceAddress(service.Metadata.Name);
                foreach (var n in ServiceNames(service.Metadata.Name)) names[n] = address;
                var ready = selected.Where(p => p.Ready && !p.Terminating).ToList();
                foreach (var port in service.Spec.Ports)
                {
                    // One rule set per Service port; pods agree on the target port's number (they share a template).
                    var target = selected.Count == 0 ? port.Port : selected[0].ResolvePort(port.TargetPort?.Value ?? port.Port.ToString());
                    await Network.SetServiceEndpointsAsync(ServiceKey(service.Metadata.Name, port.Port),
                        [new ServicePort(port.Protocol ?? "TCP", port.Port, target)], ready.Select(p => p.Address).ToList());
                }
            }
            await Network.SetHostsAsync(names);
            await ApplyNetworkPoliciesAsync(pods);
        }
        finally
        {
            _sync.Release();
        }
    }

    private string ServiceKey(string service, int port)
    {
        var ports = _manifests.Get<V1Service>(service).Spec.Ports;
        return ports.Count == 1 ? service : $"{service}:{port}";
    }

    private static IEnumerable<string> ServiceNames(string service) =>
        [service, $"{service}.{Namespace}", $"{service}.{Namespace}.svc", $"{service}.{Namespace}.{ClusterDomain}"];

    private async Task ApplyNetworkPoliciesAsync(IReadOnlyList<SimulatedPod> pods)
    {
        var policies = _manifests.All<V1NetworkPolicy>().ToList();
        foreach (var pod in pods.Where(p => !p.HostNetwork && !p.Terminated))
        {
            var selecting = policies.Where(p => p.Spec.PolicyTypes?.Contains("Ingress") != false && Selects(p.Spec.PodSelector.MatchLabels, pod.Labels)).ToList();
            var script = new StringBuilder("table inet k8s_network_policy {}\ndelete table inet k8s_network_policy\n");
            if (selecting.Count > 0)
            {
                script.Append("table inet k8s_network_policy {\n  chain input {\n    type filter hook input priority 0; policy drop;\n")
                    .Append("    iif lo accept\n    ct state established,related accept\n");
                foreach (var rule in selecting.SelectMany(p => p.Spec.Ingress ?? []))
                {
                    var sources = Sources(rule, pods);
                    if (sources is { Count: 0 }) continue;
                    var from = sources is null ? "" : $"ip saddr {{ {string.Join(", ", sources)} }} ";
                    if (rule.Ports is not { Count: > 0 })
                    {
                        script.Append($"    {from}accept\n");
                        continue;
                    }
                    foreach (var port in rule.Ports)
                    {
                        int number;
                        try { number = pod.ResolvePort(port.Port.Value); } catch (InvalidOperationException) { continue; } // a named port this pod lacks
                        script.Append($"    meta l4proto {(port.Protocol ?? "TCP").ToLowerInvariant()} th dport {number} {from}accept\n");
                    }
                }
                script.Append("  }\n}\n");
            }
            var file = Path.Combine(Root, $"policy-{pod.Name}.nft");
            await File.WriteAllTextAsync(file, script.ToString());
            var result = await pod.Host.RunAsync("nft", ["-f", file]);
            if (result.ExitCode != 0 && !pod.Host.Removed)
                throw new InvalidOperationException($"nft in {pod.Name}: {result.StandardError}\n{script}");
        }
    }

    /// <summary>A rule's source addresses: null admits every source; an empty list none.</summary>
    private List<string>? Sources(V1NetworkPolicyIngressRule rule, IReadOnlyList<SimulatedPod> pods)
    {
        if (rule.FromProperty is not { Count: > 0 }) return null;
        var sources = new List<string>();
        // Host-network pods send from their node's address, which no pod selector matches (hence ipBlocks for nodes).
        var podNetwork = pods.Where(p => !p.HostNetwork && !p.Terminated).ToList();
        foreach (var peer in rule.FromProperty)
        {
            if (peer.IpBlock is { } block)
            {
                if (block.Except is { Count: > 0 }) throw new NotSupportedException("ipBlock.except is not simulated");
                sources.Add(block.Cidr);
            }
            else if (peer.NamespaceSelector is { } ns)
            {
                // Every namespace of the simulated cluster is this one; a selector with labels would need namespace labels.
                if (ns.MatchLabels is { Count: > 0 } || ns.MatchExpressions is { Count: > 0 }) throw new NotSupportedException("namespace labels are not simulated");
                sources.AddRange(podNetwork.Where(p => peer.PodSelector is null || Selects(peer.PodSelector.MatchLabels, p.Labels)).Select(p => p.Address.ToString()));
            }
            else if (peer.PodSelector is { } selector)
            {
                sources.AddRange(podNetwork.Where(p => Selects(selector.MatchLabels, p.Labels)).Select(p => p.Address.ToString()));
            }
        }
        return sources.Distinct().ToList();
    }

    internal static bool Selects(IDictionary<string, string>? selector, IDictionary<string, string>? labels) =>
        selector is not null && labels is not null && selector.All(kv => labels.TryGetValue(kv.Key, out var v) && v == kv.Value);

    /// <summary>The container's environment: the image's, then envFrom, then env in order, with Downward API fields and references resolved.</summary>
    internal Dictionary<string, string> ResolveEnvironment(SimulatedPod pod)
    {
        var c = pod.Container;
        var env = ImageCatalog.IsPostgres(c.Image)
            ? new Dictionary<string, string> { ["PATH"] = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" }
            : new Dictionary<string, string>(Images.Environment);
        foreach (var from in c.EnvFrom ?? [])
        {
            if (from.ConfigMapRef is { } cm)
                foreach (var (k, v) in ConfigMap(cm.Name).Data ?? new Dictionary<string, string>()) env[(from.Prefix ?? "") + k] = v;
            if (from.SecretRef is { } sr)
                foreach (var (k, v) in Secret(sr.Name).Data ?? new Dictionary<string, byte[]>()) env[(from.Prefix ?? "") + k] = Encoding.UTF8.GetString(v);
        }
        foreach (var e in c.Env ?? [])
        {
            if (e.Value is not null) { env[e.Name] = SimulatedPod.Expand(e.Value, env); continue; }
            if (e.ValueFrom is not { } source) { env[e.Name] = ""; continue; }
            if (source.FieldRef is { } field)
                env[e.Name] = field.FieldPath switch
                {
                    "metadata.name" => pod.Name,
                    "metadata.namespace" => Namespace,
                    "status.podIP" => pod.Address.ToString(),
                    "status.hostIP" => pod.Node.Address.ToString(),
                    "spec.nodeName" => pod.Node.Name,
                    var other => throw new NotSupportedException($"fieldRef {other} is not simulated"),
                };
            else if (source.SecretKeyRef is { } sk)
            {
                var secret = _manifests.All<V1Secret>().SingleOrDefault(s => s.Metadata.Name == sk.Name);
                if (secret?.Data?.TryGetValue(sk.Key, out var bytes) == true) env[e.Name] = Encoding.UTF8.GetString(bytes);
                else if (sk.Optional != true) throw new InvalidOperationException($"{pod.Name}: secret {sk.Name} has no key {sk.Key}");
            }
            else if (source.ConfigMapKeyRef is { } ck)
            {
                if (ConfigMap(ck.Name).Data?.TryGetValue(ck.Key, out var v) == true) env[e.Name] = v;
                else if (ck.Optional != true) throw new InvalidOperationException($"{pod.Name}: config map {ck.Name} has no key {ck.Key}");
            }
            else throw new NotSupportedException($"{pod.Name}: env {e.Name}: a source the simulation does not resolve");
        }
        return env;
    }

    private V1ConfigMap ConfigMap(string name) => _manifests.All<V1ConfigMap>().Single(m => m.Metadata.Name == name);
    private V1Secret Secret(string name) => _manifests.All<V1Secret>().Single(m => m.Metadata.Name == name);

    /// <summary>A pod's volume as a folder: emptyDir fresh for the pod, Secret and ConfigMap files, a claim kept per StatefulSet pod.</summary>
    internal string MaterializeVolume(SimulatedPod pod, string name, string owner)
    {
        var volume = pod.Spec.Volumes?.SingleOrDefault(v => v.Name == name);
        string path;
        if (volume is null)
        {
            // A StatefulSet's volumeClaimTemplates: one claim per pod name, kept when the pod is deleted.
            var set = _manifests.Get<V1StatefulSet>(pod.WorkloadName);
            if (set.Spec.VolumeClaimTemplates?.Any(t => t.Metadata.Name == name) != true)
                throw new InvalidOperationException($"{pod.Name}: no volume {name}");
            path = Path.Combine(Root, "claims", $"{name}-{pod.Name}");
            var fresh = !Directory.Exists(path);
            Directory.CreateDirectory(path);
            if (fresh) Chown(owner, path, "2775");
            return path;
        }
        path = Path.Combine(pod.VolumeRoot, name);
        if (Directory.Exists(path)) return path; // kept across container restarts in the same pod
        Directory.CreateDirectory(path);
        if (volume.EmptyDir is not null)
        {
            ImageCatalog.Run("chmod", "1777", path);
            return path;
        }
        IEnumerable<(string Key, byte[] Value)> data;
        IList<V1KeyToPath>? items;
        int? mode;
        if (volume.Secret is { } secret)
        {
            data = Secret(secret.SecretName).Data.Select(kv => (kv.Key, kv.Value));
            items = secret.Items;
            mode = secret.DefaultMode;
        }
        else if (volume.ConfigMap is { } map)
        {
            data = (ConfigMap(map.Name).Data ?? new Dictionary<string, string>()).Select(kv => (kv.Key, Encoding.UTF8.GetBytes(kv.Value)));
            items = map.Items;
            mode = map.DefaultMode;
        }
        else throw new NotSupportedException($"{pod.Name}: volume {name} is of a kind the simulation does not make");
        foreach (var (key, value) in data)
        {
            var item = items?.SingleOrDefault(i => i.Key == key);
            if (items is not null && item is null) continue;
            var file = Path.Combine(path, item?.Path ?? key);
            File.WriteAllBytes(file, value);
            // Owned by root, in the pod's fsGroup, with the volume's mode (0644 by default), as the kubelet writes them.
            var group = pod.Spec.SecurityContext?.FsGroup;
            if (group is not null) ImageCatalog.Run("chgrp", group.ToString()!, file);
            ImageCatalog.Run("chmod", Convert.ToString(item?.Mode ?? mode ?? 420, 8), file);
        }
        ImageCatalog.Run("chmod", "755", path);
        return path;
    }

    /// <summary>A mount point missing on this machine is made (and removed again at the end), as in a container's root.</summary>
    internal void EnsureMountPoint(string path)
    {
        lock (_createdMountPoints)
        {
            var missing = new List<string>();
            for (var dir = path; !Directory.Exists(dir); dir = Path.GetDirectoryName(dir)!) missing.Add(dir);
            if (missing.Count == 0) return;
            Directory.CreateDirectory(path);
            _createdMountPoints.AddRange(missing); // deepest first
        }
    }

    private static void Chown(string owner, string path, string mode)
    {
        ImageCatalog.Run("chown", owner, path);
        ImageCatalog.Run("chmod", mode, path);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var pod in Pods) pod.Abandon();
        foreach (var pod in Pods)
        {
            try { await pod.DeleteAsync(); }
            catch (Exception e) when (e is InvalidOperationException or TimeoutException) { /* killed above; its namespace goes with the network */ }
        }
        lock (_createdMountPoints)
            foreach (var dir in _createdMountPoints)
                try { Directory.Delete(dir); } catch (IOException) { }
        // Files of other users and modes (the database's 0700 folder) are in there: remove it as root does.
        ImageCatalog.Run("rm", "-rf", Root);
    }
}

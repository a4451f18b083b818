using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using k8s.Models;
using OpenChat.TestSupport.PodNetwork;

namespace OpenChat.Kubernetes.Tests.Simulation;

/// <summary>A node of the simulated cluster: a network namespace (its host network) with labels.</summary>
public sealed class SimulatedNode(string name, NetHost host)
{
    public string Name { get; } = name;
    public NetHost Host { get; } = host;
    public IPAddress Address => Host.Address;
    public Dictionary<string, string> Labels { get; } = new() { ["kubernetes.io/hostname"] = name };
}

/// <summary>
/// One pod, run as a kubelet would: its container a process in the pod's network namespace (the node's, with
/// hostNetwork), started with exactly the container's command, arguments and environment (Downward API fields,
/// Secret and ConfigMap references and <c>$(VAR)</c> references resolved), its volumes mounted at their paths in a
/// mount namespace of its own, the root file system read-only when asked, under the pod's user and groups with no
/// capabilities and no privilege escalation; probes polled as declared; restarted when it exits or fails liveness.
/// </summary>
public sealed class SimulatedPod
{
    private readonly SimulatedKubernetes _cluster;
    private readonly List<string> _log = [];
    private readonly CancellationTokenSource _stop = new();

    /// <summary>Orders container starts against termination: once a pod is terminating, no container starts in it.</summary>
    private readonly Lock _gate = new();
    private Process? _process;
    private Task? _probing;
    private int _consecutiveCrashes;

    internal SimulatedPod(SimulatedKubernetes cluster, string name, string workloadKind, string workloadName, V1PodTemplateSpec template,
        SimulatedNode node, NetHost host)
    {
        _cluster = cluster;
        Name = name;
        WorkloadKind = workloadKind;
        WorkloadName = workloadName;
        Template = template;
        Node = node;
        Host = host;
        VolumeRoot = Path.Combine(cluster.Root, "pods", name + "-" + Guid.NewGuid().ToString("N")[..6]);
    }

    public string Name { get; }
    public string WorkloadKind { get; }
    public string WorkloadName { get; }
    public V1PodTemplateSpec Template { get; }
    public V1PodSpec Spec => Template.Spec;
    public V1Container Container => Spec.Containers.Single();
    public IDictionary<string, string> Labels => Template.Metadata.Labels;
    public SimulatedNode Node { get; }
    public NetHost Host { get; }
    public bool HostNetwork => Spec.HostNetwork == true;
    public IPAddress Address => Host.Address;
    public bool Ready { get; private set; }
    public bool Started { get; private set; }
    public bool Terminating { get; private set; }
    public bool Terminated { get; private set; }
    public int Restarts { get; private set; }
    public int? Pid => _process is { HasExited: false } p ? p.Id : null;
    /// <summary>The environment the container was last started with.</summary>
    public IReadOnlyDictionary<string, string> Environment { get; private set; } = new Dictionary<string, string>();
    internal string VolumeRoot { get; }

    public string Log { get { lock (_log) return string.Join('\n', _log); } }

    public override string ToString() => $"{Name} ({Address}{(HostNetwork ? ", host network of " + Node.Name : "")})";

    internal void Start()
    {
        Directory.CreateDirectory(VolumeRoot);
        StartContainer();
        _probing = Task.Run(ProbeLoopAsync);
    }

    /// <summary>Deletes the pod: out of every Service at once, SIGTERM, SIGKILL after the grace period, network removed.</summary>
    internal async Task DeleteAsync()
    {
        // A restart the kubelet had under way either started already (and is signalled below) or never starts.
        lock (_gate) Terminating = true;
        SetReady(false);
        var grace = TimeSpan.FromSeconds(Spec.TerminationGracePeriodSeconds ?? 30);
        var exited = await SignalAndWaitAsync(grace);
        if (!exited)
        {
            Write($"[simulation] still running after the grace period of {grace.TotalSeconds:0} s: SIGKILL");
            Kill(9);
            if (_process is { } p) await p.WaitForExitAsync();
        }
        await _stop.CancelAsync();
        if (_probing is { } probing) await probing;
        Terminated = true;
    }

    /// <summary>The container's process killed with SIGKILL (a crash): the kubelet restarts it in the same pod.</summary>
    internal void KillContainer() => Kill(9);

    /// <summary>The pod is going away with its cluster: its container is killed and never restarted.</summary>
    internal void Abandon()
    {
        lock (_gate) Terminating = true;
        Kill(9);
    }

    /// <summary>The exit code of the last container run, once it exited after <see cref="DeleteAsync"/>.</summary>
    public int? ExitCode { get; private set; }

    private async Task<bool> SignalAndWaitAsync(TimeSpan grace)
    {
        if (_process is not { HasExited: false } p) return true;
        Kill(15);
        try
        {
            await p.WaitForExitAsync().WaitAsync(grace);
            return true;
        }
        catch (TimeoutException)
        {
            return false;
        }
    }

    private void Kill(int signal)
    {
        // The process may exit between the check and the signal (ESRCH): there is nothing left to signal then.
        if (_process is { HasExited: false } p) _ = SendSignal(p.Id, signal);
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int SendSignal(int pid, int signal);

    private void StartContainer()
    {
        var c = Container;
        var env = _cluster.ResolveEnvironment(this);
        Environment = env;
        var uid = Spec.SecurityContext?.RunAsUser ?? throw new InvalidOperationException($"{Name}: no runAsUser (the image's user is not known here)");
        var gid = Spec.SecurityContext?.RunAsGroup ?? uid;
        if (Spec.SecurityContext?.RunAsNonRoot == true && uid == 0) throw new InvalidOperationException($"{Name}: runAsNonRoot with runAsUser 0");
        var fsGroup = Spec.SecurityContext?.FsGroup;
        var postgres = ImageCatalog.IsPostgres(c.Image);
        var script = new StringBuilder("set -e\n");
        foreach (var mount in c.VolumeMounts ?? [])
        {
            var source = _cluster.MaterializeVolume(this, mount.Name, postgres ? PostgresImage.Account : $"{uid}:{fsGroup ?? gid}");
            _cluster.EnsureMountPoint(mount.MountPath);
            script.Append($"mount --bind '{source}' '{mount.MountPath}'\n");
            if (mount.ReadOnlyProperty == true) script.Append($"mount -o remount,bind,ro '{mount.MountPath}'\n");
        }
        // Capabilities dropped (none in the bounding or inheritable set), no privilege escalation (no_new_privs).
        var caps = c.SecurityContext?.Capabilities?.Drop?.Contains("ALL") == true ? " --inh-caps=-all --bounding-set=-all" : "";
        var nnp = c.SecurityContext?.AllowPrivilegeEscalation == false ? " --no-new-privs" : "";
        string command;
        if (postgres)
        {
            var drop = $"setpriv --reuid={PostgresImage.Account} --regid={PostgresImage.Account} --init-groups{caps}{nnp}";
            if (c.SecurityContext?.ReadOnlyRootFilesystem == true) script.Append("mount -o remount,bind,ro /\n");
            command = PostgresImage.Script(env, drop);
        }
        else
        {
            if (!_cluster.Images.IsOpenChat(c.Image)) throw new InvalidOperationException($"{Name}: no stand-in for the image {c.Image}");
            if (c.SecurityContext?.ReadOnlyRootFilesystem == true) script.Append("mount -o remount,bind,ro /\n");
            var groups = fsGroup is { } g ? $" --groups={g}" : " --clear-groups";
            var argv = (c.Command ?? (IList<string>)_cluster.Images.Entrypoint).Concat(c.Args ?? []).Select(a => Expand(a, env));
            command = $"cd '{_cluster.Images.AppDirectory}'\nexec setpriv --reuid={uid} --regid={gid}{groups}{caps}{nnp} "
                + string.Join(' ', argv.Select(a => "'" + a.Replace("'", "'\\''") + "'"));
        }
        script.Append(command).Append('\n');

        var info = new ProcessStartInfo("ip") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { "netns", "exec", Host.Namespace, "sh", "-c", script.ToString() }) info.ArgumentList.Add(a);
        info.Environment.Clear();
        foreach (var (k, v) in env) info.Environment[k] = v;
        info.Environment["HOSTNAME"] = Name;
        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) Write(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) Write(e.Data); };
        process.Exited += (_, _) => OnExited(process);
        lock (_gate)
        {
            if (Terminating) return;
            Write($"[simulation] starting container {c.Name} ({c.Image}) as {uid}:{gid}");
            process.Start();
            _process = process;
        }
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        Started = false;
    }

    private void OnExited(Process process)
    {
        if (process != _process) return;
        ExitCode = process.ExitCode;
        Write($"[simulation] container exited with {process.ExitCode}");
        SetReady(false);
        Started = false;
        if (Terminating || _stop.IsCancellationRequested) return;
        // restartPolicy Always, with the kubelet's back-off: at once the first time, then 10 s doubling.
        var delay = _consecutiveCrashes == 0 ? TimeSpan.Zero : TimeSpan.FromSeconds(Math.Min(300, 10 * Math.Pow(2, _consecutiveCrashes - 1)));
        _consecutiveCrashes++;
        Restarts++;
        _ = Task.Run(async () =>
        {
            try
            {
                await Task.Delay(delay, _stop.Token);
                if (!Terminating) StartContainer();
            }
            catch (OperationCanceledException) { }
        });
    }

    private async Task ProbeLoopAsync()
    {
        var c = Container;
        var next = new Dictionary<string, DateTime>();
        var failures = new Dictionary<string, int>();
        var tick = TimeSpan.FromMilliseconds(250);
        while (!_stop.IsCancellationRequested)
        {
            try { await Task.Delay(tick, _stop.Token); } catch (OperationCanceledException) { break; }
            var process = _process;
            if (process is null || process.HasExited || Terminating) { next.Clear(); failures.Clear(); continue; }
            var now = DateTime.UtcNow;
            var started = process.StartTime.ToUniversalTime();
            foreach (var (kind, probe) in new[] { ("startup", c.StartupProbe), ("readiness", c.ReadinessProbe), ("liveness", c.LivenessProbe) })
            {
                if (probe is null) { if (kind == "startup") Started = true; if (kind == "readiness" && Started) SetReady(true); continue; }
                if (kind == "startup" && Started) continue;
                if (kind != "startup" && !Started) continue;
                if (!next.TryGetValue(kind, out var due)) due = started + TimeSpan.FromSeconds(probe.InitialDelaySeconds ?? 0);
                if (now < due) continue;
                next[kind] = now + TimeSpan.FromSeconds(probe.PeriodSeconds ?? 10);
                var ok = await RunProbeAsync(probe);
                if (process != _process || Terminating) break;
                if (ok)
                {
                    failures[kind] = 0;
                    if (kind == "startup") Started = true;
                    if (kind == "readiness") SetReady(true);
                    if (kind == "liveness") _consecutiveCrashes = 0;
                    continue;
                }
                failures[kind] = failures.GetValueOrDefault(kind) + 1;
                if (failures[kind] < (probe.FailureThreshold ?? 3)) continue;
                if (kind == "readiness") { SetReady(false); continue; }
                Write($"[simulation] {kind} probe failed {failures[kind]} times: restarting the container");
                failures.Clear();
                next.Clear();
                await SignalAndWaitAsync(TimeSpan.FromSeconds(Spec.TerminationGracePeriodSeconds ?? 30));
                Kill(9);
                break;
            }
        }
    }

    private async Task<bool> RunProbeAsync(V1Probe probe)
    {
        var timeout = TimeSpan.FromSeconds(probe.TimeoutSeconds ?? 1);
        try
        {
            if (probe.HttpGet is { } http)
            {
                var port = ResolvePort(http.Port.Value);
                using var cts = new CancellationTokenSource(timeout);
                using var client = new HttpClient(new SocketsHttpHandler
                {
                    UseProxy = false,
                    ConnectCallback = async (context, token) =>
                    {
                        var socket = Host.InNamespace(() => new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp));
                        try
                        {
                            await socket.ConnectAsync(new IPEndPoint(Address, port), token);
                            return new NetworkStream(socket, ownsSocket: true);
                        }
                        catch
                        {
                            socket.Dispose();
                            throw;
                        }
                    },
                });
                using var response = await client.GetAsync($"http://{Address}:{port}{http.Path}", cts.Token);
                return (int)response.StatusCode is >= 200 and < 400;
            }
            if (probe.Exec is { } exec)
            {
                using var cts = new CancellationTokenSource(timeout);
                var result = await Host.RunAsync(exec.Command[0], exec.Command.Skip(1), cts.Token);
                return result.ExitCode == 0;
            }
            if (probe.TcpSocket is { } tcp)
            {
                var port = ResolvePort(tcp.Port.Value);
                using var socket = Host.InNamespace(() => new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp));
                using var cts = new CancellationTokenSource(timeout);
                await socket.ConnectAsync(new IPEndPoint(Address, port), cts.Token);
                return true;
            }
            throw new InvalidOperationException($"{Name}: a probe of a kind the simulation does not run");
        }
        catch (Exception e) when (e is HttpRequestException or OperationCanceledException or SocketException or TaskCanceledException)
        {
            return false;
        }
    }

    internal int ResolvePort(string port) =>
        int.TryParse(port, out var number) ? number
        : Container.Ports?.SingleOrDefault(p => p.Name == port)?.ContainerPort
            ?? throw new InvalidOperationException($"{Name}: no container port named {port}");

    private void SetReady(bool ready)
    {
        if (Ready == ready) return;
        Ready = ready;
        Write($"[simulation] {(ready ? "ready" : "not ready")}");
        _cluster.PodReadinessChanged(this);
    }

    private void Write(string line)
    {
        lock (_log)
        {
            _log.Add(line);
            if (_log.Count > 2000) _log.RemoveRange(0, 500);
        }
    }

    /// <summary>Kubernetes' <c>$(VAR)</c> expansion from variables defined before; <c>$$</c> escapes; unknown ones stay.</summary>
    internal static string Expand(string value, IReadOnlyDictionary<string, string> env)
    {
        var result = new StringBuilder();
        for (var i = 0; i < value.Length; i++)
        {
            if (value[i] == '$' && i + 1 < value.Length && value[i + 1] == '$') { result.Append('$'); i++; continue; }
            if (value[i] == '$' && i + 1 < value.Length && value[i + 1] == '(')
            {
                var end = value.IndexOf(')', i + 2);
                if (end > 0 && env.TryGetValue(value[(i + 2)..end], out var v)) { result.Append(v); i = end; continue; }
            }
            result.Append(value[i]);
        }
        return result.ToString();
    }
}

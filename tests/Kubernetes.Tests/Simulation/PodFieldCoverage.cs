using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using k8s;
using k8s.Models;
using OpenChat.Kubernetes.Tests.Manifests;
using OpenChat.TestSupport;

namespace OpenChat.Kubernetes.Tests.Simulation;

/// <summary>
/// Every field set in a workload (its spec, pod template included) is either honoured by the simulation (listed here)
/// or named in docs/kubernetes.md's table of what the simulation does not do; anything else fails, so a field added to
/// the manifests cannot pass unseen.
/// </summary>
public static partial class PodFieldCoverage
{
    /// <summary>Fields the simulation acts on (a path covers the fields under it).</summary>
    public static readonly IReadOnlyList<string> Honoured =
    [
        "spec.replicas", "spec.selector", "spec.serviceName", "spec.podManagementPolicy", "spec.volumeClaimTemplates.metadata.name",
        "spec.strategy.type", "spec.strategy.rollingUpdate.maxSurge", "spec.strategy.rollingUpdate.maxUnavailable",
        "spec.template.metadata.labels",
        "spec.template.spec.hostNetwork", "spec.template.spec.dnsPolicy", "spec.template.spec.nodeSelector",
        "spec.template.spec.terminationGracePeriodSeconds", "spec.template.spec.automountServiceAccountToken",
        "spec.template.spec.enableServiceLinks",
        "spec.template.spec.securityContext.runAsNonRoot", "spec.template.spec.securityContext.runAsUser",
        "spec.template.spec.securityContext.runAsGroup", "spec.template.spec.securityContext.fsGroup",
        "spec.template.spec.volumes.name", "spec.template.spec.volumes.emptyDir", "spec.template.spec.volumes.secret.secretName",
        "spec.template.spec.volumes.secret.items", "spec.template.spec.volumes.secret.defaultMode",
        "spec.template.spec.volumes.configMap.name", "spec.template.spec.volumes.configMap.items", "spec.template.spec.volumes.configMap.defaultMode",
        "spec.template.spec.containers.name", "spec.template.spec.containers.image", "spec.template.spec.containers.command",
        "spec.template.spec.containers.args", "spec.template.spec.containers.env", "spec.template.spec.containers.envFrom",
        "spec.template.spec.containers.ports.name", "spec.template.spec.containers.ports.containerPort",
        "spec.template.spec.containers.ports.protocol", "spec.template.spec.containers.ports.hostPort",
        "spec.template.spec.containers.volumeMounts.name", "spec.template.spec.containers.volumeMounts.mountPath",
        "spec.template.spec.containers.volumeMounts.readOnly",
        "spec.template.spec.containers.securityContext.allowPrivilegeEscalation",
        "spec.template.spec.containers.securityContext.readOnlyRootFilesystem",
        "spec.template.spec.containers.securityContext.capabilities.drop",
        .. new[] { "startupProbe", "livenessProbe", "readinessProbe" }.SelectMany(p => new[]
        {
            $"spec.template.spec.containers.{p}.httpGet.path", $"spec.template.spec.containers.{p}.httpGet.port",
            $"spec.template.spec.containers.{p}.exec.command", $"spec.template.spec.containers.{p}.tcpSocket.port",
            $"spec.template.spec.containers.{p}.periodSeconds", $"spec.template.spec.containers.{p}.timeoutSeconds",
            $"spec.template.spec.containers.{p}.failureThreshold", $"spec.template.spec.containers.{p}.initialDelaySeconds",
        }),
    ];

    /// <summary>The paths docs/kubernetes.md lists as not simulated (its table under "Not simulated").</summary>
    public static IReadOnlyList<string> NotSimulated()
    {
        var doc = File.ReadAllText(Path.Combine(RepoPaths.Root, "docs", "kubernetes.md"));
        var start = doc.IndexOf("### Not simulated", StringComparison.Ordinal);
        if (start < 0) throw new InvalidDataException("docs/kubernetes.md has no \"### Not simulated\" section.");
        var section = doc[start..];
        var end = section.IndexOf("\n#", 5, StringComparison.Ordinal);
        if (end > 0) section = section[..end];
        return section.Split('\n').Where(l => l.StartsWith("| `", StringComparison.Ordinal))
            .SelectMany(l => FieldPattern().Matches(l.Split('|')[1]).Select(m => m.Groups[1].Value)).ToList();
    }

    /// <summary>The set fields of every workload that are neither honoured nor listed as not simulated.</summary>
    public static IReadOnlyList<string> Uncovered(RenderedManifests manifests)
    {
        var covered = Honoured.Concat(NotSimulated()).ToList();
        var uncovered = new List<string>();
        foreach (var workload in manifests.Objects.Where(o => o is V1Deployment or V1StatefulSet or V1DaemonSet))
        {
            var spec = JsonNode.Parse(KubernetesJson.Serialize(workload))!["spec"]!;
            foreach (var path in Leaves(spec, "spec"))
                if (!covered.Any(c => path == c || path.StartsWith(c + ".", StringComparison.Ordinal)))
                    uncovered.Add($"{workload.Kind} {workload.Metadata.Name}: {path}");
        }
        return uncovered;
    }

    public static void Check(RenderedManifests manifests)
    {
        var uncovered = Uncovered(manifests);
        if (uncovered.Count > 0)
            throw new InvalidOperationException("Fields the simulation neither honours nor lists as not simulated (docs/kubernetes.md):\n  "
                + string.Join("\n  ", uncovered));
    }

    private static IEnumerable<string> Leaves(JsonNode? node, string path) => node switch
    {
        JsonObject o when o.Count > 0 => o.SelectMany(kv => Leaves(kv.Value, path + "." + kv.Key)),
        JsonArray a when a.Count > 0 => a.SelectMany(e => Leaves(e, path)),
        null => [],
        _ => [path],
    };

    [GeneratedRegex("`([a-zA-Z.]+)`")]
    private static partial Regex FieldPattern();
}

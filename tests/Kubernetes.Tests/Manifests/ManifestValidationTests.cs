using System.Net;
using k8s.Models;
using OpenChat.TestSupport;
using Xunit;

namespace OpenChat.Kubernetes.Tests.Manifests;

/// <summary>
/// The manifests in deploy/kubernetes, rendered as an operator renders them and checked against the Kubernetes API
/// models (strictly) and against what OpenChat needs from them. The manifest-driven cluster test runs them.
/// </summary>
public sealed class ManifestValidationTests
{
    private static readonly string[] Overlays = ["single-node", "cluster"];

    [Theory]
    [InlineData("single-node", new[] { "Namespace", "Service", "Ingress", "StatefulSet", "NetworkPolicy", "Secret", "ConfigMap" })]
    [InlineData("cluster", new[] { "Namespace", "Service", "Ingress", "StatefulSet", "Deployment", "DaemonSet", "PodDisruptionBudget", "NetworkPolicy", "Secret", "ConfigMap" })]
    public async Task Each_overlay_renders_and_every_object_loads_strictly_into_the_API_models(string overlay, string[] kinds)
    {
        using var rendered = await RenderedManifests.RenderAsync(overlay);
        Assert.All(kinds, kind => Assert.Contains(rendered.Objects, o => o.Kind == kind));
        Assert.All(rendered.Objects, o =>
        {
            Assert.False(string.IsNullOrEmpty(o.Metadata?.Name), $"a {o.Kind} without a name");
            if (o.Kind != "Namespace") Assert.Equal("openchat", o.Metadata!.NamespaceProperty);
            Assert.Equal("openchat", o.Metadata!.Labels?["app.kubernetes.io/part-of"]);
        });
        Assert.All(rendered.PodTemplates(), w => Assert.All(w.Template.Spec.Containers, c =>
        {
            Assert.False(string.IsNullOrEmpty(c.Name));
            Assert.False(string.IsNullOrEmpty(c.Image));
        }));
        var ingress = rendered.Get<V1Ingress>("openchat");
        Assert.Equal("chat.test.example", ingress.Spec.Rules.Single().Host);
        Assert.Equal("chat.test.example", ingress.Spec.Tls.Single().Hosts.Single());
    }

    [Fact]
    public async Task A_misspelt_or_unknown_field_fails_the_strict_load()
    {
        using var rendered = await RenderedManifests.RenderAsync("cluster");
        foreach (var (from, to) in new[]
        {
            ("readOnlyRootFilesystem: true", "readOnlyRootFileSystem: true"),
            ("publishNotReadyAddresses: true", "publishNotReadyAdresses: true"),
            ("hostNetwork: true", "hostNetworking: true"),
        })
        {
            var yaml = rendered.Yaml.Replace(from, to);
            Assert.NotEqual(rendered.Yaml, yaml);
            var error = Assert.ThrowsAny<Exception>(() => RenderedManifests.Load(yaml));
            Assert.Contains("not found", error.Message + error.InnerException?.Message);
        }
    }

    [Theory]
    [InlineData("single-node", null)]
    [InlineData("cluster", null)]
    [InlineData("cluster", "components/coturn")]
    public async Task Every_pod_is_probed_hardened_bounded_and_scraped(string overlay, string? component)
    {
        using var rendered = await RenderedManifests.RenderAsync(overlay, component is null ? null : new OperatorSettings { Components = [component] });
        foreach (var (kind, name, template) in rendered.PodTemplates())
        {
            var spec = template.Spec;
            var where = $"{kind} {name}";
            Assert.True(spec.SecurityContext?.RunAsNonRoot == true, $"{where}: runAsNonRoot");
            Assert.True(spec.SecurityContext?.RunAsUser is > 0, $"{where}: runAsUser");
            Assert.Equal("RuntimeDefault", spec.SecurityContext?.SeccompProfile?.Type);
            Assert.False(spec.AutomountServiceAccountToken ?? true, $"{where}: no service account token (OpenChat does not call the API server)");
            foreach (var c in spec.Containers)
            {
                Assert.False(c.SecurityContext?.AllowPrivilegeEscalation ?? true, $"{where}: allowPrivilegeEscalation");
                Assert.True(c.SecurityContext?.ReadOnlyRootFilesystem == true, $"{where}: readOnlyRootFilesystem");
                Assert.Equal(["ALL"], c.SecurityContext?.Capabilities?.Drop ?? []);
                Assert.True(c.Resources?.Requests?.ContainsKey("cpu") == true && c.Resources.Requests.ContainsKey("memory"), $"{where}: requests");
                Assert.True(c.Resources?.Limits?.ContainsKey("memory") == true, $"{where}: a memory limit");
                foreach (var probe in new[] { c.StartupProbe, c.LivenessProbe, c.ReadinessProbe })
                {
                    Assert.NotNull(probe);
                    if (probe.HttpGet is { } http)
                    {
                        Assert.StartsWith("/healthz/", http.Path);
                        Assert.Contains(c.Ports, p => p.Name == http.Port.Value || p.ContainerPort.ToString() == http.Port.Value);
                    }
                    else Assert.NotNull(probe.Exec);
                }
                // The only writable places are volumes.
                Assert.Contains(c.VolumeMounts, m => m.MountPath == "/tmp");
                if (c.Image != rendered.ImageReference) continue;
                var management = c.Ports.Single(p => p.Name == "management").ContainerPort;
                Assert.Equal("true", template.Metadata.Annotations["prometheus.io/scrape"]);
                Assert.Equal(management.ToString(), template.Metadata.Annotations["prometheus.io/port"]);
                Assert.Equal("/metrics", template.Metadata.Annotations["prometheus.io/path"]);
                Assert.Equal(management.ToString(), Value(rendered, c, "OpenChat__Management__Port"));
                var dataDir = Value(rendered, c, "OpenChat__DataDirectory");
                Assert.True(c.VolumeMounts.Any(m => dataDir == m.MountPath || dataDir!.StartsWith(m.MountPath + "/", StringComparison.Ordinal)),
                    $"{where}: the data directory {dataDir} is on a volume");
            }
        }
    }

    [Theory]
    [InlineData("single-node")]
    [InlineData("cluster")]
    public async Task Every_reference_between_objects_resolves(string overlay)
    {
        using var rendered = await RenderedManifests.RenderAsync(overlay);
        var templates = rendered.PodTemplates().ToList();
        foreach (var (kind, name, template) in templates)
        {
            var spec = template.Spec;
            foreach (var c in spec.Containers)
            {
                foreach (var from in c.EnvFrom ?? [])
                    if (from.ConfigMapRef is { } cm) Assert.NotNull(Find<V1ConfigMap>(rendered, cm.Name));
                foreach (var e in c.Env ?? [])
                {
                    if (e.ValueFrom?.SecretKeyRef is { } sk && sk.Optional != true)
                        Assert.True(Find<V1Secret>(rendered, sk.Name)?.Data?.ContainsKey(sk.Key) == true, $"{kind} {name}: secret {sk.Name}/{sk.Key}");
                    if (e.ValueFrom?.ConfigMapKeyRef is { } ck && ck.Optional != true)
                        Assert.True(Find<V1ConfigMap>(rendered, ck.Name)?.Data?.ContainsKey(ck.Key) == true, $"{kind} {name}: config {ck.Name}/{ck.Key}");
                    if (e.ValueFrom?.FieldRef is { } field)
                        Assert.Contains(field.FieldPath, new[] { "metadata.name", "metadata.namespace", "status.podIP", "status.hostIP", "spec.nodeName" });
                }
                foreach (var mount in c.VolumeMounts ?? [])
                    Assert.True(spec.Volumes?.Any(v => v.Name == mount.Name) == true
                        || (kind == "StatefulSet" && rendered.Get<V1StatefulSet>(name).Spec.VolumeClaimTemplates?.Any(t => t.Metadata.Name == mount.Name) == true),
                        $"{kind} {name}: volume {mount.Name}");
            }
            foreach (var volume in spec.Volumes ?? [])
            {
                if (volume.Secret is { } secret)
                {
                    var data = Find<V1Secret>(rendered, secret.SecretName)?.Data;
                    Assert.NotNull(data);
                    Assert.All(volume.Secret.Items ?? [], item => Assert.True(data.ContainsKey(item.Key)));
                }
                if (volume.ConfigMap is { } map) Assert.NotNull(Find<V1ConfigMap>(rendered, map.Name));
            }
        }
        foreach (var service in rendered.All<V1Service>())
        {
            var selected = templates.Where(t => Selects(service.Spec.Selector, t.Template.Metadata.Labels)).ToList();
            Assert.True(selected.Count > 0, $"Service {service.Metadata.Name} selects no pod");
            foreach (var port in service.Spec.Ports)
                Assert.All(selected, t => Assert.Contains(t.Template.Spec.Containers.SelectMany(c => c.Ports ?? []),
                    p => p.Name == port.TargetPort.Value || p.ContainerPort.ToString() == port.TargetPort.Value));
        }
        foreach (var d in rendered.All<V1Deployment>()) Assert.True(Selects(d.Spec.Selector.MatchLabels, d.Spec.Template.Metadata.Labels));
        foreach (var s in rendered.All<V1StatefulSet>())
        {
            Assert.True(Selects(s.Spec.Selector.MatchLabels, s.Spec.Template.Metadata.Labels));
            Assert.NotNull(rendered.Get<V1Service>(s.Spec.ServiceName));
        }
        foreach (var d in rendered.All<V1DaemonSet>()) Assert.True(Selects(d.Spec.Selector.MatchLabels, d.Spec.Template.Metadata.Labels));
        foreach (var pdb in rendered.All<V1PodDisruptionBudget>())
            Assert.Contains(templates, t => Selects(pdb.Spec.Selector.MatchLabels, t.Template.Metadata.Labels));
        foreach (var policy in rendered.All<V1NetworkPolicy>())
        {
            var selected = templates.Where(t => Selects(policy.Spec.PodSelector.MatchLabels, t.Template.Metadata.Labels) && t.Template.Spec.HostNetwork != true).ToList();
            Assert.True(selected.Count > 0 || overlay == "single-node", $"NetworkPolicy {policy.Metadata.Name} selects no pod");
            foreach (var port in policy.Spec.Ingress.SelectMany(r => r.Ports ?? []))
                Assert.All(selected.Where(t => t.Template.Spec.Containers.Any(c => c.Ports?.Any(p => p.Name == port.Port.Value) == true)
                        || policy.Spec.PodSelector.MatchLabels.Count > 1),
                    t => Assert.Contains(t.Template.Spec.Containers.SelectMany(c => c.Ports ?? []), p => p.Name == port.Port.Value));
        }
        var backend = rendered.Get<V1Ingress>("openchat").Spec.Rules.Single().Http.Paths.Single().Backend.Service;
        Assert.Contains(rendered.Get<V1Service>(backend.Name).Spec.Ports, p => p.Name == backend.Port.Name);
    }

    [Fact]
    public async Task The_cluster_forms_from_static_seeds_the_first_channels_pods_by_their_stable_names()
    {
        using var rendered = await RenderedManifests.RenderAsync("cluster");
        var channels = rendered.Get<V1StatefulSet>("openchat-channels");
        var headless = rendered.Get<V1Service>(channels.Spec.ServiceName);
        Assert.Equal("None", headless.Spec.ClusterIP);
        Assert.True(headless.Spec.PublishNotReadyAddresses, "seeds resolve before they are ready (a node is ready once it joined)");
        var config = rendered.Generated<V1ConfigMap>("openchat-config").Data;
        var seeds = config.Where(kv => kv.Key.StartsWith("OpenChat__Cluster__SeedNodes__", StringComparison.Ordinal)).OrderBy(kv => kv.Key).Select(kv => kv.Value).ToList();
        var port = config["OpenChat__Cluster__Port"];
        Assert.Equal(
            Enumerable.Range(0, seeds.Count).Select(i => $"akka.tcp://openchat@openchat-channels-{i}.openchat-channels.openchat.svc.cluster.local:{port}"),
            seeds);
        Assert.InRange(seeds.Count, 2, channels.Spec.Replicas!.Value);
        Assert.Contains(channels.Spec.Template.Spec.Containers.Single().Env, e =>
            e.Name == "OpenChat__Cluster__PublicHostname" && e.Value == "$(POD_NAME).openchat-channels.openchat.svc.cluster.local");

        var pdb = rendered.Get<V1PodDisruptionBudget>("openchat-channels");
        Assert.True(int.Parse(pdb.Spec.MinAvailable.Value) > channels.Spec.Replicas / 2, "the budget keeps the majority");
        Assert.Equal("PostgreSql", Value(rendered, channels.Spec.Template.Spec.Containers.Single(), "OpenChat__Persistence__Provider"));

        var gateway = rendered.Get<V1Deployment>("openchat-gateway");
        Assert.Equal("0", gateway.Spec.Strategy.RollingUpdate.MaxUnavailable.Value);
        Assert.True(gateway.Spec.Replicas >= 2);

        var media = rendered.Get<V1DaemonSet>("openchat-media").Spec.Template.Spec;
        Assert.True(media.HostNetwork);
        Assert.Equal("ClusterFirstWithHostNet", media.DnsPolicy);
        var rtc = media.Containers.Single().Ports.Single(p => p.Name == "rtc");
        Assert.Equal(("UDP", rtc.ContainerPort), (rtc.Protocol, rtc.HostPort!.Value));
        Assert.Equal(rtc.ContainerPort.ToString(), Value(rendered, media.Containers.Single(), "OpenChat__Media__RtcPort"));
        var rtcTcp = media.Containers.Single().Ports.Single(p => p.Name == "rtc-tcp");
        Assert.Equal(("TCP", rtcTcp.ContainerPort), (rtcTcp.Protocol, rtcTcp.HostPort!.Value));
        Assert.Equal(rtcTcp.ContainerPort.ToString(), Value(rendered, media.Containers.Single(), "OpenChat__Media__RtcTcpPort"));
        // The grace period covers the drain (20 s by default) and leaving the cluster.
        Assert.True(media.TerminationGracePeriodSeconds >= 20 + 15 + 10);
        Assert.NotNull(media.Affinity?.PodAntiAffinity);
    }

    [Fact]
    public async Task The_ingress_keeps_WebSockets_open_needs_no_affinity_and_trusts_nothing_it_should_not()
    {
        using var rendered = await RenderedManifests.RenderAsync("cluster");
        var annotations = rendered.Get<V1Ingress>("openchat").Metadata.Annotations;
        // SignalR: the server pings every 15 s, the client's timeout is 30 s; nginx must not cut an idle WebSocket sooner.
        Assert.True(int.Parse(annotations["nginx.ingress.kubernetes.io/proxy-read-timeout"]) > 30);
        Assert.True(int.Parse(annotations["nginx.ingress.kubernetes.io/proxy-send-timeout"]) > 30);
        Assert.DoesNotContain(annotations.Keys, k => k.Contains("affinity", StringComparison.Ordinal));
        Assert.Equal("letsencrypt", annotations["cert-manager.io/cluster-issuer"]);
        Assert.Null(rendered.Get<V1Service>("openchat-web").Spec.SessionAffinity);
        var gateway = rendered.Get<V1Deployment>("openchat-gateway").Spec.Template.Spec.Containers.Single();
        Assert.True(IPNetwork.TryParse(Value(rendered, gateway, "OpenChat__Gateway__KnownNetworks__0"), out _), "forwarded headers from the ingress are believed");
    }

    [Fact]
    public async Task The_cluster_port_admits_only_OpenChat_pods_and_the_nodes()
    {
        using var rendered = await RenderedManifests.RenderAsync("cluster", new OperatorSettings { NodeCidr = "192.168.10.0/24" });
        var policy = rendered.Get<V1NetworkPolicy>("openchat-cluster");
        var rule = policy.Spec.Ingress.Single();
        Assert.Equal("cluster", rule.Ports.Single().Port.Value);
        Assert.Equal(2, rule.FromProperty.Count);
        Assert.Equal("openchat", rule.FromProperty[0].PodSelector.MatchLabels["app.kubernetes.io/name"]);
        Assert.Null(rule.FromProperty[0].NamespaceSelector);
        Assert.Equal("192.168.10.0/24", rule.FromProperty[1].IpBlock.Cidr);
        // No other policy opens the cluster port.
        Assert.All(rendered.All<V1NetworkPolicy>().Where(p => p != policy), p =>
            Assert.DoesNotContain(p.Spec.Ingress.SelectMany(r => r.Ports ?? []), port => port.Port.Value == "cluster"));
    }

    [Fact]
    public async Task Secrets_come_only_from_files_the_operator_makes_and_none_is_committed()
    {
        using var rendered = await RenderedManifests.RenderAsync("cluster");
        var secretValues = rendered.All<V1Secret>().SelectMany(s => s.Data.Values).Select(System.Text.Encoding.UTF8.GetString).Where(v => v.Length >= 16).ToList();
        Assert.NotEmpty(secretValues);
        foreach (var map in rendered.All<V1ConfigMap>())
            Assert.All(map.Data, kv =>
            {
                Assert.DoesNotContain(kv.Value, secretValues);
                Assert.DoesNotMatch("(?i)password|signingkey|adminkey|connectionstring", kv.Key);
            });
        Assert.All(rendered.PodTemplates().SelectMany(t => t.Template.Spec.Containers).SelectMany(c => c.Env ?? []), e =>
        {
            if (e.Value is not null) Assert.DoesNotContain(e.Value, secretValues);
            if (System.Text.RegularExpressions.Regex.IsMatch(e.Name, "(?i)password|signingkey|adminkey|connectionstring"))
                Assert.NotNull(e.ValueFrom?.SecretKeyRef);
        });
        var tracked = await RenderedManifests.RunAsync("git", $"-C {RepoPaths.Root} ls-files deploy/kubernetes");
        Assert.DoesNotContain("/secrets/", tracked);
        Assert.Contains("secrets/", File.ReadAllText(Path.Combine(RenderedManifests.Source, ".gitignore")));
    }

    [Fact]
    public async Task Per_node_media_addresses_replace_the_node_address_when_the_component_is_enabled()
    {
        using var rendered = await RenderedManifests.RenderAsync("cluster", new OperatorSettings { Components = ["components/media-addresses-per-node"] });
        var media = rendered.Get<V1DaemonSet>("openchat-media").Spec.Template.Spec;
        var env = media.Containers.Single().Env;
        Assert.DoesNotContain(env, e => e.Name == "OpenChat__Media__RtcAdvertisedAddress");
        var file = env.Single(e => e.Name == "OpenChat__Media__RtcAdvertisedAddressFile").Value;
        Assert.EndsWith("/$(NODE_NAME)", file);
        var mount = media.Containers.Single().VolumeMounts.Single(m => file.StartsWith(m.MountPath + "/", StringComparison.Ordinal));
        var mapName = media.Volumes.Single(v => v.Name == mount.Name).ConfigMap.Name;
        var map = rendered.All<V1ConfigMap>().Single(m => m.Metadata.Name == mapName);
        Assert.All(map.Data, kv => Assert.True(IPAddress.TryParse(kv.Value, out _), $"{kv.Key}={kv.Value}"));
        // The node name variable is defined before the value that uses it.
        var names = env.Select(e => e.Name).ToList();
        Assert.True(names.IndexOf("NODE_NAME") < names.IndexOf("OpenChat__Media__RtcAdvertisedAddressFile"));
    }

    [Fact]
    public async Task The_coturn_component_shares_the_turn_secret_with_the_gateways_and_relays_only_to_the_nodes()
    {
        using var rendered = await RenderedManifests.RenderAsync("cluster", new OperatorSettings { Components = ["components/coturn"] });
        var gateway = rendered.Get<V1Deployment>("openchat-gateway").Spec.Template.Spec.Containers.Single();
        var secret = gateway.Env.Single(e => e.Name == "OpenChat__Media__TurnSecret").ValueFrom.SecretKeyRef;
        var coturn = rendered.Get<V1Deployment>("openchat-coturn").Spec.Template.Spec.Containers.Single();
        var coturnSecret = coturn.Env.Single(e => e.Name == "TURN_SECRET").ValueFrom.SecretKeyRef;
        Assert.Equal((secret.Name, secret.Key), (coturnSecret.Name, coturnSecret.Key));
        Assert.Contains(rendered.All<V1Secret>(), s => s.Metadata.Name == secret.Name && s.Data.ContainsKey(secret.Key) && s.Data[secret.Key].Length >= 16);
        Assert.Contains("--static-auth-secret=$(TURN_SECRET)", coturn.Args);

        // The URLs the gateways hand out are ones the gateway accepts, and one is TURN over TLS on 443.
        var servers = gateway.EnvFrom.Select(f => f.ConfigMapRef?.Name).OfType<string>()
            .SelectMany(name => rendered.All<V1ConfigMap>().Single(m => m.Metadata.Name == name).Data)
            .Where(kv => kv.Key.StartsWith("OpenChat__Media__TurnServers__", StringComparison.Ordinal)).Select(kv => kv.Value).ToList();
        Assert.All(servers, url => Assert.Null(OpenChat.Gateway.Turn.TurnOptions.CheckUrl(url)));
        Assert.Contains(servers, url => url.StartsWith("turns:", StringComparison.Ordinal) && url.Contains(":443?transport=tcp", StringComparison.Ordinal));
        var service = rendered.Get<V1Service>("openchat-coturn");
        var tls = service.Spec.Ports.Single(p => p.Port == 443);
        Assert.Equal("TCP", tls.Protocol);
        Assert.Equal(5349, coturn.Ports.Single(p => p.Name == tls.TargetPort.Value).ContainerPort);

        // Not an open relay: every peer refused but the allowed ranges, UDP relay only, no CLI.
        var config = rendered.All<V1ConfigMap>().Single(m => m.Metadata.Name.StartsWith("openchat-coturn", StringComparison.Ordinal)).Data["turnserver.conf"]
            .Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0 && !l.StartsWith('#')).ToList();
        Assert.Contains("use-auth-secret", config);
        Assert.Contains("denied-peer-ip=0.0.0.0-255.255.255.255", config);
        Assert.Contains("denied-peer-ip=::-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", config);
        Assert.Contains(config, l => l.StartsWith("allowed-peer-ip=", StringComparison.Ordinal));
        Assert.DoesNotContain(config, l => l.StartsWith("static-auth-secret", StringComparison.Ordinal));
        Assert.All(new[] { "no-tcp-relay", "no-multicast-peers", "no-cli" }, o => Assert.Contains(o, config));
    }

    [Fact]
    public async Task The_Dockerfile_builds_the_image_the_manifests_run()
    {
        var dockerfile = File.ReadAllLines(Path.Combine(RepoPaths.Root, "deploy", "Dockerfile"));
        var final = dockerfile.SkipWhile(l => !l.StartsWith("FROM mcr.microsoft.com/dotnet/aspnet:", StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(final);
        Assert.Contains("USER app", final);
        Assert.Contains(final, l => l.StartsWith("ENTRYPOINT [\"dotnet\", \"OpenChat.Server.dll\"]", StringComparison.Ordinal));
        Assert.True(File.Exists(Path.Combine(Path.GetDirectoryName(RepoPaths.ServerDll)!, "OpenChat.Server.dll")));
        var exposed = final.Single(l => l.StartsWith("EXPOSE ", StringComparison.Ordinal))["EXPOSE ".Length..].Split(' ');
        foreach (var copy in dockerfile.Where(l => l.StartsWith("COPY ", StringComparison.Ordinal) && !l.Contains("--from=", StringComparison.Ordinal)))
            foreach (var source in copy.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1..^1])
                Assert.True(File.Exists(Path.Combine(RepoPaths.Root, source)) || Directory.Exists(Path.Combine(RepoPaths.Root, source)), $"COPY {source}");
        foreach (var overlay in Overlays)
        {
            using var rendered = await RenderedManifests.RenderAsync(overlay);
            foreach (var (_, name, template) in rendered.PodTemplates())
                foreach (var c in template.Spec.Containers.Where(c => c.Image == rendered.ImageReference))
                {
                    // The image's app user (the .NET images' APP_UID) owns nothing but its volumes.
                    Assert.Equal(1654, template.Spec.SecurityContext.RunAsUser);
                    Assert.Null(c.Command);
                    Assert.All(c.Ports, p => Assert.Contains(p.Protocol == "UDP" ? $"{p.ContainerPort}/udp" : $"{p.ContainerPort}", exposed));
                }
            Assert.Contains(rendered.PodTemplates(), t => t.Template.Spec.Containers.Any(c => c.Image == rendered.ImageReference));
        }
    }

    [Fact]
    public async Task Prometheus_on_Kubernetes_finds_every_OpenChat_pod_by_what_the_manifests_give_them()
    {
        var config = File.ReadAllText(Path.Combine(RepoPaths.Root, "deploy", "prometheus", "prometheus-kubernetes.yml"));
        Assert.Contains("names: [openchat]", config);
        Assert.Contains("regex: management", config);
        Assert.Contains("__meta_kubernetes_pod_annotation_prometheus_io_scrape", config);
        foreach (var overlay in Overlays)
        {
            using var rendered = await RenderedManifests.RenderAsync(overlay);
            foreach (var (_, name, template) in rendered.PodTemplates().Where(t => t.Template.Spec.Containers.Any(c => c.Image == rendered.ImageReference)))
            {
                Assert.Contains(template.Spec.Containers.Single().Ports, p => p.Name == "management");
                var component = template.Metadata.Labels["app.kubernetes.io/component"];
                Assert.Matches("^(server|gateway|channels|media)$", component);
                Assert.Contains(component, config);
            }
        }
    }

    private static T? Find<T>(RenderedManifests rendered, string name) where T : k8s.IKubernetesObject<V1ObjectMeta> =>
        rendered.All<T>().SingleOrDefault(o => o.Metadata.Name == name);

    private static bool Selects(IDictionary<string, string>? selector, IDictionary<string, string>? labels) =>
        selector is { Count: > 0 } && labels is not null && selector.All(kv => labels.TryGetValue(kv.Key, out var v) && v == kv.Value);

    /// <summary>A setting's literal value in a container: its env, else the ConfigMaps it takes all of.</summary>
    private static string? Value(RenderedManifests rendered, V1Container c, string name) =>
        c.Env?.FirstOrDefault(e => e.Name == name)?.Value
        ?? (c.EnvFrom ?? []).Select(f => f.ConfigMapRef is { } r ? (rendered.All<V1ConfigMap>().Single(m => m.Metadata.Name == r.Name).Data.TryGetValue(name, out var v) ? v : null) : null)
            .FirstOrDefault(v => v is not null);
}

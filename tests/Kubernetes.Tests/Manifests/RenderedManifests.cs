using System.Diagnostics;
using k8s;
using k8s.Models;
using OpenChat.TestSupport;

namespace OpenChat.Kubernetes.Tests.Manifests;

/// <summary>What an operator sets before applying an overlay: the values of its params.env and the image's name.</summary>
public sealed record OperatorSettings
{
    public string Domain { get; init; } = "chat.test.example";
    public string TlsIssuer { get; init; } = "letsencrypt";
    public string? NodeCidr { get; init; }
    public string Image { get; init; } = "registry.test.example/openchat";
    public string ImageTag { get; init; } = "1.0.0";
    /// <summary>Components to enable in the overlay (paths relative to deploy/kubernetes).</summary>
    public IReadOnlyList<string> Components { get; init; } = [];
}

/// <summary>
/// An overlay of deploy/kubernetes rendered as an operator would: a copy of the folder, params.env and the image set,
/// the secrets made by make-secrets.sh (with the server's own cluster-cert command), then <c>kubectl kustomize</c>;
/// every object is loaded into the Kubernetes API models strictly (a field the API does not have fails).
/// </summary>
public sealed class RenderedManifests : IDisposable
{
    public string Overlay { get; }
    public string Yaml { get; }
    public IReadOnlyList<IKubernetesObject<V1ObjectMeta>> Objects { get; }
    public OperatorSettings Settings { get; }
    /// <summary>The copy of deploy/kubernetes the overlay was rendered from (with its secrets).</summary>
    public string Directory { get; }

    private RenderedManifests(string overlay, string directory, string yaml, OperatorSettings settings)
    {
        Overlay = overlay;
        Directory = directory;
        Yaml = yaml;
        Settings = settings;
        Objects = Load(yaml);
    }

    public static string Source => Path.Combine(RepoPaths.Root, "deploy", "kubernetes");

    /// <summary>Renders <c>overlays/{overlay}</c>; <paramref name="edit"/> may change the copied files before rendering.</summary>
    public static async Task<RenderedManifests> RenderAsync(string overlay, OperatorSettings? settings = null, Action<string>? edit = null)
    {
        settings ??= new OperatorSettings();
        var directory = System.IO.Directory.CreateTempSubdirectory("openchat-k8s-").FullName;
        try
        {
            CopyTree(Source, directory);
            var overlayDir = Path.Combine(directory, "overlays", overlay);
            SetParams(Path.Combine(overlayDir, "params.env"), settings);
            var kustomization = Path.Combine(overlayDir, "kustomization.yaml");
            var text = File.ReadAllText(kustomization)
                .Replace("newName: ghcr.io/openchat/openchat", "newName: " + settings.Image)
                .Replace("newTag: latest", "newTag: " + settings.ImageTag);
            if (settings.Components.Count > 0)
                text += "components:\n" + string.Concat(settings.Components.Select(c => $"  - ../../{c}\n"));
            File.WriteAllText(kustomization, text);
            var single = overlay == "single-node" ? "--single-node " : "";
            await RunAsync("bash", $"{Path.Combine(directory, "make-secrets.sh")} {single}{Path.Combine(overlayDir, "secrets")}",
                new Dictionary<string, string> { ["OPENCHAT_SERVER_DLL"] = RepoPaths.ServerDll });
            edit?.Invoke(directory);
            var yaml = await RunAsync("kubectl", $"kustomize {overlayDir}");
            return new RenderedManifests(overlay, directory, yaml, settings);
        }
        catch
        {
            System.IO.Directory.Delete(directory, recursive: true);
            throw;
        }
    }

    /// <summary>Loads multi-document YAML into the API models, refusing unknown fields and wrong types.</summary>
    public static IReadOnlyList<IKubernetesObject<V1ObjectMeta>> Load(string yaml) =>
        KubernetesYaml.LoadAllFromString(yaml, typeMap: null, strict: true)
            .Select(o => o as IKubernetesObject<V1ObjectMeta> ?? throw new InvalidDataException($"Not a Kubernetes object: {o?.GetType().Name}"))
            .ToList();

    public IEnumerable<T> All<T>() where T : IKubernetesObject<V1ObjectMeta> => Objects.OfType<T>();

    public T Get<T>(string name) where T : IKubernetesObject<V1ObjectMeta> =>
        All<T>().SingleOrDefault(o => o.Metadata.Name == name)
        ?? throw new KeyNotFoundException($"No {typeof(T).Name} named {name} in the rendered {Overlay} overlay.");

    /// <summary>A generated ConfigMap or Secret by the name it was given before kustomize appended its content hash.</summary>
    public T Generated<T>(string name) where T : IKubernetesObject<V1ObjectMeta> =>
        All<T>().SingleOrDefault(o => o.Metadata.Name == name || (o.Metadata.Name.StartsWith(name + "-", StringComparison.Ordinal)
            && o.Metadata.Name.Length == name.Length + 11))
        ?? throw new KeyNotFoundException($"No generated {typeof(T).Name} {name} in the rendered {Overlay} overlay.");

    /// <summary>The pod templates of every workload, by workload name.</summary>
    public IEnumerable<(string Kind, string Name, V1PodTemplateSpec Template)> PodTemplates() =>
        All<V1Deployment>().Select(d => ("Deployment", d.Metadata.Name, d.Spec.Template))
            .Concat(All<V1StatefulSet>().Select(s => ("StatefulSet", s.Metadata.Name, s.Spec.Template)))
            .Concat(All<V1DaemonSet>().Select(d => ("DaemonSet", d.Metadata.Name, d.Spec.Template)));

    public string ImageReference => $"{Settings.Image}:{Settings.ImageTag}";

    public void Dispose()
    {
        try { System.IO.Directory.Delete(Directory, recursive: true); } catch (IOException) { }
    }

    private static void SetParams(string path, OperatorSettings settings)
    {
        if (!File.Exists(path)) return;
        var lines = File.ReadAllLines(path).Select(line =>
        {
            var key = line.Split('=', 2)[0];
            return key switch
            {
                "DOMAIN" => "DOMAIN=" + settings.Domain,
                "TLS_ISSUER" => "TLS_ISSUER=" + settings.TlsIssuer,
                "NODE_CIDR" when settings.NodeCidr is not null => "NODE_CIDR=" + settings.NodeCidr,
                _ => line,
            };
        });
        File.WriteAllLines(path, lines);
    }

    private static void CopyTree(string from, string to)
    {
        foreach (var dir in System.IO.Directory.GetDirectories(from, "*", SearchOption.AllDirectories))
        {
            if (Path.GetFileName(dir) == "secrets") continue;
            System.IO.Directory.CreateDirectory(Path.Combine(to, Path.GetRelativePath(from, dir)));
        }
        foreach (var file in System.IO.Directory.GetFiles(from, "*", SearchOption.AllDirectories))
        {
            var relative = Path.GetRelativePath(from, file);
            if (relative.Split(Path.DirectorySeparatorChar).Contains("secrets")) continue;
            File.Copy(file, Path.Combine(to, relative));
        }
    }

    internal static async Task<string> RunAsync(string file, string arguments, IDictionary<string, string>? environment = null)
    {
        var start = new ProcessStartInfo(file, arguments) { RedirectStandardOutput = true, RedirectStandardError = true };
        if (environment is not null) foreach (var (k, v) in environment) start.Environment[k] = v;
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(2));
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"{file} {arguments} exited with {process.ExitCode}: {await error}");
        return await output;
    }
}

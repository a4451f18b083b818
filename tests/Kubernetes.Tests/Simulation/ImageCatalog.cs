using OpenChat.TestSupport;

namespace OpenChat.Kubernetes.Tests.Simulation;

/// <summary>
/// What stands in for each image a manifest names. OpenChat's image is what deploy/Dockerfile builds: the server's
/// build output (copied once into a folder every pod can read, as an image layer), run as its ENTRYPOINT from its
/// WORKDIR with its ENV and the base image's. Images the project does not build (PostgreSQL) are stood in for by
/// Debian's packages (see <see cref="PostgresImage"/>).
/// </summary>
internal sealed class ImageCatalog
{
    public const string BaseImageUser = "1654"; // the .NET images' app user (APP_UID)

    public string OpenChatImage { get; }
    public string AppDirectory { get; }
    public IReadOnlyDictionary<string, string> Environment { get; }
    public IReadOnlyList<string> Entrypoint { get; }

    public ImageCatalog(string openChatImage, string root)
    {
        OpenChatImage = openChatImage;
        AppDirectory = Path.Combine(root, "image", "app");
        CopyTree(Path.GetDirectoryName(RepoPaths.ServerDll)!, AppDirectory);
        // Readable and executable by every user, as files in an image are.
        Run("chmod", "-R", "a+rX", Path.Combine(root, "image"));
        Run("chmod", "a+rx", root);
        var dockerfile = File.ReadAllLines(Path.Combine(RepoPaths.Root, "deploy", "Dockerfile"));
        (Environment, Entrypoint) = ParseFinalStage(dockerfile);
    }

    public bool IsOpenChat(string image) => image == OpenChatImage;

    public static bool IsPostgres(string image) => image.StartsWith("postgres:", StringComparison.Ordinal);

    /// <summary>The final stage's ENV (after the base image's own) and ENTRYPOINT.</summary>
    internal static (Dictionary<string, string> Env, List<string> Entrypoint) ParseFinalStage(string[] dockerfile)
    {
        var env = new Dictionary<string, string>
        {
            // Set by mcr.microsoft.com/dotnet/aspnet and its runtime-deps base.
            ["PATH"] = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
            ["APP_UID"] = BaseImageUser,
            ["ASPNETCORE_HTTP_PORTS"] = "8080",
            ["DOTNET_RUNNING_IN_CONTAINER"] = "true",
            ["HOME"] = "/home/app",
        };
        var lines = new List<string>();
        var current = "";
        foreach (var raw in dockerfile.SkipWhile(l => !l.StartsWith("FROM mcr.microsoft.com/dotnet/aspnet:", StringComparison.Ordinal)))
        {
            var line = raw.TrimEnd();
            if (line.TrimStart().StartsWith('#')) continue;
            if (line.EndsWith('\\')) { current += line[..^1] + " "; continue; }
            lines.Add(current + line);
            current = "";
        }
        List<string>? entrypoint = null;
        foreach (var line in lines)
        {
            if (line.StartsWith("ENV ", StringComparison.Ordinal))
                foreach (var pair in line[4..].Split(' ', StringSplitOptions.RemoveEmptyEntries))
                {
                    var parts = pair.Split('=', 2);
                    env[parts[0]] = parts[1];
                }
            if (line.StartsWith("ENTRYPOINT ", StringComparison.Ordinal))
                entrypoint = System.Text.Json.JsonSerializer.Deserialize<List<string>>(line["ENTRYPOINT ".Length..]);
        }
        return (env, entrypoint ?? throw new InvalidDataException("The Dockerfile's final stage has no ENTRYPOINT."));
    }

    private static void CopyTree(string from, string to)
    {
        foreach (var dir in Directory.GetDirectories(from, "*", SearchOption.AllDirectories))
            Directory.CreateDirectory(Path.Combine(to, Path.GetRelativePath(from, dir)));
        Directory.CreateDirectory(to);
        foreach (var file in Directory.GetFiles(from, "*", SearchOption.AllDirectories))
            File.Copy(file, Path.Combine(to, Path.GetRelativePath(from, file)), overwrite: true);
    }

    internal static void Run(string file, params string[] args)
    {
        var info = new System.Diagnostics.ProcessStartInfo(file) { RedirectStandardError = true };
        foreach (var a in args) info.ArgumentList.Add(a);
        using var p = System.Diagnostics.Process.Start(info)!;
        var error = p.StandardError.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0) throw new InvalidOperationException($"{file} {string.Join(' ', args)}: {error}");
    }
}

using System.Reflection;
using System.Security.Cryptography;
using Microsoft.Extensions.FileProviders;
using Microsoft.Extensions.Primitives;

namespace OpenChat.Gateway.WebClient;

/// <summary>
/// The browser client (src/Web), built by this project's build and embedded in the assembly under
/// <see cref="ResourcePrefix"/>; served as static files, with <c>index.html</c> for every page address.
/// </summary>
public sealed class EmbeddedWebClient : IFileProvider
{
    public const string ResourcePrefix = "OpenChat.Gateway.WebClient/";
    private const string IndexPath = "/index.html";

    private readonly Assembly _assembly;
    /// <summary>Resource name and length by request path; the length is read once, not on every request.</summary>
    private readonly Dictionary<string, (string Name, long Length)> _resources = new(StringComparer.Ordinal);
    private readonly DateTimeOffset _lastModified;

    public static EmbeddedWebClient Instance { get; } = new(typeof(EmbeddedWebClient).Assembly);

    private EmbeddedWebClient(Assembly assembly)
    {
        _assembly = assembly;
        foreach (var name in assembly.GetManifestResourceNames())
        {
            if (!name.StartsWith(ResourcePrefix, StringComparison.Ordinal)) continue;
            using var stream = assembly.GetManifestResourceStream(name);
            _resources["/" + name[ResourcePrefix.Length..].Replace('\\', '/')] = (name, stream?.Length ?? -1);
        }
        _lastModified = BuildTime(assembly);
        Index = LoadIndex();
    }

    /// <summary>The start page with its entity tag, or a placeholder when the client was not built into this assembly.</summary>
    public IndexPage Index { get; }

    /// <summary>Whether the built client is present (a build with <c>-p:WebClientSkipBuild=true</c> and nothing prebuilt has none).</summary>
    public bool IsBuilt => _resources.ContainsKey(IndexPath);

    public IFileInfo GetFileInfo(string subpath)
    {
        var path = subpath.StartsWith('/') ? subpath : "/" + subpath;
        return _resources.TryGetValue(path, out var resource)
            ? new ResourceFile(_assembly, resource.Name, resource.Length, Path.GetFileName(path), _lastModified)
            : new NotFoundFileInfo(subpath);
    }

    public IDirectoryContents GetDirectoryContents(string subpath) => NotFoundDirectoryContents.Singleton;

    public IChangeToken Watch(string filter) => NullChangeToken.Singleton;

    private IndexPage LoadIndex()
    {
        byte[] content;
        if (_resources.TryGetValue(IndexPath, out var resource))
        {
            using var stream = _assembly.GetManifestResourceStream(resource.Name)!;
            using var buffer = new MemoryStream();
            stream.CopyTo(buffer);
            content = buffer.ToArray();
        }
        else
        {
            content = """
                <!doctype html><html lang="en"><head><meta charset="utf-8"><title>OpenChat</title></head>
                <body><h1>OpenChat</h1><p>This server was built without its web client. Clients connect to the
                SignalR hub at <code>/hub</code> with a token from <code>POST /api/session</code>.</p></body></html>
                """u8.ToArray();
        }
        var tag = "\"" + Convert.ToHexString(SHA256.HashData(content), 0, 12).ToLowerInvariant() + "\"";
        return new IndexPage(content, tag);
    }

    private static DateTimeOffset BuildTime(Assembly assembly)
    {
        // Asset names carry a content hash; the time only feeds the static file handler's validators.
        try
        {
            if (!string.IsNullOrEmpty(assembly.Location)) return File.GetLastWriteTimeUtc(assembly.Location);
        }
        catch (IOException)
        {
        }
        return DateTimeOffset.UtcNow;
    }

    private sealed class ResourceFile(Assembly assembly, string resource, long length, string name, DateTimeOffset lastModified) : IFileInfo
    {
        public bool Exists => true;
        public long Length => length;
        public string? PhysicalPath => null;
        public string Name => name;
        public DateTimeOffset LastModified => lastModified;
        public bool IsDirectory => false;
        public Stream CreateReadStream() => assembly.GetManifestResourceStream(resource)!;
    }
}

/// <summary>The client's <c>index.html</c> and a strong entity tag of its content.</summary>
public sealed record IndexPage(byte[] Content, string ETag);

using System.Xml.Linq;

namespace OpenChat.Architecture.Tests;

/// <summary>The solution's projects as their project files declare them: project and package references, read from the XML.</summary>
public sealed class ProjectGraph
{
    public string Root { get; }

    private readonly Dictionary<string, XDocument> _documents = new(StringComparer.Ordinal);

    private ProjectGraph(string root) => Root = root;

    /// <summary>The repository this test runs from: the first folder above the test's output that holds OpenChat.sln.</summary>
    public static ProjectGraph Load()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "OpenChat.sln"))) dir = dir.Parent;
        return new ProjectGraph(dir?.FullName ?? throw new InvalidOperationException("OpenChat.sln not found above " + AppContext.BaseDirectory));
    }

    /// <summary>Every project file in the repository, relative to its root with forward slashes (<c>src/Gateway/OpenChat.Gateway.csproj</c>).</summary>
    public IEnumerable<string> AllProjects() =>
        Directory.EnumerateFiles(Root, "*.csproj", SearchOption.AllDirectories)
            .Select(Relative)
            .Where(p => !p.Split('/').Any(part => part is "bin" or "obj" or "node_modules"))
            .Order(StringComparer.Ordinal);

    /// <summary>The projects a project references directly.</summary>
    public IReadOnlyList<string> ProjectReferences(string project)
    {
        var folder = Path.GetDirectoryName(Path.Combine(Root, project))!;
        return Items(project, "ProjectReference")
            .Select(include => Relative(Path.GetFullPath(Path.Combine(folder, include.Replace('\\', '/')))))
            .ToList();
    }

    /// <summary>The packages a project references directly.</summary>
    public IReadOnlyList<string> PackageReferences(string project) => Items(project, "PackageReference").ToList();

    /// <summary>The project and everything it references, directly or through other projects.</summary>
    public IReadOnlyCollection<string> Closure(string project)
    {
        var seen = new SortedSet<string>(StringComparer.Ordinal);
        var stack = new Stack<string>([project]);
        while (stack.Count > 0)
        {
            var next = stack.Pop();
            if (!seen.Add(next)) continue;
            foreach (var reference in ProjectReferences(next)) stack.Push(reference);
        }
        return seen;
    }

    private IEnumerable<string> Items(string project, string kind) =>
        Document(project).Descendants(kind)
            .Select(e => (string?)e.Attribute("Include"))
            .Where(include => !string.IsNullOrWhiteSpace(include))
            .Select(include => include!);

    private XDocument Document(string project)
    {
        if (!_documents.TryGetValue(project, out var doc))
        {
            var path = Path.Combine(Root, project);
            if (!File.Exists(path)) throw new FileNotFoundException($"Referenced project {project} does not exist.", path);
            doc = XDocument.Load(path);
            _documents[project] = doc;
        }
        return doc;
    }

    private string Relative(string path) => Path.GetRelativePath(Root, path).Replace('\\', '/');
}

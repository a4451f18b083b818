using Xunit;

namespace OpenChat.Architecture.Tests;

/// <summary>
/// The dependency rules of docs/architecture.md, read from the project files: a role never references another role's
/// project, the protocol references none of ours, only the server executable composes the roles, and tests and tools
/// share code only through support/.
/// </summary>
public sealed class DependencyRuleTests
{
    private const string Protocol = "src/Protocol/OpenChat.Protocol.csproj";
    private const string Hosting = "src/Hosting/OpenChat.Hosting.csproj";
    private const string Channels = "src/Actors/OpenChat.Channels.csproj";
    private const string Gateway = "src/Gateway/OpenChat.Gateway.csproj";
    private const string Media = "src/MediaNode/OpenChat.MediaNode.csproj";
    private const string Rtc = "src/Rtc/OpenChat.Rtc.csproj";
    private const string Server = "src/Server/OpenChat.Server.csproj";

    private readonly ProjectGraph _graph = ProjectGraph.Load();

    [Fact]
    public void The_projects_the_rules_name_exist()
    {
        var all = _graph.AllProjects().ToHashSet();
        foreach (var project in new[] { Protocol, Hosting, Channels, Gateway, Media, Rtc, Server })
            Assert.Contains(project, all);
    }

    [Theory]
    [InlineData(Protocol)]
    [InlineData(Rtc)]
    public void A_leaf_references_no_project_of_ours(string project)
    {
        Assert.Empty(_graph.ProjectReferences(project));
    }

    [Theory]
    [InlineData(Gateway)]
    [InlineData(Media)]
    [InlineData(Hosting)]
    public void Gateway_and_media_nodes_reach_neither_the_channels_role_nor_the_journal(string project)
    {
        var closure = _graph.Closure(project);
        Assert.DoesNotContain(Channels, closure);
        var persistence = closure
            .SelectMany(p => _graph.PackageReferences(p).Select(package => $"{p}: {package}"))
            .Where(entry => entry.Split(": ")[1].StartsWith("Akka.Persistence", StringComparison.OrdinalIgnoreCase))
            .ToList();
        Assert.True(persistence.Count == 0, "Persistence packages referenced: " + string.Join(", ", persistence));
    }

    [Theory]
    [InlineData(Channels, Gateway)]
    [InlineData(Channels, Media)]
    [InlineData(Gateway, Media)]
    [InlineData(Gateway, Channels)]
    [InlineData(Media, Gateway)]
    [InlineData(Media, Channels)]
    public void A_role_never_references_another_role(string role, string other)
    {
        Assert.DoesNotContain(other, _graph.Closure(role));
    }

    [Fact]
    public void Only_the_server_composes_every_role()
    {
        var composers = _graph.AllProjects()
            .Where(p => p.StartsWith("src/", StringComparison.Ordinal))
            .Where(p => new[] { Channels, Gateway, Media }.All(_graph.Closure(p).Contains))
            .ToList();
        Assert.Equal([Server], composers);
    }

    [Theory]
    [InlineData("tests/", "tools/")]
    [InlineData("tools/", "tests/")]
    public void Tests_and_tools_never_reference_each_other(string folder, string other)
    {
        var projects = _graph.AllProjects().Where(p => p.StartsWith(folder, StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(projects);
        var references = projects
            .SelectMany(p => _graph.Closure(p).Where(r => r.StartsWith(other, StringComparison.Ordinal)).Select(r => $"{p} -> {r}"))
            .ToList();
        Assert.True(references.Count == 0, $"Projects under {folder} reference projects under {other} (shared code belongs in support/): " +
                                           string.Join(", ", references));
    }
}

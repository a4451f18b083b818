namespace OpenChat.TestSupport;

/// <summary>Locations in the repository, found from the test assembly's own folder.</summary>
public static class RepoPaths
{
    public static string Root { get; } = FindRoot();

    /// <summary>The configuration (Debug or Release) the tests were built in; the server is built alongside.</summary>
    public static string Configuration { get; } =
        AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}") ? "Release" : "Debug";

    public static string ServerDll => Path.Combine(Root, "src", "Server", "bin", Configuration, "net10.0", "OpenChat.Server.dll");

    private static string FindRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "OpenChat.sln"))) dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("OpenChat.sln not found above " + AppContext.BaseDirectory);
    }
}

using OpenChat.TestSupport;
using Xunit;

namespace OpenChat.LoadGen.Tests.Members;

/// <summary>One all-in-one server process (Release build of src/Server) shared by a test class.</summary>
public sealed class ServerFixture : IAsyncLifetime
{
    public ServerProcess Server { get; private set; } = null!;

    public string BaseUrl => Server.BaseUrl;

    public int Port => new Uri(Server.BaseUrl).Port;

    public async Task InitializeAsync()
    {
        Server = ServerProcess.Start("all-in-one", new Dictionary<string, string>
        {
            ["OpenChat__DataDirectory"] = Probe.NewTempDirectory("loadgen"),
            ["OpenChat__Auth__SessionsPerMinute"] = "1000",
            ["Logging__LogLevel__Default"] = "Warning",
        });
        await Server.WaitReadyAsync();
    }

    public async Task DisposeAsync() => await Server.DisposeAsync();
}

using OpenChat.TestSupport;
using Xunit;

namespace OpenChat.LoadGen.Tests.Members;

/// <summary>One all-in-one server process (Release build of src/Server) shared by a test class.</summary>
public sealed class ServerFixture : IAsyncLifetime
{
    public ServerProcess Server { get; private set; } = null!;

    public string BaseUrl => Server.BaseUrl;

    public int Port => new Uri(Server.BaseUrl).Port;

    /// <summary>The bearer key of the server's admin API.</summary>
    public string AdminKey { get; } = Convert.ToHexString(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16));

    public async Task InitializeAsync()
    {
        Server = ServerProcess.Start("all-in-one", new Dictionary<string, string>
        {
            ["OpenChat__DataDirectory"] = Probe.NewTempDirectory("loadgen"),
            ["OpenChat__Auth__SessionsPerMinute"] = "1000",
            ["OpenChat__Auth__AdminKey"] = AdminKey,
            ["Logging__LogLevel__Default"] = "Warning",
        });
        await Server.WaitReadyAsync();
    }

    public async Task DisposeAsync() => await Server.DisposeAsync();
}

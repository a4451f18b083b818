using OpenChat.SimulatedClients.Network;
using OpenChat.TestSupport;
using Xunit;

namespace OpenChat.SimulatedClients.Tests.Members;

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
            ["OpenChat__Auth__AdminKey"] = AdminKey,
            ["Logging__LogLevel__Default"] = "Warning",
        });
        await Server.WaitReadyAsync();
    }

    public async Task DisposeAsync() => await Server.DisposeAsync();

    /// <summary>
    /// A simulated member of the "lounge" voice channel on this server (or on <paramref name="gateways"/>), listening
    /// for 1,000 and 1,500 Hz.
    /// </summary>
    public SimulatedMember Member(string name, VoiceSignal signal, double uplinkLoss = 0, params string[] gateways) =>
        Member(name, signal, ListenerAnalysis.Full, uplinkLoss, gateways);

    /// <summary>As <see cref="Member(string, VoiceSignal, double, string[])"/>, examining what it receives as <paramref name="analysis"/> says.</summary>
    public SimulatedMember Member(string name, VoiceSignal signal, ListenerAnalysis analysis, double uplinkLoss = 0, params string[] gateways) => new(new SimulatedMemberOptions
    {
        Gateways = gateways.Length > 0 ? gateways : [BaseUrl],
        DisplayName = name,
        ChannelId = "lounge",
        Signal = signal,
        CandidateFrequencies = [1000, 1500],
        UplinkLoss = uplinkLoss,
        Analysis = analysis,
        // Each member is a client of its own address, so the server's per-address limits stay at their defaults.
        SourceAddress = SourceAddress.Next(),
    });
}

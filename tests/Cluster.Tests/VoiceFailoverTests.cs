using System.Security.Cryptography;
using OpenChat.LoadGen;
using OpenChat.TestSupport;
using Xunit;
using Xunit.Abstractions;

namespace OpenChat.Cluster.Tests;

/// <summary>
/// Voice across processes with simulated members (tools/LoadGen): a media node that shuts down hands its room to
/// another, and a gateway that dies hands its members' signalling to another, while they keep hearing each other.
/// </summary>
public sealed class VoiceFailoverTests(ITestOutputHelper output) : IAsyncLifetime
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);
    private readonly List<ServerProcess> _processes = [];
    private readonly List<SimulatedMember> _members = [];
    private readonly string _seed = $"akka.tcp://openchat@127.0.0.1:{Probe.FreeTcpPort()}";
    private readonly string _signingKey = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));

    private ServerProcess Start(string name, string[] roles, bool seed = false)
    {
        var env = new Dictionary<string, string>
        {
            ["OpenChat__DataDirectory"] = Probe.NewTempDirectory(name),
            ["OpenChat__Cluster__Port"] = seed ? _seed[(_seed.LastIndexOf(':') + 1)..] : "0",
            ["OpenChat__Cluster__SeedNodes__0"] = _seed,
            ["OpenChat__Auth__SigningKey"] = _signingKey,
            ["OpenChat__Auth__SessionsPerMinute"] = "1000",
        };
        for (int i = 0; i < roles.Length; i++) env[$"OpenChat__Roles__{i}"] = roles[i];
        var process = ServerProcess.Start(name, env);
        _processes.Add(process);
        return process;
    }

    private SimulatedMember Member(string name, VoiceSignal signal, params string[] gateways)
    {
        var member = new SimulatedMember(new SimulatedMemberOptions
        {
            Gateways = gateways,
            DisplayName = name,
            ChannelId = "lounge",
            Signal = signal,
            CandidateFrequencies = [1000, 1500],
        });
        _members.Add(member);
        return member;
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var m in _members)
        {
            var s = m.Stats;
            output.WriteLine($"{s.DisplayName}: heard [{string.Join(", ", s.HeardFrequencies.Select(f => $"{f.FrequencyHz:0} Hz"))}], " +
                             $"gaps [{string.Join(", ", s.Gaps.Select(g => $"{g.Duration.TotalMilliseconds:0} ms at {g.Start.TotalSeconds:0.00} s"))}], " +
                             $"media reconnects [{string.Join("; ", s.Reconnects)}], signalling reconnects [{string.Join("; ", s.SignallingReconnects)}]");
            await m.DisposeAsync();
        }
        foreach (var p in _processes)
        {
            output.WriteLine($"--- {p.Name} ---\n{p.Output}");
            await p.DisposeAsync();
        }
    }

    [Fact]
    public async Task When_a_media_node_shuts_down_its_room_moves_and_members_renegotiate_without_a_long_gap()
    {
        var core = Start("gateway-channels", ["gateway", "channels"], seed: true);
        var first = Start("media-1", ["media"]);
        await Task.WhenAll(core.WaitReadyAsync(), first.WaitReadyAsync());

        var alice = Member("Alice", VoiceSignal.Tone(1000), core.BaseUrl);
        var bob = Member("Bob", VoiceSignal.Tone(1500), core.BaseUrl);
        var carol = Member("Carol", VoiceSignal.Silence, core.BaseUrl);
        await Task.WhenAll(_members.Select(m => m.StartAsync()));
        await Task.WhenAll(alice.WaitUntilHearingAsync([1500], Patience), bob.WaitUntilHearingAsync([1000], Patience),
            carol.WaitUntilHearingAsync([1000, 1500], Patience));

        // The only media node hosts the room; a second one joins, then the first shuts down and drains to it.
        var second = Start("media-2", ["media"]);
        await second.WaitReadyAsync();
        foreach (var m in _members) m.ResetWindow();
        Assert.Equal(0, await first.StopAsync());

        await Task.WhenAll(_members.Select(m => m.WaitUntilAsync(s => s.Reconnects.Count > 0, Patience)));
        foreach (var m in _members) m.ResetWindow();
        await Task.WhenAll(alice.WaitUntilHearingAsync([1500], Patience), bob.WaitUntilHearingAsync([1000], Patience),
            carol.WaitUntilHearingAsync([1000, 1500], Patience));

        foreach (var m in _members)
        {
            var s = m.Stats;
            var reconnect = Assert.Single(s.Reconnects);
            Assert.Contains("VoiceReconnect", reconnect.Reason);
            Assert.NotNull(reconnect.Connected);
            Assert.True(s.InVoice);
            Assert.Null(s.Ended);
            Assert.False(s.HeardOwnTone, $"{s.DisplayName} heard itself after the move");
        }
        // Make-before-break: the listeners' longest silence around the move (the talkers' audio had to move as well).
        foreach (var m in new[] { alice, bob, carol })
        {
            var gap = m.Stats.Reconnects[0].AudioGap;
            output.WriteLine($"{m.DisplayName}: audio gap across the move {gap?.TotalMilliseconds:0} ms");
            Assert.NotNull(gap);
            Assert.True(gap < TimeSpan.FromSeconds(5), $"{m.DisplayName} was without audio for {gap}");
        }
    }

    [Fact]
    public async Task When_a_media_node_dies_its_room_is_placed_again_and_members_renegotiate()
    {
        var core = Start("gateway-channels", ["gateway", "channels"], seed: true);
        var first = Start("media-1", ["media"]);
        await Task.WhenAll(core.WaitReadyAsync(), first.WaitReadyAsync());

        var alice = Member("Alice", VoiceSignal.Tone(1000), core.BaseUrl);
        var bob = Member("Bob", VoiceSignal.Tone(1500), core.BaseUrl);
        await Task.WhenAll(_members.Select(m => m.StartAsync()));
        await Task.WhenAll(alice.WaitUntilHearingAsync([1500], Patience), bob.WaitUntilHearingAsync([1000], Patience));

        var second = Start("media-2", ["media"]);
        await second.WaitReadyAsync();
        foreach (var m in _members) m.ResetWindow();
        await first.KillAsync();

        await Task.WhenAll(_members.Select(m => m.WaitUntilAsync(s => s.Reconnects.Count > 0, TimeSpan.FromSeconds(90))));
        await Task.WhenAll(alice.WaitUntilHearingAsync([1500], Patience), bob.WaitUntilHearingAsync([1000], Patience));
        foreach (var m in _members)
        {
            var s = m.Stats;
            output.WriteLine($"{s.DisplayName}: longest gap {s.LongestGap.TotalSeconds:0.0} s; {string.Join("; ", s.Reconnects)}");
            Assert.True(s.InVoice);
            Assert.Contains(s.Reconnects, r => r.Error is null && r.FirstAudio is not null);
            // The outage shows as a gap: the node was gone before anyone said so.
            Assert.True(s.LongestGap > TimeSpan.Zero);
            Assert.False(s.HeardOwnTone);
        }
    }

    [Fact]
    public async Task When_a_gateway_process_dies_members_resume_on_another_gateway_and_their_audio_carries_on()
    {
        var channels = Start("channels", ["channels"], seed: true);
        var media = Start("media", ["media"]);
        var gateway1 = Start("gateway-1", ["gateway"]);
        var gateway2 = Start("gateway-2", ["gateway"]);
        await Task.WhenAll(channels.WaitReadyAsync(), media.WaitReadyAsync(), gateway1.WaitReadyAsync(), gateway2.WaitReadyAsync());

        var alice = Member("Alice", VoiceSignal.Tone(1000), gateway1.BaseUrl, gateway2.BaseUrl);
        var bob = Member("Bob", VoiceSignal.Tone(1500), gateway2.BaseUrl, gateway1.BaseUrl);
        await Task.WhenAll(alice.StartAsync(), bob.StartAsync());
        await Task.WhenAll(alice.WaitUntilHearingAsync([1500], Patience), bob.WaitUntilHearingAsync([1000], Patience));
        var aliceId = alice.UserId;

        alice.ResetWindow();
        bob.ResetWindow();
        await gateway1.KillAsync();
        await alice.WaitUntilAsync(s => s.SignallingReconnects.Count > 0, Patience);

        var moved = Assert.Single(alice.Stats.SignallingReconnects);
        Assert.Equal(gateway2.BaseUrl, moved.ToGateway);
        Assert.True(moved.SameUser);
        Assert.True(moved.VoiceStateIntact, moved.Error);
        Assert.Equal(aliceId, alice.UserId);

        // The media path never went through the gateway: no renegotiation, and both keep hearing each other.
        await Task.WhenAll(alice.WaitUntilHearingAsync([1500], Patience), bob.WaitUntilHearingAsync([1000], Patience));
        Assert.Empty(alice.Stats.Reconnects);
        Assert.Empty(bob.Stats.SignallingReconnects);
        Assert.True(alice.Stats.LongestGap < TimeSpan.FromSeconds(1), $"Alice's longest gap {alice.Stats.LongestGap}");
        // Bob, on the surviving gateway, sees Alice's state changes made through her new gateway.
        await alice.SetVoiceStateAsync(muted: true, deafened: false);
        await Probe.UntilAsync(() => Task.FromResult(bob.Roster.Any(r => r.UserId == aliceId && r.Muted)), Patience, "Bob to see Alice muted");
    }
}

using OpenChat.LoadGen;
using OpenChat.TestSupport;
using Xunit;
using Xunit.Abstractions;

namespace OpenChat.Cluster.Tests;

/// <summary>
/// Voice across server processes with simulated members (tools/LoadGen) sending tones over WebRTC: a media node that
/// shuts down hands its room to another, a media node that dies has its room placed again, and a gateway that dies
/// hands its members' signalling to another, while the members keep hearing each other.
/// </summary>
[Collection(ProcessCollection.Name)]
public sealed class VoiceFailoverTests(ITestOutputHelper output) : IAsyncLifetime
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);
    private readonly VoiceCluster _cluster = new(output);
    private readonly List<SimulatedMember> _members = [];

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
        await _cluster.DisposeAsync();
    }

    [Fact]
    public async Task When_a_media_node_shuts_down_its_room_moves_and_members_renegotiate_without_a_long_gap()
    {
        var seed = await _cluster.StartSeedAsync();
        var (first, firstNode) = await _cluster.StartMediaAsync("media-1");
        var alice = Member("Alice", VoiceSignal.Tone(1000), seed.BaseUrl);
        var bob = Member("Bob", VoiceSignal.Tone(1500), seed.BaseUrl);
        var carol = Member("Carol", VoiceSignal.Silence, seed.BaseUrl);
        await Task.WhenAll(_members.Select(m => m.StartAsync()));
        await Task.WhenAll(alice.WaitUntilHearingAsync([1500], Patience), bob.WaitUntilHearingAsync([1000], Patience),
            carol.WaitUntilHearingAsync([1000, 1500], Patience));

        // The only media node hosts the room; a second one joins, then the first shuts down and drains to it.
        var (_, secondNode) = await _cluster.StartMediaAsync("media-2");
        await _cluster.WaitForMediaNodesAsync(seed, firstNode, secondNode);
        foreach (var m in _members) m.ResetWindow();
        Assert.Equal(0, await first.StopAsync());

        await Task.WhenAll(_members.Select(m => m.WaitUntilAsync(s => s.Reconnects.Count > 0, Patience)));
        foreach (var m in _members) m.ResetWindow();
        await Task.WhenAll(alice.WaitUntilHearingAsync([1500], Patience), bob.WaitUntilHearingAsync([1000], Patience),
            carol.WaitUntilHearingAsync([1000, 1500], Patience));
        Assert.Equal(secondNode, (await _cluster.VoiceRoomsAsync(seed))["lounge"].Node);

        foreach (var m in _members)
        {
            var s = m.Stats;
            var reconnect = Assert.Single(s.Reconnects);
            output.WriteLine($"{s.DisplayName}: {reconnect}");
            Assert.Contains("VoiceReconnect", reconnect.Reason);
            Assert.Null(reconnect.Error);
            Assert.True(s.InVoice);
            Assert.Null(s.Ended);
            Assert.False(s.HeardOwnTone, $"{s.DisplayName} heard itself after the move");
            // Make-before-break: the silence around the move is short (the talkers' audio had to move as well).
            Assert.NotNull(reconnect.AudioGap);
            Assert.True(reconnect.AudioGap < TimeSpan.FromSeconds(5), $"{s.DisplayName} was without audio for {reconnect.AudioGap}");
        }
    }

    [Fact]
    public async Task When_a_media_node_dies_its_room_is_placed_again_and_members_renegotiate()
    {
        var seed = await _cluster.StartSeedAsync();
        var (first, firstNode) = await _cluster.StartMediaAsync("media-1");
        var alice = Member("Alice", VoiceSignal.Tone(1000), seed.BaseUrl);
        var bob = Member("Bob", VoiceSignal.Tone(1500), seed.BaseUrl);
        await Task.WhenAll(_members.Select(m => m.StartAsync()));
        await Task.WhenAll(alice.WaitUntilHearingAsync([1500], Patience), bob.WaitUntilHearingAsync([1000], Patience));

        var (_, secondNode) = await _cluster.StartMediaAsync("media-2");
        await _cluster.WaitForMediaNodesAsync(seed, firstNode, secondNode);
        foreach (var m in _members) m.ResetWindow();
        await first.KillAsync();

        await Task.WhenAll(_members.Select(m => m.WaitUntilAsync(s => s.Reconnects.Any(r => r.FirstAudio is not null), TimeSpan.FromSeconds(90))));
        await Task.WhenAll(alice.WaitUntilHearingAsync([1500], Patience), bob.WaitUntilHearingAsync([1000], Patience));
        foreach (var m in _members)
        {
            var s = m.Stats;
            output.WriteLine($"{s.DisplayName}: longest gap {s.LongestGap.TotalSeconds:0.00} s; {string.Join("; ", s.Reconnects)}");
            Assert.True(s.InVoice);
            Assert.Contains(s.Reconnects, r => r.Error is null && r.FirstAudio is not null);
            // The node was gone before anyone said so: that shows as a gap, which the reconnect ended.
            Assert.True(s.LongestGap > TimeSpan.Zero);
            Assert.False(s.HeardOwnTone);
        }
    }

    [Fact]
    public async Task When_a_gateway_process_dies_members_resume_on_another_gateway_and_their_audio_carries_on()
    {
        var seed = await _cluster.StartSeedAsync(gateway: false);
        var (_, mediaNode) = await _cluster.StartMediaAsync("media");
        var gateway1 = await _cluster.StartGatewayAsync("gateway-1");
        var gateway2 = await _cluster.StartGatewayAsync("gateway-2");
        await _cluster.WaitForMediaNodesAsync(gateway1, mediaNode);

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
        output.WriteLine(moved.ToString());
        Assert.Equal(gateway2.BaseUrl, moved.ToGateway);
        Assert.True(moved.SameUser);
        Assert.True(moved.VoiceStateIntact, moved.Error);
        Assert.Equal(aliceId, alice.UserId);

        // The media path never went through the gateway: no renegotiation, and both keep hearing each other.
        await Task.WhenAll(alice.WaitUntilHearingAsync([1500], Patience), bob.WaitUntilHearingAsync([1000], Patience));
        Assert.Empty(alice.Stats.Reconnects);
        Assert.Empty(bob.Stats.SignallingReconnects);
        Assert.True(alice.Stats.LongestGap < TimeSpan.FromSeconds(1), $"Alice's longest gap {alice.Stats.LongestGap}");
        // Bob, on the surviving gateway, sees a state change Alice makes through her new gateway.
        await alice.SetVoiceStateAsync(muted: true, deafened: false);
        await Probe.UntilAsync(() => Task.FromResult(bob.Roster.Any(r => r.UserId == aliceId && r.Muted)), Patience, "Bob to see Alice muted");
    }
}

using OpenChat.TestSupport;
using Xunit;
using Xunit.Abstractions;

namespace OpenChat.SimulatedClients.Tests.Members;

/// <summary>
/// Simulated members against the all-in-one server running as its own process: real sessions, hub connections,
/// WebRTC over 127.0.0.1 to the server's mixer, Opus both ways.
/// </summary>
public sealed class SimulatedMemberTests(ServerFixture fixture, ITestOutputHelper output) : IClassFixture<ServerFixture>, IAsyncLifetime
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);
    private readonly List<SimulatedMember> _members = [];

    private SimulatedMember Member(string name, VoiceSignal signal, params string[] gateways)
    {
        var member = fixture.Member(name, signal, 0, gateways);
        _members.Add(member);
        return member;
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var m in _members)
        {
            output.WriteLine(Describe(m.Stats));
            await m.DisposeAsync();
        }
    }

    private static string Describe(MemberStats s) =>
        $"{s.DisplayName}: join {s.JoinTime?.TotalMilliseconds:0} ms, {s.PacketsReceived} packets ({s.PacketsLost} lost), " +
        $"{s.AudibleFrames} audible, heard [{string.Join(", ", s.Frequencies.Select(f => $"{f.FrequencyHz:0} Hz {f.Frames} frames peak {f.PeakDb:0} dB"))}], " +
        $"expected {s.ExpectedAudio.TotalSeconds:0.0} s covered {s.ExpectedCoverage:P1}, gaps [{string.Join(", ", s.Gaps.Select(g => $"{g.Duration.TotalMilliseconds:0} ms"))}], " +
        $"{s.Reconnects.Count} media and {s.SignallingReconnects.Count} signalling reconnects";

    [Fact]
    public async Task Members_hear_every_other_talker_and_never_themselves()
    {
        var alice = Member("Alice", VoiceSignal.Tone(1000));
        var bob = Member("Bob", VoiceSignal.Tone(1500));
        var carol = Member("Carol", VoiceSignal.Silence);
        await Task.WhenAll(alice.StartAsync(), bob.StartAsync(), carol.StartAsync());
        await Task.WhenAll(alice.WaitUntilHearingAsync([1500], Patience), bob.WaitUntilHearingAsync([1000], Patience),
            carol.WaitUntilHearingAsync([1000, 1500], Patience));

        foreach (var m in _members) m.ResetWindow();
        await Task.WhenAll(_members.Select(m => m.WaitUntilAsync(s => s.ExpectedAudio >= TimeSpan.FromSeconds(2), Patience)));

        var a = alice.Stats;
        var b = bob.Stats;
        var c = carol.Stats;
        foreach (var s in new[] { a, b, c }) output.WriteLine(Describe(s));

        Assert.Equal([1500.0], a.HeardFrequencies.Select(f => f.FrequencyHz));
        Assert.Equal([1000.0], b.HeardFrequencies.Select(f => f.FrequencyHz));
        Assert.Equal([1000.0, 1500.0], c.HeardFrequencies.Select(f => f.FrequencyHz));
        Assert.False(a.HeardOwnTone);
        Assert.False(b.HeardOwnTone);
        // Mix-minus: one's own tone is not merely rare but absent.
        Assert.Equal(0, a.Frequencies.Single(f => f.FrequencyHz == 1000).Frames);
        Assert.Equal(0, b.Frequencies.Single(f => f.FrequencyHz == 1500).Frames);

        foreach (var s in new[] { a, b, c })
        {
            Assert.NotNull(s.JoinTime);
            Assert.NotNull(s.Join);
            Assert.True(s.InVoice);
            Assert.True(s.PacketsReceived > 50, $"{s.DisplayName} received {s.PacketsReceived} packets");
            Assert.True(s.PacketsSent > 50, $"{s.DisplayName} sent {s.PacketsSent} packets");
            Assert.True(s.LossRatio < 0.05, $"{s.DisplayName} lost {s.LossRatio:P1}");
            // Its room-mates' talking was recognised as expected audio, and most of it arrived.
            Assert.True(s.ExpectedCoverage > 0.5, $"{s.DisplayName} heard {s.ExpectedCoverage:P0} of the expected audio");
            // Nearly every audible frame's strongest frequency is one of the two tones (a glitch may move it).
            Assert.True(s.UnexplainedFrames <= s.AudibleFrames / 10, $"{s.DisplayName}: {s.UnexplainedFrames} of {s.AudibleFrames} unexplained");
            Assert.Empty(s.Reconnects);
            Assert.Empty(s.SignallingReconnects);
        }
        Assert.Equal(["Alice", "Bob", "Carol"], carol.Roster.Select(r => r.DisplayName));
    }

    [Fact]
    public async Task A_member_that_only_counts_receives_the_mix_and_judges_it_audible_from_its_levels_without_decoding()
    {
        var ivan = Member("Ivan", VoiceSignal.Tone(1000));
        var judy = Member("Judy", VoiceSignal.Silence);
        var kim = fixture.Member("Kim", VoiceSignal.Silence, analysis: ListenerAnalysis.Count);
        _members.Add(kim);
        await Task.WhenAll(ivan.StartAsync(), judy.StartAsync(), kim.StartAsync());
        await judy.WaitUntilHearingAsync([1000], Patience);
        await kim.WaitUntilAsync(s => s.AudibleFrames >= 5, Patience);

        foreach (var m in new[] { judy, kim }) m.ResetWindow();
        await Task.WhenAll(new[] { judy, kim }.Select(m => m.WaitUntilAsync(s => s.ExpectedAudio >= TimeSpan.FromSeconds(2), Patience)));
        var full = judy.Stats;
        var counted = kim.Stats;
        output.WriteLine(Describe(full));
        output.WriteLine(Describe(counted));

        Assert.Equal(ListenerAnalysis.Full, full.Analysis);
        Assert.Equal(ListenerAnalysis.Count, counted.Analysis);
        Assert.NotNull(counted.JoinTime);
        Assert.True(counted.PacketsReceived > 50, $"{counted.PacketsReceived} packets");
        Assert.True(counted.LossRatio < 0.05, $"lost {counted.LossRatio:P1}");
        // The mix of a steady tone carries its level: nearly every packet is audible, as nearly every decoded frame is for Judy.
        Assert.True(counted.AudibleFrames >= counted.PacketsReceived * 0.9, $"{counted.AudibleFrames} of {counted.PacketsReceived} audible");
        Assert.True(counted.ExpectedCoverage > 0.5, $"heard {counted.ExpectedCoverage:P0} of the expected audio");
        Assert.InRange(counted.MeanAudibleDbfs, full.MeanAudibleDbfs - 3, full.MeanAudibleDbfs + 3);
        Assert.Equal(0, counted.FramesDecoded);
        Assert.All(counted.Frequencies, f => Assert.Equal(0, f.Frames));
        Assert.True(full.FramesDecoded > 50);
    }

    [Fact]
    public async Task A_muted_talker_is_no_longer_heard_or_expected_and_one_who_leaves_drops_off_the_roster()
    {
        var dave = Member("Dave", VoiceSignal.Tone(1000));
        var erin = Member("Erin", VoiceSignal.Tone(1500));
        var frank = Member("Frank", VoiceSignal.Silence);
        await Task.WhenAll(dave.StartAsync(), erin.StartAsync(), frank.StartAsync());
        await frank.WaitUntilHearingAsync([1000, 1500], Patience);

        await erin.SetVoiceStateAsync(muted: true, deafened: false);
        await Probe.UntilAsync(() => Task.FromResult(frank.Roster.Any(r => r.DisplayName == "Erin" && r.Muted)), Patience, "Frank to see Erin muted");
        // Let audio already in the mixer's jitter buffers drain, then measure a fresh second.
        frank.ResetWindow();
        await frank.WaitUntilAsync(s => s.AudibleFrames >= 25, Patience);
        frank.ResetWindow();
        await frank.WaitUntilAsync(s => s.AudibleFrames >= 50, Patience);
        var f = frank.Stats;
        output.WriteLine(Describe(f));
        Assert.Equal([1000.0], f.HeardFrequencies.Select(h => h.FrequencyHz));
        Assert.Equal(0, f.Frequencies.Single(h => h.FrequencyHz == 1500).Frames);

        await erin.SetVoiceStateAsync(muted: false, deafened: false);
        await frank.WaitUntilHearingAsync([1500], Patience);

        await dave.LeaveVoiceAsync();
        await Probe.UntilAsync(() => Task.FromResult(frank.Roster.All(r => r.DisplayName != "Dave")), Patience, "Dave to leave Frank's roster");
    }

    [Fact]
    public async Task When_its_gateway_connection_breaks_a_member_resumes_on_the_next_gateway_and_hears_again()
    {
        await using var proxy = new TcpProxy(fixture.Port);
        var grace = Member("Grace", VoiceSignal.Tone(1000), proxy.Url, fixture.BaseUrl);
        var heidi = Member("Heidi", VoiceSignal.Tone(1500));
        await Task.WhenAll(grace.StartAsync(), heidi.StartAsync());
        await Task.WhenAll(grace.WaitUntilHearingAsync([1500], Patience), heidi.WaitUntilHearingAsync([1000], Patience));
        Assert.Equal(proxy.Url, grace.CurrentGateway);
        var user = grace.UserId;

        grace.ResetWindow();
        proxy.Cut();
        await grace.WaitUntilAsync(s => s.SignallingReconnects.Count > 0, Patience);

        var moved = Assert.Single(grace.Stats.SignallingReconnects);
        output.WriteLine(moved.ToString());
        Assert.Equal(proxy.Url, moved.FromGateway);
        Assert.Equal(fixture.BaseUrl, moved.ToGateway);
        Assert.True(moved.SameUser);
        Assert.Equal(user, grace.UserId);
        Assert.Equal(fixture.BaseUrl, grace.CurrentGateway);
        // The membership survived the cut connection: the media session was never renegotiated.
        Assert.True(moved.VoiceStateIntact, moved.Error);
        await Task.WhenAll(grace.WaitUntilHearingAsync([1500], Patience), heidi.WaitUntilHearingAsync([1000], Patience));
        Assert.Empty(grace.Stats.Reconnects);
        Assert.True(grace.InVoice);
        // Signalling works on the new connection.
        await grace.SetVoiceStateAsync(muted: false, deafened: false);
    }
}

using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Threading.Channels;
using Concentus;
using Concentus.Enums;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;
using OpenChat.Rtc.Transport;
using OpenChat.SimulatedClients.Network;
using OpenChat.TestSupport;
using Xunit;
using Xunit.Abstractions;

namespace OpenChat.Gateway.Tests;

/// <summary>
/// Voice through the hub of the all-in-one server: real SignalR connections, our own WebRTC client over
/// ICE/DTLS/SRTP on 127.0.0.1 to the server's media endpoint, Opus tones encoded and decoded with Concentus.
/// </summary>
public sealed class VoiceTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const string AdminKey = "voice-admin-key-0123456789abcdefghijkl";
    private const int SampleRate = 48_000;
    private const int FrameSamples = 960;
    private InProcessServer _server = null!;
    private readonly RtcClient _rtc = new();

    public async Task InitializeAsync() =>
        _server = await InProcessServer.StartAsync(new Dictionary<string, string?> { ["OpenChat:Auth:AdminKey"] = AdminKey });

    public async Task DisposeAsync() => await _server.DisposeAsync();

    /// <summary>A user in a voice channel: their hub connection, their media session and everything received.</summary>
    private sealed class Voice(ChatClient chat) : IAsyncDisposable
    {
        public ChatClient Chat { get; } = chat;
        public RtcClientSession Media { get; set; } = null!;
        public VoiceJoinedDto Joined { get; set; } = null!;
        public ConcurrentQueue<byte[]> Received { get; } = new();
        public Channel<(string Channel, VoiceMemberDto Member)> Joins { get; } = Channel.CreateUnbounded<(string, VoiceMemberDto)>();
        public Channel<(string Channel, VoiceMemberDto Member)> Updates { get; } = Channel.CreateUnbounded<(string, VoiceMemberDto)>();
        public Channel<(string Channel, string Reason)> Ended { get; } = Channel.CreateUnbounded<(string, string)>();

        public async ValueTask DisposeAsync()
        {
            Media.Dispose();
            await Chat.DisposeAsync();
        }
    }

    private async Task<Voice> JoinAsync(string name, string channel, ChatClient? chat = null)
    {
        // Each member's signalling and media leave from an address of its own, as separate clients' would.
        var source = SourceAddress.Next();
        var voice = new Voice(chat ?? await ChatClient.ConnectAsync(_server.BaseUrl, name, source: source));
        var connection = voice.Chat.Connection;
        connection.On<string, VoiceMemberDto>("VoiceMemberJoined", (c, m) => voice.Joins.Writer.TryWrite((c, m)));
        connection.On<string, VoiceMemberDto>("VoiceMemberUpdated", (c, m) => voice.Updates.Writer.TryWrite((c, m)));
        connection.On<string, string>("VoiceEnded", (c, r) => voice.Ended.Writer.TryWrite((c, r)));
        voice.Media = SourceAddress.RtcClient(source).CreateSession(new RtcSessionOptions
        {
            AudioReceived = (RtcSession _, in RtcAudioFrame frame) => voice.Received.Enqueue(frame.Payload.ToArray()),
        });

        voice.Joined = await connection.InvokeAsync<VoiceJoinedDto>("JoinVoice", channel, voice.Media.Offer, false, false);
        Assert.NotNull(voice.Joined.SdpAnswer);
        await voice.Media.ConnectAsync(voice.Joined.SdpAnswer!).WaitAsync(TimeSpan.FromSeconds(15));
        // A member is announced, to everyone and itself, once the mixer has seen its media connect.
        while ((await Next(voice.Joins)).Member.UserId != voice.Chat.Session.UserId)
        {
        }
        return voice;
    }

    /// <summary>Each speaker sends its tone in real time, 20 ms per packet, for <paramref name="frames"/> packets.</summary>
    private static void Speak(IReadOnlyList<(Voice Who, double Frequency)> speakers, int frames)
    {
        var encoders = speakers.Select(_ =>
        {
            var e = OpusCodecFactory.CreateEncoder(SampleRate, 1, OpusApplication.OPUS_APPLICATION_VOIP);
            e.Bitrate = 32_000;
            return e;
        }).ToArray();
        var pcm = new short[FrameSamples];
        var packet = new byte[1275];
        var start = Stopwatch.GetTimestamp();
        for (var i = 0; i < frames; i++)
        {
            var due = start + i * Stopwatch.Frequency / 50;
            while (Stopwatch.GetTimestamp() < due) Thread.Sleep(1);
            for (var s = 0; s < speakers.Count; s++)
            {
                for (var n = 0; n < FrameSamples; n++)
                    pcm[n] = (short)(0.3 * short.MaxValue * Math.Sin(2 * Math.PI * speakers[s].Frequency * (i * FrameSamples + n) / SampleRate));
                var length = encoders[s].Encode(pcm, FrameSamples, packet, packet.Length);
                speakers[s].Who.Media.SendAudio(packet.AsSpan(0, length), (uint)(i * FrameSamples));
            }
        }
    }

    private static short[] Decode(IEnumerable<byte[]> packets)
    {
        var decoder = OpusCodecFactory.CreateDecoder(SampleRate, 1);
        var pcm = new List<short>();
        var frame = new short[FrameSamples];
        foreach (var payload in packets)
        {
            var n = decoder.Decode(payload, frame, FrameSamples, false);
            pcm.AddRange(frame.AsSpan(0, n).ToArray());
        }
        return pcm.ToArray();
    }

    private static async Task<T> Next<T>(Channel<T> channel) =>
        await channel.Reader.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10));

    [Fact]
    public async Task Two_members_joined_through_the_hub_hear_each_other_and_not_themselves()
    {
        await using var alice = await JoinAsync("Alice", "lounge");
        await using var bob = await JoinAsync("Bob", "lounge");

        // The answer to Bob's join lists the members already connected: Bob counts once his media connects.
        Assert.Equal(["Alice"], bob.Joined.Members.Select(m => m.DisplayName));
        // Every subscriber is told of every join (Alice's own was taken in JoinAsync).
        var announced = await Next(alice.Joins);
        Assert.Equal(("lounge", bob.Chat.Session.UserId), (announced.Channel, announced.Member.UserId));

        await Task.Run(() => Speak([(alice, 440), (bob, 660)], 100));
        await Probe.UntilAsync(() => Task.FromResult(alice.Received.Count >= 90 && bob.Received.Count >= 90),
            TimeSpan.FromSeconds(10), "both members to receive the mix");

        // Skip the first half second: the jitter buffers fill and the tone starts.
        var atAlice = Decode(alice.Received.Skip(25));
        var atBob = Decode(bob.Received.Skip(25));
        var (a440, a660) = (Tone.PowerDb(atAlice, 440), Tone.PowerDb(atAlice, 660));
        var (b440, b660) = (Tone.PowerDb(atBob, 440), Tone.PowerDb(atBob, 660));
        output.WriteLine($"Alice hears 440 Hz {a440:F1} dB, 660 Hz {a660:F1} dB; Bob hears 440 Hz {b440:F1} dB, 660 Hz {b660:F1} dB");
        Assert.True(a660 - a440 >= 30, $"Alice: Bob's 660 Hz at {a660:F1} dB, her own 440 Hz at {a440:F1} dB");
        Assert.True(b440 - b660 >= 30, $"Bob: Alice's 440 Hz at {b440:F1} dB, his own 660 Hz at {b660:F1} dB");
    }

    [Fact]
    public async Task Operators_see_where_each_voice_room_runs_and_each_media_node_s_load()
    {
        await using var alice = await JoinAsync("Alice", "lounge");
        using var http = new HttpClient();
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", AdminKey);

        var rooms = (await http.GetFromJsonAsync<VoiceRoomDto[]>(_server.BaseUrl + "/api/admin/voice"))!;
        var lounge = Assert.Single(rooms, r => r.ChannelId == "lounge");
        Assert.StartsWith("akka.tcp://openchat@127.0.0.1:", lounge.Node);
        Assert.Equal([alice.Chat.Session.UserId], lounge.Members.Select(m => m.UserId));

        await Probe.UntilAsync(async () =>
        {
            var nodes = (await http.GetFromJsonAsync<MediaNodeDto[]>(_server.BaseUrl + "/api/admin/media"))!;
            return nodes.Length == 1 && nodes[0].Node == lounge.Node && nodes[0].Rooms == 1 && nodes[0].Members == 1;
        }, TimeSpan.FromSeconds(10), "the media node to report the room");
        http.DefaultRequestHeaders.Authorization = null;
        Assert.Equal(System.Net.HttpStatusCode.Unauthorized, (await http.GetAsync(_server.BaseUrl + "/api/admin/voice")).StatusCode);
    }

    private sealed record VoiceRoomDto(string ChannelId, string? Node, VoiceMemberDto[] Members);

    private sealed record MediaNodeDto(string Node, int Rooms, int Members, bool Draining);

    [Fact]
    public async Task Muting_is_announced_and_silences_the_member_until_unmuted()
    {
        await using var alice = await JoinAsync("Alice", "lounge");
        await using var bob = await JoinAsync("Bob", "lounge");

        await alice.Chat.Connection.InvokeAsync("SetVoiceState", true, false);

        var update = await Next(bob.Updates);
        Assert.Equal((alice.Chat.Session.UserId, true, false), (update.Member.UserId, update.Member.Muted, update.Member.Deafened));
        var before = bob.Received.Count;
        await Task.Run(() => Speak([(alice, 440)], 50));
        // Nothing of muted Alice reaches Bob (the mixer may send silence, or nothing at all).
        var whileMuted = bob.Received.Skip(before).ToArray();
        var heard = Decode(whileMuted);
        Assert.True(heard.Length == 0 || Tone.RmsDbfs(heard) < -50, $"Bob hears muted Alice at {Tone.RmsDbfs(heard):F1} dBFS");

        await alice.Chat.Connection.InvokeAsync("SetVoiceState", false, false);
        Assert.False((await Next(bob.Updates)).Member.Muted);
        await HearsAsync(bob, alice, "after she unmuted");
    }

    /// <summary>The speaker sends 1.5 s of a 440 Hz tone; the listener hears it (after the first 200 ms).</summary>
    private static async Task HearsAsync(Voice listener, Voice speaker, string when)
    {
        var start = listener.Received.Count;
        await Task.Run(() => Speak([(speaker, 440)], 75));
        await Probe.UntilAsync(() => Task.FromResult(listener.Received.Count >= start + 60), TimeSpan.FromSeconds(10), "the listener to hear the speaker again");
        var heard = Decode(listener.Received.Skip(start + 10));
        Assert.True(Tone.PowerDb(heard, 440) - Tone.PowerDb(heard, 660) >= 30, $"the speaker's tone is not heard {when}");
    }

    [Fact]
    public async Task Bad_voice_calls_are_refused_with_their_code_and_change_nothing()
    {
        await using var alice = await Clients.ConnectAsync(_server.BaseUrl, "Alice");
        var offer = _rtc.CreateSession().Offer;

        async Task<string> Refusal(Func<Task> call) => (await Assert.ThrowsAsync<HubException>(call)).Message;

        Assert.Contains("wrong_channel_kind:", await Refusal(() => alice.Connection.InvokeAsync("JoinVoice", "general", offer, false, false)));
        Assert.Contains("unknown_channel:", await Refusal(() => alice.Connection.InvokeAsync("JoinVoice", "nowhere", offer, false, false)));
        Assert.Contains("invalid_argument:", await Refusal(() => alice.Connection.InvokeAsync("JoinVoice", "lounge", "", false, false)));
        Assert.Contains("invalid_argument:", await Refusal(() => alice.Connection.InvokeAsync("JoinVoice", "lounge", "v=0\r\nnot an offer\r\n", false, false)));
        Assert.Contains("not_in_voice:", await Refusal(() => alice.Connection.InvokeAsync("SetVoiceState", true, false)));
        Assert.Contains("not_in_voice:", await Refusal(() => alice.Connection.InvokeAsync<VoiceJoinedDto>("ResumeVoice", "lounge")));
        Assert.Contains("invalid_argument:", await Refusal(() => alice.Connection.InvokeAsync("SetMemberVolume", "someone", 7.0)));

        var view = await alice.OpenChannelAsync("lounge");
        Assert.Empty(view.Voice);
    }

    [Fact]
    public async Task Joining_voice_elsewhere_from_another_connection_ends_the_first_membership()
    {
        var studio = await AdminApi.CreateChannelAsync(_server.BaseUrl, AdminKey, "Studio", "voice");

        await using var first = await JoinAsync("Alice", "lounge");
        var sameUser = await Clients.ConnectAsync(_server.BaseUrl, "Alice", first.Chat.Session);
        await using var second = await JoinAsync("Alice", studio.Id, sameUser);

        var ended = await Next(first.Ended);
        Assert.Equal("lounge", ended.Channel);
        await Probe.UntilAsync(async () => (await second.Chat.OpenChannelAsync("lounge")).Voice.Length == 0,
            TimeSpan.FromSeconds(10), "the user to have left the first voice channel");
        var studioView = await second.Chat.OpenChannelAsync(studio.Id);
        Assert.Equal([first.Chat.Session.UserId], studioView.Voice.Select(v => v.UserId));
    }

    [Fact]
    public async Task A_member_who_may_not_speak_is_mixed_as_muted_and_cannot_unmute_until_allowed_again()
    {
        await using var alice = await JoinAsync("Alice", "lounge");
        await using var bob = await JoinAsync("Bob", "lounge");
        var aliceId = alice.Chat.Session.UserId;

        await AdminApi.SetOverrideAsync(_server.BaseUrl, AdminKey, "lounge", "member", aliceId, [], ["speak"]);
        var update = await Next(bob.Updates);
        Assert.Equal((aliceId, true, false), (update.Member.UserId, update.Member.Suppressed, update.Member.Muted));
        // Unmuting herself changes nothing while she may not speak.
        await alice.Chat.Connection.InvokeAsync("SetVoiceState", false, false);
        var before = bob.Received.Count;
        await Task.Run(() => Speak([(alice, 440)], 50));
        var heard = Decode(bob.Received.Skip(before).ToArray());
        Assert.True(heard.Length == 0 || Tone.RmsDbfs(heard) < -50, $"Bob hears Alice, who may not speak, at {Tone.RmsDbfs(heard):F1} dBFS");

        await AdminApi.SetOverrideAsync(_server.BaseUrl, AdminKey, "lounge", "member", aliceId, [], []);
        while ((await Next(bob.Updates)).Member is var member && (member.UserId != aliceId || member.Suppressed))
        {
        }
        await HearsAsync(bob, alice, "once she may speak again");
    }

    [Fact]
    public async Task A_member_who_may_no_longer_connect_leaves_voice_at_once_and_cannot_join_again()
    {
        await using var alice = await JoinAsync("Alice", "lounge");
        await using var bob = await JoinAsync("Bob", "lounge");
        var left = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        bob.Chat.Connection.On<string, string>("VoiceMemberLeft", (_, user) => left.TrySetResult(user));

        await AdminApi.SetOverrideAsync(_server.BaseUrl, AdminKey, "lounge", "member", alice.Chat.Session.UserId, [], ["connect"]);
        Assert.Equal("lounge", (await Next(alice.Ended)).Channel);
        Assert.Equal(alice.Chat.Session.UserId, await left.Task.WaitAsync(TimeSpan.FromSeconds(10)));
        var refusal = await Assert.ThrowsAsync<HubException>(() =>
            alice.Chat.Connection.InvokeAsync<VoiceJoinedDto>("JoinVoice", "lounge", _rtc.CreateSession().Offer, false, false));
        Assert.Contains("forbidden:", refusal.Message);
        Assert.Equal([bob.Chat.Session.UserId], (await bob.Chat.OpenChannelAsync("lounge")).Voice.Select(v => v.UserId));
    }

    /// <summary>
    /// A registered member holding a role with mute members and move members (made with the admin key), connected to the
    /// hub from an address of its own.
    /// </summary>
    private async Task<ChatClient> ModeratorAsync()
    {
        using var http = SourceAddress.HttpClient(SourceAddress.Next());
        async Task<System.Text.Json.JsonElement> Send(HttpMethod method, string path, object? body)
        {
            using var request = new HttpRequestMessage(method, _server.BaseUrl + path) { Content = body is null ? null : JsonContent.Create(body) };
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", AdminKey);
            using var response = await http.SendAsync(request);
            var text = await response.Content.ReadAsStringAsync();
            Assert.True(response.IsSuccessStatusCode, $"{method} {path}: {(int)response.StatusCode} {text}");
            return text.Length == 0 ? default : System.Text.Json.JsonDocument.Parse(text).RootElement.Clone();
        }
        using var registered = await http.PostAsJsonAsync(_server.BaseUrl + "/api/accounts", new { username = "Moderator", password = "keeps the peace 1" });
        Assert.True(registered.IsSuccessStatusCode, $"registering: {(int)registered.StatusCode} {await registered.Content.ReadAsStringAsync()}");
        var session = (await registered.Content.ReadFromJsonAsync<SessionDto>())!;
        var role = await Send(HttpMethod.Post, "/api/server/roles", new { name = "Mods", permissions = new[] { "muteMembers", "moveMembers" } });
        await Send(HttpMethod.Put, $"/api/server/members/{session.UserId}/roles/{role.GetProperty("id").GetString()}", null);
        return await Clients.ConnectAsync(_server.BaseUrl, "Moderator", session);
    }

    [Fact]
    public async Task A_moderator_server_mutes_a_talking_member_who_cannot_unmute_and_others_may_not()
    {
        await using var alice = await JoinAsync("Alice", "lounge");
        await using var bob = await JoinAsync("Bob", "lounge");
        await using var moderator = await ModeratorAsync();
        var aliceId = alice.Chat.Session.UserId;

        // Bob holds no mute members; nobody acts on the moderator's rank or above.
        Assert.Contains("forbidden:", (await Assert.ThrowsAsync<HubException>(() =>
            bob.Chat.Connection.InvokeAsync("ModerateVoice", "lounge", aliceId, true, false, null))).Message);
        Assert.Contains("invalid_argument:", (await Assert.ThrowsAsync<HubException>(() =>
            moderator.Connection.InvokeAsync("ModerateVoice", "lounge", aliceId, true, false, new string('r', 513)))).Message);

        await moderator.Connection.InvokeAsync("ModerateVoice", "lounge", aliceId, true, false, "shouting");
        var update = await Next(bob.Updates);
        Assert.Equal((aliceId, true, true), (update.Member.UserId, update.Member.Suppressed, update.Member.ServerMuted));
        await alice.Chat.Connection.InvokeAsync("SetVoiceState", false, false);
        var before = bob.Received.Count;
        await Task.Run(() => Speak([(alice, 440)], 50));
        var heard = Decode(bob.Received.Skip(before).ToArray());
        Assert.True(heard.Length == 0 || Tone.RmsDbfs(heard) < -50, $"Bob hears server-muted Alice at {Tone.RmsDbfs(heard):F1} dBFS");

        // Server-deafened, Bob hears nothing; lifted, both are as they chose.
        await moderator.Connection.InvokeAsync("ModerateVoice", "lounge", bob.Chat.Session.UserId, false, true, null);
        while ((await Next(alice.Updates)).Member is var member && !(member.UserId == bob.Chat.Session.UserId && member.ServerDeafened))
        {
        }
        await moderator.Connection.InvokeAsync("ModerateVoice", "lounge", aliceId, false, false, null);
        while ((await Next(bob.Updates)).Member is var member && (member.UserId != aliceId || member.Suppressed))
        {
        }
        var deafenedFrom = bob.Received.Count;
        await Task.Run(() => Speak([(alice, 440)], 50));
        var whileDeafened = Decode(bob.Received.Skip(deafenedFrom).ToArray());
        Assert.True(whileDeafened.Length == 0 || Tone.RmsDbfs(whileDeafened) < -50, $"server-deafened Bob hears Alice at {Tone.RmsDbfs(whileDeafened):F1} dBFS");
        await moderator.Connection.InvokeAsync("ModerateVoice", "lounge", bob.Chat.Session.UserId, false, false, null);
        await HearsAsync(bob, alice, "once the moderation is lifted");
    }

    [Fact]
    public async Task A_moderator_disconnects_one_member_and_moves_another_who_is_heard_in_the_new_channel_and_not_the_old()
    {
        var studio = await AdminApi.CreateChannelAsync(_server.BaseUrl, AdminKey, "Studio", "voice");
        await using var alice = await JoinAsync("Alice", "lounge");
        await using var bob = await JoinAsync("Bob", "lounge");
        await using var dave = await JoinAsync("Dave", "lounge");
        await using var carol = await JoinAsync("Carol", studio.Id);
        await using var moderator = await ModeratorAsync();
        var moved = System.Threading.Channels.Channel.CreateUnbounded<(string From, string To, string Reason)>();
        bob.Chat.Connection.On<string, string, string>("VoiceMoved", (from, to, reason) => moved.Writer.TryWrite((from, to, reason)));

        await moderator.Connection.InvokeAsync("DisconnectVoiceMember", "lounge", alice.Chat.Session.UserId, "take a break");
        var ended = await Next(alice.Ended);
        Assert.Equal(("lounge", "A moderator disconnected you: take a break"), (ended.Channel, ended.Reason));

        await moderator.Connection.InvokeAsync("MoveVoiceMember", "lounge", bob.Chat.Session.UserId, studio.Id, null);
        var move = await Next(moved);
        Assert.Equal(("lounge", studio.Id), (move.From, move.To));
        Assert.Equal([dave.Chat.Session.UserId], (await moderator.OpenChannelAsync("lounge")).Voice.Select(v => v.UserId));
        // Bob's client joins where it was moved, as the web client does: Carol hears him there, Dave in the old channel does not.
        bob.Media.Dispose();
        await using var inStudio = await JoinAsync("Bob", studio.Id, await Clients.ConnectAsync(_server.BaseUrl, "Bob", bob.Chat.Session));
        var daveBefore = dave.Received.Count;
        await HearsAsync(carol, inStudio, "in the channel Bob was moved to");
        var inOld = Decode(dave.Received.Skip(daveBefore).ToArray());
        Assert.True(inOld.Length == 0 || Tone.RmsDbfs(inOld) < -50, $"Dave hears Bob in the channel he was moved from at {Tone.RmsDbfs(inOld):F1} dBFS");
        Assert.Contains("not_in_voice:", (await Assert.ThrowsAsync<HubException>(() =>
            moderator.Connection.InvokeAsync("DisconnectVoiceMember", "lounge", alice.Chat.Session.UserId, null))).Message);

        // The audit log has both actions, by the moderator, and not the refused one.
        var audit = await AuditLog.ReadUntilAsync(_server.BaseUrl, AdminKey, "?action=voice", entries => entries.Length >= 2);
        Assert.Equal([("voice.move", bob.Chat.Session.UserId, null, "from Lounge to Studio"), ("voice.disconnect", alice.Chat.Session.UserId, "take a break", "from Lounge")],
            audit.Select(e => (e.GetProperty("action").GetString(), e.GetProperty("target").GetProperty("id").GetString(), e.GetProperty("reason").GetString(),
                e.GetProperty("detail").GetString())));
        Assert.All(audit, e => Assert.Equal("Moderator", e.GetProperty("actor").GetProperty("name").GetString()));
    }
}

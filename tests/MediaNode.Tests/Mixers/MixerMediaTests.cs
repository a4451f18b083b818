using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using Akka.Actor;
using Akka.TestKit.Xunit2;
using Concentus;
using OpenChat.Protocol.Ids;
using OpenChat.Protocol.Commands;
using OpenChat.Protocol.Media;
using OpenChat.MediaNode.Engine;
using OpenChat.MediaNode.Mixers;
using OpenChat.MediaNode.Tests.Engine;
using OpenChat.Rtc.Transport;
using OpenChat.TestSupport;
using Xunit;
using Xunit.Abstractions;

namespace OpenChat.MediaNode.Tests.Mixers;

/// <summary>
/// A room mixer with the node's real engine, clock and WebRTC endpoint on 127.0.0.1; members are our own WebRTC
/// clients sending Opus-encoded tones over ICE, DTLS and SRTP.
/// </summary>
public sealed class MixerMediaTests : TestKit, IDisposable
{
    private static readonly ChannelId Lounge = new("lounge");
    private readonly ITestOutputHelper _output;
    private readonly MixerEngine _engine = new(new EngineOptions());
    private readonly MixerClock _clock;
    private readonly RtcEndpoint _endpoint = new(new RtcEndpointOptions { BindAddress = IPAddress.Loopback, Port = 0 });
    private readonly RtcClient _client = new(new RtcClientOptions());
    private readonly IActorRef _mixer;

    public MixerMediaTests(ITestOutputHelper output) : base("akka.test.single-expect-default = 15s", "mixer-media", output)
    {
        _output = output;
        _clock = new MixerClock(_engine);
        _clock.Start();
        _mixer = Sys.ActorOf(MixerActor.Props(Lounge, _engine.CreateRoom(MixerActor.RoomIdFor(Lounge)), _endpoint, TestActor));
    }

    private sealed class Participant(RtcClientSession session, ConcurrentQueue<byte[]> received)
    {
        public RtcClientSession Session { get; } = session;
        public ConcurrentQueue<byte[]> Received { get; } = received;
    }

    private async Task<Participant> Join(string user)
    {
        var received = new ConcurrentQueue<byte[]>();
        var session = _client.CreateSession(new RtcSessionOptions
        {
            AudioReceived = (RtcSession _, in RtcAudioFrame frame) => received.Enqueue(frame.Payload.ToArray()),
        });
        var connected = await _mixer.Ask<MemberConnected>(new ConnectMember(Lounge, new UserId(user), session.Offer, false, false), TimeSpan.FromSeconds(10));
        await session.ConnectAsync(connected.SdpAnswer).WaitAsync(TimeSpan.FromSeconds(15));
        return new Participant(session, received);
    }

    /// <summary>Each participant sends its tone (or silence) in real time, 20 ms per packet, from one thread.</summary>
    private static void Speak(IReadOnlyList<(Participant Who, ToneSource Source)> speakers, int frames)
    {
        var start = Stopwatch.GetTimestamp();
        for (var i = 0; i < frames; i++)
        {
            var due = start + i * Stopwatch.Frequency / 50;
            while (Stopwatch.GetTimestamp() < due) Thread.Sleep(1);
            foreach (var (who, source) in speakers)
            {
                var packet = source.Next();
                who.Session.SendAudio(packet.Payload, packet.Timestamp);
            }
        }
    }

    private static (double P440, double P660) Spectrum(Participant p, int skipFrames)
    {
        var decoder = OpusCodecFactory.CreateDecoder(AudioFormat.SampleRate, 1);
        var pcm = new List<short>();
        var frame = new short[AudioFormat.FrameSamples];
        foreach (var payload in p.Received.Skip(skipFrames))
        {
            var n = decoder.Decode(payload, frame, AudioFormat.FrameSamples, false);
            pcm.AddRange(frame.AsSpan(0, n).ToArray());
        }
        Assert.True(pcm.Count > AudioFormat.SampleRate, $"only {pcm.Count} samples received");
        var samples = pcm.ToArray();
        return (Tone.PowerDb(samples, 440), Tone.PowerDb(samples, 660));
    }

    [Fact]
    public async Task Members_over_WebRTC_hear_each_other_and_not_themselves()
    {
        var a = await Join("a");
        var b = await Join("b");
        var c = await Join("c");
        await Task.Run(() => Speak([(a, new ToneSource(440, 0.3)), (b, new ToneSource(660, 0.3)), (c, new ToneSource(1000, 0))], 150));
        // The last frames leave the jitter buffers up to 100 ms after the speakers stop.
        await Probe.UntilAsync(() => Task.FromResult(new[] { a, b, c }.All(p => p.Received.Count >= 140)),
            TimeSpan.FromSeconds(10), "each member to receive the mix of the whole call");

        var (a440, a660) = Spectrum(a, 25);
        var (b440, b660) = Spectrum(b, 25);
        var (c440, c660) = Spectrum(c, 25);
        _output.WriteLine($"A hears 440 {a440:F1} dB, 660 {a660:F1} dB; B hears 440 {b440:F1}, 660 {b660:F1}; C hears 440 {c440:F1}, 660 {c660:F1}");
        Assert.True(a660 - a440 >= 30, $"A: 660 Hz {a660:F1} dB vs its own 440 Hz {a440:F1} dB");
        Assert.True(b440 - b660 >= 30, $"B: 440 Hz {b440:F1} dB vs its own 660 Hz {b660:F1} dB");
        Assert.True(Math.Abs(c440 - c660) < 6, $"C: 440 Hz {c440:F1} dB, 660 Hz {c660:F1} dB");
        Assert.Equal(0, a.Session.Statistics.SrtpRejected);
    }

    [Fact]
    public async Task An_offer_the_node_cannot_serve_is_refused_with_the_reason_and_changes_nothing()
    {
        var reply = await _mixer.Ask<object>(new ConnectMember(Lounge, new UserId("x"), "v=0\r\nnot an offer", false, false), TimeSpan.FromSeconds(10));
        var rejected = Assert.IsType<CommandRejected>(reply);
        Assert.Contains("offer", rejected.Reason, StringComparison.OrdinalIgnoreCase);
        Assert.True(_engine.TryGetRoom(MixerActor.RoomIdFor(Lounge), out var room));
        Assert.Equal(0, room.MemberCount);
        Assert.Equal(0, _endpoint.SessionCount);
    }

    [Fact]
    public async Task Disconnecting_a_member_closes_its_session_and_removes_it_from_the_room()
    {
        var a = await Join("a");
        Assert.True(_engine.TryGetRoom(MixerActor.RoomIdFor(Lounge), out var room));
        Assert.Equal(1, room.MemberCount);
        var closed = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        a.Session.Closed += (_, reason) => closed.TrySetResult(reason);

        var left = await _mixer.Ask<MemberDisconnected>(new DisconnectMember(Lounge, new UserId("a")), TimeSpan.FromSeconds(10));
        Assert.Equal(new UserId("a"), left.User);
        Assert.Equal(0, room.MemberCount);
        await closed.Task.WaitAsync(TimeSpan.FromSeconds(10));
    }

    public new void Dispose()
    {
        _clock.Dispose();
        _endpoint.Dispose();
        _engine.Dispose();
        base.Dispose();
    }
}

using System.Diagnostics;
using System.Net;
using Akka.Actor;
using Concentus;
using Concentus.Enums;
using OpenChat.MediaNode.Engine;
using OpenChat.MediaNode.Mixers;
using OpenChat.Protocol.Ids;
using OpenChat.Protocol.Media;
using OpenChat.Rtc.Transport;

namespace OpenChat.MediaFlood;

/// <summary>
/// A live call on a media node's real parts: the WebRTC endpoint on 127.0.0.1, the mixing engine on its clock, a
/// room mixer actor, and three members, each our own WebRTC client on its own loopback address, talking (a tone
/// each) every 20 ms and recording what they hear.
/// </summary>
public sealed class FloodCall : IDisposable
{
    private static readonly ChannelId Room = new("flood");
    private readonly ManualResetEventSlim _stop = new();
    private Thread? _speaker;

    private FloodCall(RtcEndpoint endpoint, MixerEngine engine, MixerClock clock, ActorSystem system)
    {
        Endpoint = endpoint;
        Engine = engine;
        Clock = clock;
        System = system;
        endpoint.SessionClosed += (session, reason) =>
        {
            lock (ClosedSessions)
            {
                ClosedSessions.Add((session, reason));
            }
        };
    }

    public RtcEndpoint Endpoint { get; }
    public MixerEngine Engine { get; }
    public MixerClock Clock { get; }
    public ActorSystem System { get; }
    public List<FloodMember> Members { get; } = [];

    /// <summary>Every session the endpoint closed, with its reason.</summary>
    public List<(RtcSession Session, string Reason)> ClosedSessions { get; } = [];

    /// <summary>Starts the node's parts and connects three members from 127.0.14.1-3.</summary>
    public static async Task<FloodCall> StartAsync()
    {
        var endpoint = new RtcEndpoint(new RtcEndpointOptions
        {
            BindAddress = IPAddress.Loopback,
            AcceptRemote = ep => IPAddress.IsLoopback(ep.Address),
            ConsentTimeout = TimeSpan.FromSeconds(10),
        });
        var engine = new MixerEngine(new EngineOptions());
        var clock = new MixerClock(engine);
        clock.Start();
        var system = ActorSystem.Create("media-flood", "akka.loglevel = WARNING\nakka.stdout-loglevel = WARNING");
        var call = new FloodCall(endpoint, engine, clock, system);
        var owner = system.ActorOf(Props.Create(() => new Owner()), "owner");
        var mixer = system.ActorOf(MixerActor.Props(Room, engine.CreateRoom(MixerActor.RoomIdFor(Room)), endpoint, owner), "mixer");
        for (int i = 0; i < 3; i++)
        {
            var member = new FloodMember(IPAddress.Parse($"127.0.14.{i + 1}"), 300 + 150 * i);
            var connected = await mixer.Ask<MemberConnected>(
                new ConnectMember(Room, new UserId($"member-{i + 1}"), member.Session.Offer, false, false), TimeSpan.FromSeconds(20));
            await member.Session.ConnectAsync(connected.SdpAnswer).WaitAsync(TimeSpan.FromSeconds(30));
            call.Members.Add(member);
        }
        call._speaker = new Thread(call.Speak) { IsBackground = true, Name = "members-speaking" };
        call._speaker.Start();
        return call;
    }

    /// <summary>Every member sends its next 20 ms packet, paced by the wall clock (late frames are sent at once).</summary>
    private void Speak()
    {
        long start = Stopwatch.GetTimestamp();
        for (long frame = 0; ; frame++)
        {
            long due = start + frame * Stopwatch.Frequency / 50;
            long wait = (due - Stopwatch.GetTimestamp()) * 1000 / Stopwatch.Frequency;
            if (wait > 0 && _stop.Wait((int)wait))
            {
                return;
            }
            if (_stop.IsSet)
            {
                return;
            }
            foreach (var member in Members)
            {
                member.SendNext();
            }
        }
    }

    public void Dispose()
    {
        _stop.Set();
        _speaker?.Join();
        foreach (var member in Members)
        {
            member.Session.Dispose();
        }
        System.Terminate().Wait(TimeSpan.FromSeconds(10));
        Clock.Dispose();
        Endpoint.Dispose();
        Engine.Dispose();
    }

    private sealed class Owner : ReceiveActor
    {
        public Owner() => ReceiveAny(_ => { });
    }
}

/// <summary>One member: its client session, a pre-encoded tone, and the arrival of every packet it hears.</summary>
public sealed class FloodMember
{
    private const int Capacity = 200_000;
    private readonly byte[][] _tone = new byte[50][];
    private readonly ushort[] _seq = new ushort[Capacity];
    private readonly long[] _ticks = new long[Capacity];
    private int _count;
    private int _sent;

    public FloodMember(IPAddress address, int frequency)
    {
        Address = address;
        var encoder = OpusCodecFactory.CreateEncoder(AudioFormat.SampleRate, 1, OpusApplication.OPUS_APPLICATION_VOIP);
        encoder.Bitrate = 32_000;
        var pcm = new short[AudioFormat.FrameSamples];
        var packet = new byte[AudioFormat.MaxOpusPacketBytes];
        for (int f = 0; f < _tone.Length; f++)
        {
            for (int i = 0; i < pcm.Length; i++)
            {
                pcm[i] = (short)(8000 * Math.Sin(2 * Math.PI * frequency * (f * pcm.Length + i) / AudioFormat.SampleRate));
            }
            int n = encoder.Encode(pcm, pcm.Length, packet, packet.Length);
            _tone[f] = packet[..n];
        }
        Session = new RtcClient(new RtcClientOptions { BindAddress = address }).CreateSession(new RtcSessionOptions { AudioReceived = OnAudio });
    }

    public IPAddress Address { get; }
    public RtcClientSession Session { get; }

    /// <summary>Packets heard so far.</summary>
    public int Received => Volatile.Read(ref _count);

    internal void SendNext()
    {
        int i = _sent++;
        Session.SendAudio(_tone[i % _tone.Length], (uint)(i * AudioFormat.FrameSamples), marker: i == 0, audioLevel: 30);
    }

    private void OnAudio(RtcSession session, in RtcAudioFrame frame)
    {
        int i = _count;
        if (i < Capacity)
        {
            _seq[i] = frame.SequenceNumber;
            _ticks[i] = Stopwatch.GetTimestamp();
            Volatile.Write(ref _count, i + 1);
        }
    }

    /// <summary>
    /// Over the packets heard from index <paramref name="from"/> to <paramref name="to"/>: the longest time between two
    /// arrivals, and the longest run of sequence numbers that never arrived (each is 20 ms of audio).
    /// </summary>
    public (double LongestGapMs, int LongestMissingRun) Gaps(int from, int to)
    {
        double gap = 0;
        int missing = 0;
        for (int i = Math.Max(from, 1); i < Math.Min(to, Received); i++)
        {
            gap = Math.Max(gap, (_ticks[i] - _ticks[i - 1]) * 1000.0 / Stopwatch.Frequency);
            int step = (ushort)(_seq[i] - _seq[i - 1]);
            if (step is > 1 and < 32768)
            {
                missing = Math.Max(missing, step - 1);
            }
        }
        return (gap, missing);
    }
}

using System.Diagnostics;
using System.Threading.Channels;
using OpenChat.Rtc.Transport;
using OpenChat.SimulatedClients.Audio;
using OpenChat.SimulatedClients.Measurement;

namespace OpenChat.SimulatedClients.Members;

/// <summary>
/// A member's media: its WebRTC sessions (<see cref="MediaLeg"/>s) to the mixer, the frames it sends on each clock
/// frame, and which session it listens to. During a renegotiation several sessions are open: all connected ones
/// send, and the newest that delivers audio replaces the older ones. Guarded by the member's lock (<c>gate</c>).
/// </summary>
internal sealed class MediaLink
{
    private readonly object _gate;
    private readonly RtcClient _rtc;
    private readonly FrameClock _clock;
    private readonly MemberMeasurement _measurement;
    private readonly SignallingLink _signalling;
    private readonly ChannelWriter<string> _renewals;
    private readonly EncodedSignal _encoded;
    private readonly int _offset;
    private readonly Random _uplinkRandom;

    // _legs are the connected sessions that send; _allLegs every session not yet closed by us.
    private MediaLeg[] _legs = [];
    private readonly HashSet<MediaLeg> _allLegs = [];
    private MediaLeg? _active;
    private int _generation = -1;
    private long _mediaSinceFrame = -1;
    private long _sendingSinceFrame = -1;
    private long _sentByClosedLegs;
    private volatile bool _stopped;

    /// <param name="renewals">Where a session that closed by itself asks for a new one.</param>
    /// <param name="signalOffset">Where in its signal's period the member starts, in frames.</param>
    /// <param name="uplinkRandom">Decides which packets the simulated network loses.</param>
    public MediaLink(SimulatedMemberOptions options, object gate, RtcClient rtc, FrameClock clock, MemberMeasurement measurement,
        SignallingLink signalling, ChannelWriter<string> renewals, int signalOffset, Random uplinkRandom)
    {
        Options = options;
        _gate = gate;
        _rtc = rtc;
        _clock = clock;
        _measurement = measurement;
        _signalling = signalling;
        _renewals = renewals;
        _encoded = EncodedSignal.For(options.Signal);
        _offset = signalOffset;
        _uplinkRandom = uplinkRandom;
    }

    public SimulatedMemberOptions Options { get; }

    public double[] Candidates => _measurement.Candidates;

    /// <summary>The clock frame from which media flowed, -1 while there is none.</summary>
    public long MediaSinceFrame => Interlocked.Read(ref _mediaSinceFrame);

    /// <summary>The clock frame from which the member sent unmuted audio, -1 while it does not.</summary>
    public long SendingSinceFrame => Interlocked.Read(ref _sendingSinceFrame);

    /// <summary>From now on a session that closes by itself asks for no new one: the member is being disposed.</summary>
    public void Stop() => _stopped = true;

    /// <summary>A new session, not yet connected; later sessions have higher generations.</summary>
    public MediaLeg NewLeg()
    {
        lock (_gate)
        {
            var leg = new MediaLeg(this, _rtc, ++_generation);
            _allLegs.Add(leg);
            return leg;
        }
    }

    /// <summary>The first session, listened to from the start; the join's clock starts.</summary>
    public MediaLeg OpenFirst()
    {
        var leg = NewLeg();
        lock (_gate)
        {
            _active = leg;
            _measurement.JoinStarted();
        }
        return leg;
    }

    /// <summary>The first session is connected: it sends from now on, audibly when <paramref name="sending"/>.</summary>
    public void FirstConnected(MediaLeg leg, bool sending)
    {
        lock (_gate)
        {
            _legs = [leg];
            long frame = _clock.CurrentFrame;
            Interlocked.Exchange(ref _mediaSinceFrame, frame);
            Interlocked.Exchange(ref _sendingSinceFrame, sending ? frame : -1);
        }
    }

    /// <summary>Whether the member sends audibly (neither muted nor deafened); counted from now when it starts.</summary>
    public void SetSending(bool wanted)
    {
        lock (_gate)
        {
            bool sending = wanted && Interlocked.Read(ref _mediaSinceFrame) >= 0;
            long current = Interlocked.Read(ref _sendingSinceFrame);
            if (!sending) Interlocked.Exchange(ref _sendingSinceFrame, -1);
            else if (current < 0) Interlocked.Exchange(ref _sendingSinceFrame, _clock.CurrentFrame);
        }
    }

    /// <summary>Sends the signal's frame for clock frame <paramref name="frame"/> on every connected session. On the clock thread.</summary>
    public void SendFrame(long frame)
    {
        var legs = Volatile.Read(ref _legs);
        if (legs.Length > 0)
        {
            long signalFrame = frame + _offset;
            var packet = _encoded.Packet(signalFrame);
            byte level = _encoded.Level(signalFrame);
            bool lost = Options.UplinkLoss > 0 && _uplinkRandom.NextDouble() < Options.UplinkLoss;
            foreach (var leg in legs) leg.Send(packet, level, frame, lost);
        }
    }

    /// <summary>Packets sent over every session, the closed ones included.</summary>
    public long SentTotal()
    {
        lock (_gate)
        {
            long total = _sentByClosedLegs;
            foreach (var leg in _legs) total += leg.Session.Statistics.PacketsSent;
            return total;
        }
    }

    /// <summary>Voice is over: nothing is sent any more. Returns every session, for the caller to close. The caller holds the gate.</summary>
    public MediaLeg[] DetachAll()
    {
        Interlocked.Exchange(ref _mediaSinceFrame, -1);
        Interlocked.Exchange(ref _sendingSinceFrame, -1);
        var legs = _allLegs.ToArray();
        foreach (var leg in _legs) _sentByClosedLegs += leg.Session.Statistics.PacketsSent;
        _allLegs.Clear();
        _legs = [];
        return legs;
    }

    /// <summary>Closes a session that did not come up.</summary>
    public void Discard(MediaLeg leg, string reason)
    {
        leg.Close(reason);
        lock (_gate) _allLegs.Remove(leg);
    }

    /// <summary>A renegotiated session is connected: it sends too, unless voice ended meanwhile (then it is closed: false).</summary>
    public bool Admit(MediaLeg leg)
    {
        lock (_gate)
        {
            if (!_signalling.InVoice)
            {
                leg.Close("voice ended during renegotiation");
                _allLegs.Remove(leg);
                return false;
            }
            _legs = [.. _legs, leg];
            return true;
        }
    }

    /// <summary>
    /// The old sessions' grace is over: <paramref name="leg"/> is listened to unless a newer session already is, and
    /// <paramref name="pending"/> says why the renegotiation brought no audio if it did not.
    /// </summary>
    public void Settle(MediaLeg leg, PendingReconnect pending)
    {
        lock (_gate)
        {
            if (_active is null || _active.Generation < leg.Generation)
            {
                if (_allLegs.Contains(leg)) SwitchTo(leg, Stopwatch.GetTimestamp(), delivered: false);
                if (pending.FirstAudioTimestamp == 0) pending.Error = "the new session carried no audible audio within the grace period";
            }
            else if (_active != leg && pending.FirstAudioTimestamp == 0)
            {
                pending.Error = "superseded by a later session";
            }
        }
    }

    // ---- receive loops ----

    internal void OnPacket(MediaLeg leg, SequenceResult result)
    {
        lock (_gate) _measurement.OnPacket(leg == _active, result);
    }

    internal void OnPlayoutUnderrun(MediaLeg leg)
    {
        lock (_gate)
        {
            if (leg == _active) _measurement.OnPlayoutUnderrun();
        }
    }

    internal void OnConcealed(MediaLeg leg, int frames)
    {
        lock (_gate)
        {
            if (leg == _active) _measurement.OnConcealed(frames);
        }
    }

    /// <summary>
    /// A packet of a member that only counts (<see cref="ListenerAnalysis.Count"/>): audible when its RFC 6464 level
    /// (-dBov, -1 when absent) reaches the audibility threshold; a packet without a level counts as audible.
    /// </summary>
    internal void OnCounted(MediaLeg leg, int audioLevel, int payloadLength)
    {
        double db = audioLevel < 0 ? double.NaN : -audioLevel;
        bool audible = payloadLength > 0 && (audioLevel < 0 || db >= Options.AudibleDbfs);
        OnFrame(leg, new FrameAnalysis(db, audible, double.NaN), null, null);
    }

    internal void OnDecoded(MediaLeg leg, FrameAnalysis analysis, double[] levels, bool[] heard) => OnFrame(leg, analysis, levels, heard);

    /// <summary>A frame of <paramref name="leg"/> was judged; <paramref name="levels"/> and <paramref name="heard"/> are null when it was only counted.</summary>
    private void OnFrame(MediaLeg leg, FrameAnalysis analysis, double[]? levels, bool[]? heard)
    {
        long now = Stopwatch.GetTimestamp();
        lock (_gate)
        {
            if (leg != _active)
            {
                // A newer session replaces the active one once it carries audio; until then it is only counted.
                if (!analysis.Audible || (_active is not null && leg.Generation <= _active.Generation)) return;
                SwitchTo(leg, now, delivered: true);
            }
            _measurement.OnDecoded(analysis, levels, heard, now);
        }
    }

    internal void OnLegClosed(MediaLeg leg, string reason)
    {
        bool renew;
        lock (_gate)
        {
            _allLegs.Remove(leg);
            bool sending = _legs.Contains(leg);
            if (sending)
            {
                _legs = _legs.Where(l => l != leg).ToArray();
                _sentByClosedLegs += leg.Session.Statistics.PacketsSent;
            }
            // Only the newest connected session's end needs a new one; older ones were about to be replaced anyway.
            renew = sending && leg.Generation == _generation && _signalling.InVoice && !_stopped;
        }
        if (renew) _renewals.TryWrite("media session closed: " + reason);
    }

    /// <summary>Makes <paramref name="leg"/> the session listened to and closes the older ones. Under the gate.</summary>
    private void SwitchTo(MediaLeg leg, long now, bool delivered)
    {
        var older = _allLegs.Where(l => l.Generation < leg.Generation).ToArray();
        foreach (var old in older)
        {
            _allLegs.Remove(old);
            if (_legs.Contains(old)) _sentByClosedLegs += old.Session.Statistics.PacketsSent;
        }
        _legs = _legs.Where(l => l.Generation >= leg.Generation).ToArray();
        _active = leg;
        if (leg.Pending is { } pending && delivered)
        {
            long lastAudible = _measurement.LastAudibleTimestamp;
            pending.FirstAudioTimestamp = now;
            pending.AudioGap = lastAudible == 0 ? null : Stopwatch.GetElapsedTime(lastAudible, now);
        }
        if (delivered) leg.Delivered.TrySetResult();
        if (older.Length > 0)
        {
            ThreadPool.QueueUserWorkItem(_ =>
            {
                foreach (var old in older) old.Close("replaced by a newer session");
            });
        }
    }
}

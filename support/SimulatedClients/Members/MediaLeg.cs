using System.Security.Cryptography;
using Concentus;
using OpenChat.SimulatedClients.Audio;
using OpenChat.SimulatedClients.Measurement;
using OpenChat.Rtc.Transport;

namespace OpenChat.SimulatedClients.Members;

/// <summary>
/// One WebRTC session of a simulated member (a browser's peer connection): sends the member's frames and decodes
/// and analyses what the mixer sends back, on the session's own receive loop (or, for a member that only counts,
/// judges each packet by its RFC 6464 level).
/// </summary>
internal sealed class MediaLeg
{
    // Consecutive lost frames concealed before the decoder is simply handed the next packet.
    private const int MaxConcealedFrames = 5;

    private readonly MediaLink _owner;
    private readonly IOpusDecoder? _decoder;
    private readonly short[] _pcm;
    private readonly byte[] _dropped = new byte[1500];
    private readonly uint _timestampBase = (uint)RandomNumberGenerator.GetInt32(int.MaxValue);
    private SequenceTracker _tracker = new();
    private uint? _ssrc;
    private double[]? _analyzerSource;
    private FrameAnalyzer? _analyzer;
    private double[] _levels = [];
    private bool[] _heard = [];
    private bool _sentAny;
    private readonly PlayoutClock _playout;
    private volatile bool _closedByUs;

    public MediaLeg(MediaLink owner, RtcClient client, int generation)
    {
        _owner = owner;
        Generation = generation;
        if (owner.Options.Analysis == ListenerAnalysis.Full)
        {
            _decoder = OpusCodecs.CreateDecoder();
            _pcm = new short[AudioFormat.FrameSamples];
        }
        else
        {
            _pcm = [];
        }
        _playout = new PlayoutClock(owner.Options.PlayoutDelay, System.Diagnostics.Stopwatch.Frequency);
        Session = client.CreateSession(new RtcSessionOptions { AudioReceived = OnAudio });
        Session.Closed += (_, reason) =>
        {
            if (!_closedByUs) owner.OnLegClosed(this, reason);
        };
    }

    /// <summary>Later sessions have higher numbers; the newest one that delivers audio replaces the older ones.</summary>
    public int Generation { get; }

    public RtcClientSession Session { get; }

    public bool IsConnected => Session.State == RtcSessionState.Connected;

    /// <summary>The renegotiation this session was made for; null for the first session.</summary>
    public PendingReconnect? Pending { get; set; }

    /// <summary>Set once the first audible frame from this session has been analysed.</summary>
    public TaskCompletionSource Delivered { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>
    /// Sends one frame; the RTP timestamp advances 960 per clock frame, so skipped frames leave a hole in time, as in a
    /// real capture. A <paramref name="lost"/> frame is numbered and protected but not sent: the network lost it.
    /// </summary>
    public void Send(ReadOnlySpan<byte> packet, byte level, long clockFrame, bool lost)
    {
        if (!IsConnected) return;
        uint timestamp = unchecked(_timestampBase + (uint)(clockFrame * AudioFormat.FrameSamples));
        bool done = lost
            ? Session.TryBuildAudioPacket(packet, timestamp, marker: !_sentAny, level, _dropped, out _)
            : Session.SendAudio(packet, timestamp, marker: !_sentAny, level);
        if (done) _sentAny = true;
    }

    public void Close(string reason)
    {
        _closedByUs = true;
        Session.Close(reason);
    }

    private void OnAudio(RtcSession session, in RtcAudioFrame frame) =>
        Receive(frame.Ssrc, frame.SequenceNumber, frame.Timestamp, frame.Marker, frame.AudioLevel, frame.Payload);

    /// <summary>
    /// One RTP packet from the mixer, already authenticated and decrypted: numbered, timed against the jitter buffer,
    /// then decoded and analysed, or for a member that only counts judged by its RFC 6464 <paramref name="audioLevel"/>
    /// (-1: none). On the session's receive loop.
    /// </summary>
    internal void Receive(uint ssrc, ushort sequenceNumber, uint timestamp, bool marker, int audioLevel, ReadOnlySpan<byte> payload)
    {
        if (_ssrc != ssrc)
        {
            _ssrc = ssrc;
            _tracker = new SequenceTracker();
        }
        var result = _tracker.Add(sequenceNumber);
        _owner.OnPacket(this, result);
        // A real jitter buffer would slot a late packet in; for this listener its moment has passed.
        if (result.Kind is SequenceKind.Late or SequenceKind.Duplicate) return;
        if (_playout.Arrive(System.Diagnostics.Stopwatch.GetTimestamp(), timestamp, marker)) _owner.OnPlayoutUnderrun(this);
        if (_decoder is null)
        {
            _owner.OnCounted(this, audioLevel, payload.Length);
            return;
        }

        if (result.Kind == SequenceKind.InOrder && result.Missing is > 0 and <= MaxConcealedFrames)
        {
            for (int i = 0; i < result.Missing - 1; i++) Decode(ReadOnlySpan<byte>.Empty, fec: false);
            // The packet after a loss carries a low-bitrate copy of the lost frame (in-band FEC) when the mixer sends one.
            Decode(payload, fec: true);
            _owner.OnConcealed(this, result.Missing);
        }

        if (!Decode(payload, fec: false))
        {
            _owner.OnConcealed(this, 1);
            return;
        }

        var candidates = _owner.Candidates;
        if (!ReferenceEquals(candidates, _analyzerSource))
        {
            _analyzer = new FrameAnalyzer(candidates, _owner.Options.AudibleDbfs, _owner.Options.HeardLevelDb);
            _levels = new double[candidates.Length];
            _heard = new bool[candidates.Length];
            _analyzerSource = candidates;
        }
        var analysis = _analyzer!.Analyse(_pcm, _levels, _heard);
        _owner.OnDecoded(this, analysis, _levels, _heard);
    }

    private bool Decode(ReadOnlySpan<byte> payload, bool fec)
    {
        var decoder = _decoder!;
        try
        {
            int samples = decoder.Decode(payload, _pcm, AudioFormat.FrameSamples, fec);
            if (samples < AudioFormat.FrameSamples) _pcm.AsSpan(Math.Max(0, samples)).Clear();
            return samples > 0;
        }
        catch (Exception)
        {
            // A corrupt packet is concealed, as a browser would; it must not stop the receive loop.
            try
            {
                decoder.Decode(ReadOnlySpan<byte>.Empty, _pcm, AudioFormat.FrameSamples, false);
            }
            catch (Exception)
            {
                _pcm.AsSpan().Clear();
            }
            return false;
        }
    }
}

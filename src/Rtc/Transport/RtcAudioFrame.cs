using OpenChat.Rtc.Rtp;

namespace OpenChat.Rtc.Transport;

/// <summary>An inbound audio packet, valid only for the duration of the callback (its payload is the receive buffer).</summary>
public readonly ref struct RtcAudioFrame
{
    internal RtcAudioFrame(in RtpPacket rtp, int audioLevel, bool voiceActivity)
    {
        Ssrc = rtp.Ssrc;
        SequenceNumber = rtp.SequenceNumber;
        Timestamp = rtp.Timestamp;
        Marker = rtp.Marker;
        PayloadType = rtp.PayloadType;
        AudioLevel = audioLevel;
        VoiceActivity = voiceActivity;
        Payload = rtp.Payload;
    }

    /// <summary>Sender's SSRC.</summary>
    public uint Ssrc { get; }

    /// <summary>RTP sequence number.</summary>
    public ushort SequenceNumber { get; }

    /// <summary>RTP timestamp (48 kHz for Opus).</summary>
    public uint Timestamp { get; }

    /// <summary>RTP marker bit (start of a talkspurt).</summary>
    public bool Marker { get; }

    /// <summary>RTP payload type.</summary>
    public byte PayloadType { get; }

    /// <summary>RFC 6464 level in -dBov (0 loudest, 127 silence), or -1 when the packet carries none.</summary>
    public int AudioLevel { get; }

    /// <summary>RFC 6464 voice activity flag (false when absent).</summary>
    public bool VoiceActivity { get; }

    /// <summary>The Opus payload.</summary>
    public ReadOnlySpan<byte> Payload { get; }
}

/// <summary>Receives audio synchronously on the receive thread; must not block and must copy what it keeps.</summary>
public delegate void RtcAudioHandler(RtcSession session, in RtcAudioFrame frame);

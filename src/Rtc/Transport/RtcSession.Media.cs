using System.Diagnostics;
using OpenChat.Rtc.Rtcp;
using OpenChat.Rtc.Rtp;
using OpenChat.Rtc.Srtp;

namespace OpenChat.Rtc.Transport;

/// <summary>The media half of a session: SRTP and RTCP in, RTP and RTCP out.</summary>
public partial class RtcSession
{
    /// <summary>The middle 32 bits of the NTP time of the peer's last sender report (0: none yet), and when it arrived.</summary>
    private uint _lastSenderReport;
    private long _lastSenderReportTicks;

    /// <summary>The RTP clock of the one codec the transport carries (Opus, RFC 7587).</summary>
    private const int OpusClockRate = 48000;

    // ---- SRTP in ----

    /// <summary>
    /// An SRTP or SRTCP packet from one of the session's known addresses, decrypted in place (receive thread). Only
    /// packets from the selected address refresh consent (<paramref name="refreshesConsent"/>).
    /// </summary>
    internal void HandleSrtp(Span<byte> packet, bool isRtcp, bool refreshesConsent)
    {
        lock (_receiveLock)
        {
            var inbound = _inbound;
            if (inbound is null)
            {
                Interlocked.Increment(ref Statistics.SrtpRejectedField);
                return;
            }
            if (isRtcp)
            {
                if (!inbound.UnprotectRtcp(packet, out int rtcpLength))
                {
                    Interlocked.Increment(ref Statistics.SrtpRejectedField);
                    Interlocked.Increment(ref RtcMetrics.SrtpAuthFailures);
                    return;
                }
                if (refreshesConsent)
                {
                    Touch();
                }
                Interlocked.Increment(ref Statistics.RtcpReceivedField);
                ReadRtcp(packet[..rtcpLength]);
                return;
            }
            if (!inbound.UnprotectRtp(packet, out int length) || !RtpPacket.TryParse(packet[..length], out var rtp))
            {
                Interlocked.Increment(ref Statistics.SrtpRejectedField);
                Interlocked.Increment(ref RtcMetrics.SrtpAuthFailures);
                return;
            }
            if (refreshesConsent)
            {
                Touch();
            }
            Interlocked.Increment(ref Statistics.PacketsReceivedField);
            if (_firstAudioTicks < 0)
            {
                Volatile.Write(ref _firstAudioTicks, _clock.ElapsedTicks);
            }
            _receiveStats ??= new RtpReceiveStatistics(rtp.Ssrc);
            if (_receiveStats.Ssrc == rtp.Ssrc)
            {
                _receiveStats.Update(rtp.SequenceNumber, rtp.Timestamp, _clock.ElapsedTicks / (double)Stopwatch.Frequency);
            }
            var handler = AudioReceived;
            if (handler is null)
            {
                return;
            }
            int level = -1;
            bool voice = false;
            if (AudioLevelExtensionId != 0 && rtp.TryGetAudioLevel(AudioLevelExtensionId, out byte l, out voice))
            {
                level = l;
            }
            var frame = new RtcAudioFrame(rtp, level, voice);
            try
            {
                handler(this, frame);
            }
            catch (Exception)
            {
                // A faulty consumer must not take the receive loop down.
            }
        }
    }

    private void ReadRtcp(ReadOnlySpan<byte> compound)
    {
        var reader = new RtcpCompoundReader(compound);
        while (reader.TryReadNext(out var packet))
        {
            if (packet.Type == RtcpPacketType.SenderReport && packet.TryGetSenderInfo(out var sender))
            {
                // Kept for the LSR and DLSR of our next report, from which the peer works out the round trip.
                _lastSenderReport = (uint)(sender.NtpTimestamp >> 16);
                _lastSenderReportTicks = _clock.ElapsedTicks;
            }
            if (packet.Type is RtcpPacketType.SenderReport or RtcpPacketType.ReceiverReport)
            {
                for (int i = 0; i < packet.ReportBlockCount; i++)
                {
                    var block = packet.GetReportBlock(i);
                    if (block.Ssrc == LocalSsrc)
                    {
                        Statistics.RemoteFractionLost = block.FractionLost;
                        Statistics.RemoteCumulativeLost = block.CumulativeLost;
                        Statistics.RemoteJitter = block.Jitter;
                        RtcMetrics.RecordReport(block, RtcpSenderInfo.ToNtp(DateTime.UtcNow), OpusClockRate);
                    }
                }
            }
            // A BYE ends the peer's stream only; the session stays until ICE consent or DTLS says otherwise.
        }
    }

    // ---- send ----

    /// <summary>
    /// Sends one Opus packet: builds RTP with our SSRC and next sequence number, protects and sends it.
    /// Returns false if the session is not connected.
    /// </summary>
    /// <param name="opusPayload">The Opus packet.</param>
    /// <param name="rtpTimestamp">RTP timestamp at 48 kHz.</param>
    /// <param name="marker">Marker bit (first packet of a talkspurt).</param>
    /// <param name="audioLevel">RFC 6464 level (0-127 -dBov) to attach when negotiated, or -1 for none.</param>
    public bool SendAudio(ReadOnlySpan<byte> opusPayload, uint rtpTimestamp, bool marker = false, int audioLevel = -1)
    {
        lock (_sendLock)
        {
            var remote = RemoteAddress;
            if (remote is null || !BuildAudioPacketLocked(opusPayload, rtpTimestamp, marker, audioLevel, _sendBuffer, out int length))
            {
                return false;
            }
            _host.Send(_sendBuffer.AsSpan(0, length), remote);
            return true;
        }
    }

    /// <summary>Builds and protects the next audio packet into <paramref name="destination"/> without sending it.</summary>
    internal bool TryBuildAudioPacket(ReadOnlySpan<byte> opusPayload, uint rtpTimestamp, bool marker, int audioLevel,
        Span<byte> destination, out int protectedLength)
    {
        lock (_sendLock)
        {
            return BuildAudioPacketLocked(opusPayload, rtpTimestamp, marker, audioLevel, destination, out protectedLength);
        }
    }

    /// <summary>The body of <see cref="TryBuildAudioPacket"/>; the caller holds the send lock.</summary>
    private bool BuildAudioPacketLocked(ReadOnlySpan<byte> opusPayload, uint rtpTimestamp, bool marker, int audioLevel,
        Span<byte> destination, out int protectedLength)
    {
        protectedLength = 0;
        var outbound = _outbound;
        if (outbound is null || State != RtcSessionState.Connected)
        {
            return false;
        }
        bool withLevel = audioLevel >= 0 && AudioLevelExtensionId is > 0 and <= 14;
        int length = RtpWriter.WriteHeader(destination, marker, (byte)OpusPayloadType, _sequence, rtpTimestamp, LocalSsrc, withLevel);
        if (withLevel)
        {
            var ext = new RtpHeaderExtensionWriter(destination[length..]);
            ext.AddAudioLevel(AudioLevelExtensionId, (byte)Math.Min(audioLevel, 127), voice: audioLevel < 127);
            length += ext.Complete();
        }
        if (length + opusPayload.Length + outbound.RtpOverhead > destination.Length)
        {
            return false;
        }
        opusPayload.CopyTo(destination[length..]);
        length += opusPayload.Length;
        if (!outbound.ProtectRtp(destination, length, out protectedLength))
        {
            return false;
        }
        _sequence++;
        _lastRtpTimestamp = rtpTimestamp;
        Statistics.PacketsSentField++;
        Statistics.BytesSentField += opusPayload.Length;
        return true;
    }

    /// <summary>Sends a compound RTCP report (SR if we have sent audio, else RR, plus SDES CNAME).</summary>
    public bool SendRtcpReport()
    {
        RtcpReportBlock? block = null;
        lock (_receiveLock)
        {
            if (_receiveStats is not null)
            {
                uint delay = 0;
                if (_lastSenderReport != 0)
                {
                    // DLSR: the time since that sender report arrived, in units of 1/65536 s (RFC 3550 6.4.1).
                    delay = (uint)Math.Min(uint.MaxValue, (_clock.ElapsedTicks - _lastSenderReportTicks) * 65536 / Stopwatch.Frequency);
                }
                block = _receiveStats.CreateReportBlock(_lastSenderReport, delay);
            }
        }
        lock (_sendLock)
        {
            var outbound = _outbound;
            var remote = RemoteAddress;
            if (outbound is null || remote is null || State != RtcSessionState.Connected)
            {
                return false;
            }
            var buffer = _rtcpBuffer.AsSpan();
            ReadOnlySpan<RtcpReportBlock> blocks = block is null ? [] : [block.Value];
            int length = Statistics.PacketsSentField > 0
                ? RtcpWriter.WriteSenderReport(buffer, LocalSsrc,
                    new RtcpSenderInfo(RtcpSenderInfo.ToNtp(DateTime.UtcNow), _lastRtpTimestamp, (uint)Statistics.PacketsSentField, (uint)Statistics.BytesSentField),
                    blocks)
                : RtcpWriter.WriteReceiverReport(buffer, LocalSsrc, blocks);
            length += RtcpWriter.WriteSourceDescription(buffer[length..], LocalSsrc, Cname);
            if (!outbound.ProtectRtcp(buffer, length, out int protectedLength))
            {
                return false;
            }
            _host.Send(buffer[..protectedLength], remote);
            return true;
        }
    }
}

using System.Buffers.Binary;
using OpenChat.Rtc.Rtp;

namespace OpenChat.Rtc.Srtp;

/// <summary>
/// One direction of an SRTP session: protects or unprotects RTP and RTCP in place over spans,
/// keeping a rollover counter and a 64-packet replay window per SSRC.
/// </summary>
/// <remarks>
/// Not thread safe: a context is used by one thread at a time (the receive loop for inbound,
/// the session's send lock for outbound). A packet that fails authentication changes no state.
/// </remarks>
public sealed class SrtpContext : IDisposable
{
    /// <summary>How many SSRCs one context tracks; packets for further SSRCs are refused.</summary>
    public const int DefaultMaxSsrcs = 16;

    private readonly SrtpCipher _cipher;
    private readonly SsrcState[] _states;
    private int _stateCount;
    private uint _nextRtcpIndex;

    /// <summary>Creates a context from a DTLS-SRTP master key and salt.</summary>
    public SrtpContext(SrtpProfile profile, ReadOnlySpan<byte> masterKey, ReadOnlySpan<byte> masterSalt, int maxSsrcs = DefaultMaxSsrcs)
        : this(profile, CreateCipher(profile, masterKey, masterSalt), maxSsrcs)
    {
    }

    internal SrtpContext(SrtpProfile profile, SrtpCipher cipher, int maxSsrcs = DefaultMaxSsrcs)
    {
        Profile = profile;
        _cipher = cipher;
        _states = new SsrcState[maxSsrcs];
    }

    private static SrtpCipher CreateCipher(SrtpProfile profile, ReadOnlySpan<byte> masterKey, ReadOnlySpan<byte> masterSalt)
    {
        if (masterKey.Length != SrtpProfileInfo.MasterKeyLength(profile) || masterSalt.Length != SrtpProfileInfo.MasterSaltLength(profile))
        {
            throw new ArgumentException($"Wrong master key or salt length for {profile}.");
        }
        return profile switch
        {
            SrtpProfile.Aes128CmHmacSha1_80 => new AesCmHmacSha1Cipher(masterKey, masterSalt),
            SrtpProfile.AeadAes128Gcm => new AesGcmCipher(masterKey, masterSalt),
            _ => throw new ArgumentOutOfRangeException(nameof(profile)),
        };
    }

    /// <summary>The SRTCP index the next protected RTCP packet gets (RFC 3711 starts at 0; libsrtp at 1).</summary>
    internal uint NextRtcpIndex
    {
        get => _nextRtcpIndex;
        set => _nextRtcpIndex = value & 0x7FFFFFFFu;
    }

    /// <summary>The protection profile.</summary>
    public SrtpProfile Profile { get; }

    /// <summary>Bytes a protected RTP packet grows by.</summary>
    public int RtpOverhead => _cipher.TagLength;

    /// <summary>Bytes a protected RTCP packet grows by.</summary>
    public int RtcpOverhead => _cipher.TagLength + 4;

    /// <summary>Packets refused because authentication failed.</summary>
    public long AuthenticationFailures { get; private set; }

    /// <summary>Packets refused as replays or older than the window.</summary>
    public long ReplaysRefused { get; private set; }

    /// <summary>The rollover counter for <paramref name="ssrc"/>, or null if unknown.</summary>
    public uint? GetRolloverCounter(uint ssrc)
    {
        var s = Find(ssrc);
        return s is null ? null : s.Roc;
    }

    /// <summary>
    /// Protects the RTP packet in <paramref name="buffer"/>[..<paramref name="length"/>]; the buffer must have
    /// <see cref="RtpOverhead"/> spare bytes after it.
    /// </summary>
    public bool ProtectRtp(Span<byte> buffer, int length, out int protectedLength)
    {
        protectedLength = 0;
        if (length > SrtpCipher.MaxPacketLength || buffer.Length < length + RtpOverhead
            || !RtpPacket.TryGetHeaderLength(buffer[..length], out int headerLength))
        {
            return false;
        }
        uint ssrc = BinaryPrimitives.ReadUInt32BigEndian(buffer[8..]);
        ushort seq = BinaryPrimitives.ReadUInt16BigEndian(buffer[2..]);
        var state = Find(ssrc) ?? Add(ssrc);
        if (state is null)
        {
            return false;
        }
        if (!state.TryEstimateIndex(seq, out ulong index))
        {
            return false;
        }
        state.Rtp.Accept(index);
        state.Update(index);
        protectedLength = _cipher.ProtectRtp(buffer, headerLength, length, ssrc, index);
        return true;
    }

    /// <summary>
    /// Authenticates, replay-checks and decrypts the SRTP packet in place. On success <paramref name="length"/>
    /// is the plain RTP length; on failure nothing changes.
    /// </summary>
    public bool UnprotectRtp(Span<byte> packet, out int length)
    {
        length = 0;
        if (packet.Length > SrtpCipher.MaxPacketLength + _cipher.TagLength
            || packet.Length < RtpPacket.FixedHeaderLength + _cipher.TagLength
            || !RtpPacket.TryGetHeaderLength(packet[..^_cipher.TagLength], out int headerLength))
        {
            return false;
        }
        uint ssrc = BinaryPrimitives.ReadUInt32BigEndian(packet[8..]);
        ushort seq = BinaryPrimitives.ReadUInt16BigEndian(packet[2..]);
        var state = Find(ssrc);
        ulong index;
        if (state is null)
        {
            index = seq; // a new SSRC starts with ROC 0 (RFC 3711 3.3.1)
        }
        else
        {
            if (!state.TryEstimateIndex(seq, out index) || !state.Rtp.Check(index))
            {
                ReplaysRefused++;
                return false;
            }
        }
        if (!_cipher.UnprotectRtp(packet, headerLength, ssrc, index, out length))
        {
            AuthenticationFailures++;
            return false;
        }
        if (state is null)
        {
            state = Add(ssrc);
            if (state is null)
            {
                length = 0;
                return false;
            }
        }
        state.Rtp.Accept(index);
        state.Update(index);
        return true;
    }

    /// <summary>
    /// Protects the RTCP compound packet in <paramref name="buffer"/>[..<paramref name="length"/>]; the buffer must have
    /// <see cref="RtcpOverhead"/> spare bytes.
    /// </summary>
    public bool ProtectRtcp(Span<byte> buffer, int length, out int protectedLength)
    {
        protectedLength = 0;
        if (length < 8 || length > SrtpCipher.MaxPacketLength || buffer.Length < length + RtcpOverhead)
        {
            return false;
        }
        uint ssrc = BinaryPrimitives.ReadUInt32BigEndian(buffer[4..]);
        uint index = _nextRtcpIndex;
        _nextRtcpIndex = (_nextRtcpIndex + 1) & 0x7FFFFFFFu;
        protectedLength = _cipher.ProtectRtcp(buffer, length, ssrc, index);
        return true;
    }

    /// <summary>Authenticates, replay-checks and decrypts an SRTCP packet in place.</summary>
    public bool UnprotectRtcp(Span<byte> packet, out int length)
    {
        length = 0;
        if (packet.Length > SrtpCipher.MaxPacketLength + RtcpOverhead || !_cipher.TryReadRtcpIndex(packet, out uint eAndIndex))
        {
            return false;
        }
        uint ssrc = BinaryPrimitives.ReadUInt32BigEndian(packet[4..]);
        ulong index = eAndIndex & 0x7FFFFFFFu;
        var state = Find(ssrc);
        if (state is not null && !state.Rtcp.Check(index))
        {
            ReplaysRefused++;
            return false;
        }
        if (!_cipher.UnprotectRtcp(packet, ssrc, eAndIndex, out length))
        {
            AuthenticationFailures++;
            length = 0;
            return false;
        }
        state ??= Add(ssrc);
        if (state is null)
        {
            length = 0;
            return false;
        }
        state.Rtcp.Accept(index);
        return true;
    }

    private SsrcState? Find(uint ssrc)
    {
        for (int i = 0; i < _stateCount; i++)
        {
            if (_states[i].Ssrc == ssrc)
            {
                return _states[i];
            }
        }
        return null;
    }

    private SsrcState? Add(uint ssrc)
    {
        if (_stateCount == _states.Length)
        {
            return null;
        }
        var state = new SsrcState(ssrc);
        _states[_stateCount++] = state;
        return state;
    }

    /// <inheritdoc />
    public void Dispose() => _cipher.Dispose();

    private sealed class SsrcState(uint ssrc)
    {
        public readonly uint Ssrc = ssrc;
        public uint Roc;
        public ushort HighestSeq;
        public bool Started;
        public SrtpReplayWindow Rtp;
        public SrtpReplayWindow Rtcp;

        /// <summary>RFC 3711 appendix A: guess the ROC of <paramref name="seq"/> from the highest sequence seen.</summary>
        public bool TryEstimateIndex(ushort seq, out ulong index)
        {
            index = seq;
            if (!Started)
            {
                return true;
            }
            long v = Roc;
            if (HighestSeq < 32768)
            {
                if (seq - HighestSeq > 32768)
                {
                    v = Roc - 1L;
                }
            }
            else if (HighestSeq - 32768 > seq)
            {
                v = Roc + 1L;
            }
            if (v < 0)
            {
                // Would precede the first packet ever seen: refuse rather than wrap.
                return false;
            }
            index = ((ulong)v << 16) | seq;
            return true;
        }

        public void Update(ulong index)
        {
            ulong highest = ((ulong)Roc << 16) | HighestSeq;
            if (!Started || index > highest)
            {
                Started = true;
                Roc = (uint)(index >> 16);
                HighestSeq = (ushort)index;
            }
        }
    }
}

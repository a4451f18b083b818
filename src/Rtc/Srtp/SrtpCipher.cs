namespace OpenChat.Rtc.Srtp;

/// <summary>The per-packet cryptographic transform of one SRTP profile; state (ROC, replay) lives in <see cref="SrtpContext"/>.</summary>
internal abstract class SrtpCipher : IDisposable
{
    /// <summary>Largest payload the preallocated buffers take; bigger packets are refused.</summary>
    public const int MaxPacketLength = 8192;

    /// <summary>Bytes of <see cref="Scratch"/>: a whole packet, and for counter mode its keystream blocks.</summary>
    internal const int ScratchLength = (MaxPacketLength / 16 + 1) * 16;

    // Every cipher works on packets one at a time and keeps nothing between calls, so the buffers it computes in are
    // the thread's rather than the session's: a few threads protect and unprotect, thousands of sessions hold keys.
    [ThreadStatic]
    private static byte[]? t_scratch;

    [ThreadStatic]
    private static byte[]? t_scratch2;

    /// <summary>This thread's scratch buffer of <see cref="ScratchLength"/> bytes; valid until the calling method returns.</summary>
    private protected static byte[] Scratch => t_scratch ??= new byte[ScratchLength];

    /// <summary>A second buffer like <see cref="Scratch"/>, for transforms that need two.</summary>
    private protected static byte[] Scratch2 => t_scratch2 ??= new byte[ScratchLength];

    public abstract int TagLength { get; }

    /// <summary>Encrypts the payload in place and appends the tag; returns the new length.</summary>
    public abstract int ProtectRtp(Span<byte> buffer, int headerLength, int length, uint ssrc, ulong index);

    /// <summary>Authenticates then decrypts in place; on failure the packet is left untouched.</summary>
    public abstract bool UnprotectRtp(Span<byte> packet, int headerLength, uint ssrc, ulong index, out int length);

    /// <summary>Protects an RTCP compound packet with SRTCP index <paramref name="index"/>; returns the new length.</summary>
    public abstract int ProtectRtcp(Span<byte> buffer, int length, uint ssrc, uint index);

    /// <summary>Reads the E flag and SRTCP index of a protected packet.</summary>
    public abstract bool TryReadRtcpIndex(ReadOnlySpan<byte> packet, out uint eAndIndex);

    /// <summary>Authenticates then decrypts an SRTCP packet in place.</summary>
    public abstract bool UnprotectRtcp(Span<byte> packet, uint ssrc, uint eAndIndex, out int length);

    public abstract void Dispose();
}

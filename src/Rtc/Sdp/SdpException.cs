namespace OpenChat.Rtc.Sdp;

/// <summary>An SDP text that cannot be parsed; <see cref="Exception.Message"/> says which line and why.</summary>
public sealed class SdpException : FormatException
{
    /// <summary>Creates the exception with a reason.</summary>
    public SdpException(string reason) : base(reason)
    {
    }
}

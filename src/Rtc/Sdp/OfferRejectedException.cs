namespace OpenChat.Rtc.Sdp;

/// <summary>A well-formed offer this library cannot serve (no audio, no Opus, no fingerprint, ...).</summary>
public sealed class OfferRejectedException : Exception
{
    /// <summary>Creates the exception with a reason meant for logs and for the signalling peer.</summary>
    public OfferRejectedException(string reason) : base(reason)
    {
        Reason = reason;
    }

    /// <summary>Why the offer was refused.</summary>
    public string Reason { get; }
}

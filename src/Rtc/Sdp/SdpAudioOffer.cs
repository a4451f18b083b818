namespace OpenChat.Rtc.Sdp;

/// <summary>What an accepted offer asks for: the remote ICE credentials, fingerprint and the negotiated audio parameters.</summary>
public sealed record SdpAudioOffer(
    int MediaIndex,
    string? Mid,
    string RemoteUfrag,
    string RemotePassword,
    SdpFingerprint RemoteFingerprint,
    string RemoteSetup,
    int OpusPayloadType,
    int AudioLevelExtensionId,
    IReadOnlyList<uint> RemoteSsrcs,
    string RemoteDirection);

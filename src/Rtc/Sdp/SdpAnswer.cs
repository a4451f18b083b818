using OpenChat.Rtc.Ice;

namespace OpenChat.Rtc.Sdp;

/// <summary>What the client side needs from an answer.</summary>
public sealed record SdpAnswer(
    string RemoteUfrag,
    string RemotePassword,
    SdpFingerprint RemoteFingerprint,
    string RemoteSetup,
    bool IceLite,
    IReadOnlyList<IceCandidate> Candidates,
    int OpusPayloadType,
    int AudioLevelExtensionId);

namespace OpenChat.Rtc.Tests.Sdp;

internal static class SdpSamples
{
    /// <summary>A Chromium-style audio-only offer (trickle, BUNDLE, rtcp-mux, fingerprint, extmaps, several codecs).</summary>
    public const string ChromiumOffer =
        "v=0\r\n" +
        "o=- 4611731400430051336 2 IN IP4 127.0.0.1\r\n" +
        "s=-\r\n" +
        "t=0 0\r\n" +
        "a=group:BUNDLE 0\r\n" +
        "a=extmap-allow-mixed\r\n" +
        "a=msid-semantic: WMS 6f2d0f7c-3a94-4c39-8a57-2a0f0d4b9c11\r\n" +
        "m=audio 9 UDP/TLS/RTP/SAVPF 111 63 9 0 8 13 110 126\r\n" +
        "c=IN IP4 0.0.0.0\r\n" +
        "a=rtcp:9 IN IP4 0.0.0.0\r\n" +
        "a=ice-ufrag:Vw3k\r\n" +
        "a=ice-pwd:q2ZTtq5Sx8W2eQfG1D0pXb7h\r\n" +
        "a=ice-options:trickle\r\n" +
        "a=fingerprint:sha-256 7B:8B:F0:65:5F:78:E2:51:3B:AC:6F:F3:3F:46:1B:35:DC:B8:5F:64:1A:24:C2:43:F0:A1:58:D0:A1:2C:19:08\r\n" +
        "a=setup:actpass\r\n" +
        "a=mid:0\r\n" +
        "a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level\r\n" +
        "a=extmap:2 http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time\r\n" +
        "a=extmap:3 http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01\r\n" +
        "a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid\r\n" +
        "a=sendrecv\r\n" +
        "a=msid:6f2d0f7c-3a94-4c39-8a57-2a0f0d4b9c11 0b8d5c8e-6c56-4f0e-9d4b-6b0e7b5d7e21\r\n" +
        "a=rtcp-mux\r\n" +
        "a=rtcp-rsize\r\n" +
        "a=rtpmap:111 opus/48000/2\r\n" +
        "a=rtcp-fb:111 transport-cc\r\n" +
        "a=fmtp:111 minptime=10;useinbandfec=1\r\n" +
        "a=rtpmap:63 red/48000/2\r\n" +
        "a=fmtp:63 111/111\r\n" +
        "a=rtpmap:9 G722/8000\r\n" +
        "a=rtpmap:0 PCMU/8000\r\n" +
        "a=rtpmap:8 PCMA/8000\r\n" +
        "a=rtpmap:13 CN/8000\r\n" +
        "a=rtpmap:110 telephone-event/48000\r\n" +
        "a=rtpmap:126 telephone-event/8000\r\n" +
        "a=ssrc:3735928559 cname:k4Jx1nO0tq2mJ8yA\r\n" +
        "a=ssrc:3735928559 msid:6f2d0f7c-3a94-4c39-8a57-2a0f0d4b9c11 0b8d5c8e-6c56-4f0e-9d4b-6b0e7b5d7e21\r\n";

    /// <summary>The same offer with a video and a data channel section added after audio.</summary>
    public static string WithVideoAndData() =>
        ChromiumOffer.Replace("a=group:BUNDLE 0", "a=group:BUNDLE 0 1 2") +
        "m=video 9 UDP/TLS/RTP/SAVPF 96\r\n" +
        "c=IN IP4 0.0.0.0\r\n" +
        "a=mid:1\r\n" +
        "a=rtpmap:96 VP8/90000\r\n" +
        "a=rtcp-mux\r\n" +
        "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\n" +
        "c=IN IP4 0.0.0.0\r\n" +
        "a=mid:2\r\n" +
        "a=sctp-port:5000\r\n";
}

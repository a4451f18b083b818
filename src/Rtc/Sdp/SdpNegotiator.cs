using System.Globalization;
using System.Text;
using OpenChat.Rtc.Ice;

namespace OpenChat.Rtc.Sdp;

/// <summary>Checks offers and answers for what this library serves, and writes answers and offers.</summary>
/// <remarks>One audio section, Opus 48 kHz, BUNDLE, rtcp-mux, DTLS-SRTP, ICE (the server side is ICE-lite).</remarks>
public static class SdpNegotiator
{
    /// <summary>RFC 6464 client-to-mixer audio level extension.</summary>
    public const string AudioLevelUri = "urn:ietf:params:rtp-hdrext:ssrc-audio-level";

    /// <summary>Payload type we use for Opus in our own offers.</summary>
    public const int DefaultOpusPayloadType = 111;

    /// <summary>Extension id we use for audio level in our own offers.</summary>
    public const int DefaultAudioLevelId = 1;

    /// <summary>Validates a browser's offer; throws <see cref="OfferRejectedException"/> with a clear reason.</summary>
    public static SdpAudioOffer AcceptOffer(SdpSessionDescription offer)
    {
        int index = offer.Media.FindIndex(m => m.Media == "audio" && m.Port != 0);
        if (index < 0)
        {
            throw new OfferRejectedException("The offer has no audio section.");
        }
        var audio = offer.Media[index];
        if (!audio.Protocol.Contains("RTP/SAVP", StringComparison.Ordinal) || !audio.Protocol.StartsWith("UDP/TLS", StringComparison.Ordinal))
        {
            throw new OfferRejectedException($"The audio section's protocol {audio.Protocol} is not DTLS-SRTP over UDP (UDP/TLS/RTP/SAVPF).");
        }
        var opus = audio.RtpMaps.FirstOrDefault(r =>
            r.Encoding.Equals("opus", StringComparison.OrdinalIgnoreCase) && r.ClockRate == 48000 && r.Channels == 2
            && audio.Formats.Contains(r.PayloadType.ToString(CultureInfo.InvariantCulture)));
        if (opus is null)
        {
            throw new OfferRejectedException("The audio section does not offer Opus (opus/48000/2).");
        }
        string? ufrag = offer.Resolve(audio, "ice-ufrag");
        string? pwd = offer.Resolve(audio, "ice-pwd");
        if (ufrag is null || pwd is null)
        {
            throw new OfferRejectedException("The offer has no ICE credentials (a=ice-ufrag and a=ice-pwd).");
        }
        if (!IceCredentials.IsValid(ufrag, 4, 256) || !IceCredentials.IsValid(pwd, 22, 256))
        {
            throw new OfferRejectedException("The offer's ICE credentials are malformed (ufrag 4-256, password 22-256 ice-chars).");
        }
        string? fingerprintText = offer.Resolve(audio, "fingerprint");
        if (fingerprintText is null)
        {
            throw new OfferRejectedException("The offer has no DTLS fingerprint (a=fingerprint).");
        }
        if (!SdpFingerprint.TryParse(fingerprintText, out var fingerprint))
        {
            throw new OfferRejectedException("The offer's DTLS fingerprint is malformed or uses an unsupported hash.");
        }
        if (!audio.Has("rtcp-mux") && !offer.Has("rtcp-mux"))
        {
            throw new OfferRejectedException("The offer does not support rtcp-mux.");
        }
        string setup = offer.Resolve(audio, "setup") ?? "actpass";
        if (setup is not ("actpass" or "active"))
        {
            throw new OfferRejectedException($"The offer's a=setup:{setup} leaves no DTLS client (we answer passive; offer actpass or active).");
        }
        var bundle = offer.BundleMids;
        int levelId = audio.ExtMaps.FirstOrDefault(e => e.Uri == AudioLevelUri && e.Id <= 14)?.Id ?? 0;
        return new SdpAudioOffer(index, audio.Mid, ufrag, pwd, fingerprint!, setup, opus.PayloadType, levelId, audio.Ssrcs, audio.Direction);
    }

    /// <summary>Writes the ICE-lite, passive answer to <paramref name="offer"/>: audio accepted, every other section rejected.</summary>
    public static string WriteAnswer(SdpSessionDescription offer, SdpAudioOffer accepted, SdpLocalParameters local)
    {
        var sb = new StringBuilder();
        string address = local.Candidate?.Address.ToString() ?? "0.0.0.0";
        string ipVersion = local.Candidate?.Address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? "IP6" : "IP4";
        int port = local.Candidate?.Port ?? 9;
        Line(sb, "v=0");
        Line(sb, $"o=- {SessionId()} 2 IN IP4 127.0.0.1");
        Line(sb, "s=-");
        Line(sb, "t=0 0");
        if (accepted.Mid is not null && offer.BundleMids.Contains(accepted.Mid))
        {
            Line(sb, $"a=group:BUNDLE {accepted.Mid}");
        }
        Line(sb, "a=ice-lite");
        Line(sb, "a=msid-semantic: WMS");
        for (int i = 0; i < offer.Media.Count; i++)
        {
            var m = offer.Media[i];
            if (i != accepted.MediaIndex)
            {
                // Rejected sections keep their place (RFC 8829 5.3.1) with port 0.
                Line(sb, $"m={m.Media} 0 {m.Protocol} {string.Join(' ', m.Formats)}");
                Line(sb, "c=IN IP4 0.0.0.0");
                if (m.Mid is not null)
                {
                    Line(sb, $"a=mid:{m.Mid}");
                }
                Line(sb, "a=inactive");
                continue;
            }
            Line(sb, $"m=audio {port} {m.Protocol} {accepted.OpusPayloadType}");
            Line(sb, $"c=IN {ipVersion} {address}");
            Line(sb, $"a=rtcp:{port} IN {ipVersion} {address}");
            Line(sb, $"a=ice-ufrag:{local.Ice.Ufrag}");
            Line(sb, $"a=ice-pwd:{local.Ice.Password}");
            Line(sb, $"a=fingerprint:{local.Fingerprint}");
            Line(sb, "a=setup:passive");
            if (accepted.Mid is not null)
            {
                Line(sb, $"a=mid:{accepted.Mid}");
            }
            if (accepted.AudioLevelExtensionId != 0)
            {
                Line(sb, $"a=extmap:{accepted.AudioLevelExtensionId} {AudioLevelUri}");
            }
            Line(sb, "a=" + AnswerDirection(accepted.RemoteDirection));
            Line(sb, "a=rtcp-mux");
            Line(sb, $"a=rtpmap:{accepted.OpusPayloadType} opus/48000/2");
            Line(sb, $"a=fmtp:{accepted.OpusPayloadType} minptime=10;useinbandfec=1{(local.UseDtx ? ";usedtx=1" : "")}");
            Line(sb, $"a=ssrc:{local.Ssrc} cname:{local.Cname}");
            foreach (var candidate in local.AllCandidates)
            {
                Line(sb, "a=" + candidate.ToSdpValue());
            }
            Line(sb, "a=end-of-candidates");
        }
        return sb.ToString();
    }

    /// <summary>Writes an offer for the client side (one audio section, actpass, Opus, audio level).</summary>
    public static string WriteOffer(SdpLocalParameters local)
    {
        var sb = new StringBuilder();
        string address = local.Candidate?.Address.ToString() ?? "0.0.0.0";
        int port = local.Candidate?.Port ?? 9;
        Line(sb, "v=0");
        Line(sb, $"o=- {SessionId()} 2 IN IP4 127.0.0.1");
        Line(sb, "s=-");
        Line(sb, "t=0 0");
        Line(sb, "a=group:BUNDLE 0");
        Line(sb, "a=msid-semantic: WMS");
        Line(sb, $"m=audio {port} UDP/TLS/RTP/SAVPF {DefaultOpusPayloadType}");
        Line(sb, $"c=IN IP4 {address}");
        Line(sb, $"a=rtcp:{port} IN IP4 {address}");
        Line(sb, $"a=ice-ufrag:{local.Ice.Ufrag}");
        Line(sb, $"a=ice-pwd:{local.Ice.Password}");
        Line(sb, $"a=fingerprint:{local.Fingerprint}");
        Line(sb, "a=setup:actpass");
        Line(sb, "a=mid:0");
        Line(sb, $"a=extmap:{DefaultAudioLevelId} {AudioLevelUri}");
        Line(sb, "a=sendrecv");
        Line(sb, "a=rtcp-mux");
        Line(sb, $"a=rtpmap:{DefaultOpusPayloadType} opus/48000/2");
        Line(sb, $"a=fmtp:{DefaultOpusPayloadType} minptime=10;useinbandfec=1{(local.UseDtx ? ";usedtx=1" : "")}");
        Line(sb, $"a=ssrc:{local.Ssrc} cname:{local.Cname}");
        if (local.Candidate is not null)
        {
            Line(sb, "a=" + local.Candidate.ToSdpValue());
        }
        return sb.ToString();
    }

    /// <summary>Reads what the client side needs from an answer; throws <see cref="OfferRejectedException"/> if unusable.</summary>
    public static SdpAnswer AcceptAnswer(SdpSessionDescription answer)
    {
        var audio = answer.Media.FirstOrDefault(m => m.Media == "audio" && m.Port != 0)
            ?? throw new OfferRejectedException("The answer accepts no audio section.");
        string ufrag = answer.Resolve(audio, "ice-ufrag") ?? throw new OfferRejectedException("The answer has no a=ice-ufrag.");
        string pwd = answer.Resolve(audio, "ice-pwd") ?? throw new OfferRejectedException("The answer has no a=ice-pwd.");
        string fpText = answer.Resolve(audio, "fingerprint") ?? throw new OfferRejectedException("The answer has no a=fingerprint.");
        if (!SdpFingerprint.TryParse(fpText, out var fingerprint))
        {
            throw new OfferRejectedException("The answer's fingerprint is malformed.");
        }
        string setup = answer.Resolve(audio, "setup") ?? "active";
        if (setup != "passive")
        {
            throw new OfferRejectedException($"The answer's a=setup:{setup} is not supported (this client is always the DTLS client).");
        }
        var opus = audio.RtpMaps.FirstOrDefault(r => r.Encoding.Equals("opus", StringComparison.OrdinalIgnoreCase) && r.ClockRate == 48000)
            ?? throw new OfferRejectedException("The answer has no Opus.");
        var candidates = new List<IceCandidate>();
        foreach (var c in audio.GetAll("candidate"))
        {
            if (IceCandidate.TryParse(c, out var candidate) && candidate!.Component == 1
                && (candidate.Transport == "udp" || (candidate.Transport == "tcp" && candidate.TcpType == "passive")))
            {
                candidates.Add(candidate);
            }
        }
        int levelId = audio.ExtMaps.FirstOrDefault(e => e.Uri == AudioLevelUri && e.Id <= 14)?.Id ?? 0;
        return new SdpAnswer(ufrag, pwd, fingerprint!, setup, answer.Has("ice-lite"), candidates, opus.PayloadType, levelId);
    }

    private static string AnswerDirection(string offered) => offered switch
    {
        "sendonly" => "recvonly",
        "recvonly" => "sendonly",
        "inactive" => "inactive",
        _ => "sendrecv",
    };

    private static string SessionId() =>
        (System.Security.Cryptography.RandomNumberGenerator.GetInt32(int.MaxValue) + 1000000000L).ToString(CultureInfo.InvariantCulture);

    private static void Line(StringBuilder sb, string line) => sb.Append(line).Append("\r\n");
}

using System.Net;
using OpenChat.Rtc.Ice;
using OpenChat.Rtc.Sdp;
using Xunit;

namespace OpenChat.Rtc.Tests.Sdp;

public class SdpNegotiatorTests
{
    private static SdpLocalParameters Local(bool dtx = false) => new(
        new IceCredentials("srvU", "serverpassword0123456789"),
        SdpFingerprint.Compute("sha-256", [1, 2, 3]),
        IceCandidate.Host(IPAddress.Parse("203.0.113.7"), 40000),
        0x11223344, "node-cname", dtx);

    [Fact]
    public void Chromium_offer_is_accepted_with_its_parameters()
    {
        var offer = SdpSessionDescription.Parse(SdpSamples.ChromiumOffer);
        var accepted = SdpNegotiator.AcceptOffer(offer);
        Assert.Equal("0", accepted.Mid);
        Assert.Equal("Vw3k", accepted.RemoteUfrag);
        Assert.Equal("q2ZTtq5Sx8W2eQfG1D0pXb7h", accepted.RemotePassword);
        Assert.Equal("sha-256", accepted.RemoteFingerprint.Algorithm);
        Assert.Equal(0x7B, accepted.RemoteFingerprint.Value[0]);
        Assert.Equal("actpass", accepted.RemoteSetup);
        Assert.Equal(111, accepted.OpusPayloadType);
        Assert.Equal(1, accepted.AudioLevelExtensionId);
        Assert.Equal([3735928559u], accepted.RemoteSsrcs);
    }

    [Fact]
    public void Answer_has_ice_lite_passive_fingerprint_opus_and_one_host_candidate()
    {
        var offer = SdpSessionDescription.Parse(SdpSamples.ChromiumOffer);
        var local = Local();
        var answer = SdpNegotiator.WriteAnswer(offer, SdpNegotiator.AcceptOffer(offer), local);
        var parsed = SdpSessionDescription.Parse(answer);
        Assert.True(parsed.Has("ice-lite"));
        Assert.Equal(["0"], parsed.BundleMids);
        var m = Assert.Single(parsed.Media);
        Assert.Equal(40000, m.Port);
        Assert.Equal(["111"], m.Formats);
        Assert.Equal("passive", m.Get("setup"));
        Assert.Equal(local.Fingerprint.ToString(), m.Get("fingerprint"));
        Assert.Equal("srvU", m.Get("ice-ufrag"));
        Assert.True(m.Has("rtcp-mux"));
        Assert.Equal("minptime=10;useinbandfec=1", m.GetFormatParameters(111));
        Assert.Equal("1 " + SdpNegotiator.AudioLevelUri, m.Get("extmap"));
        var candidate = Assert.Single(m.GetAll("candidate"));
        Assert.Equal("candidate:1 1 udp 2130706431 203.0.113.7 40000 typ host", "candidate:" + candidate);
        Assert.Equal([0x11223344u], m.Ssrcs);
        Assert.Contains("\r\n", answer);
    }

    [Fact]
    public void Answer_adds_usedtx_when_configured()
    {
        var offer = SdpSessionDescription.Parse(SdpSamples.ChromiumOffer);
        var answer = SdpSessionDescription.Parse(SdpNegotiator.WriteAnswer(offer, SdpNegotiator.AcceptOffer(offer), Local(dtx: true)));
        Assert.Equal("minptime=10;useinbandfec=1;usedtx=1", answer.Media[0].GetFormatParameters(111));
    }

    [Fact]
    public void Audio_level_extension_is_omitted_when_not_offered()
    {
        var offer = SdpSessionDescription.Parse(SdpSamples.ChromiumOffer.Replace("a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level\r\n", ""));
        var answer = SdpNegotiator.WriteAnswer(offer, SdpNegotiator.AcceptOffer(offer), Local());
        Assert.DoesNotContain("ssrc-audio-level", answer);
    }

    [Fact]
    public void Other_sections_are_rejected_with_port_zero_in_place()
    {
        var offer = SdpSessionDescription.Parse(SdpSamples.WithVideoAndData());
        var answer = SdpSessionDescription.Parse(SdpNegotiator.WriteAnswer(offer, SdpNegotiator.AcceptOffer(offer), Local()));
        Assert.Equal(3, answer.Media.Count);
        Assert.Equal(["0"], answer.BundleMids);
        Assert.Equal(0, answer.Media[1].Port);
        Assert.Equal("1", answer.Media[1].Mid);
        Assert.Equal(0, answer.Media[2].Port);
        Assert.Equal("application", answer.Media[2].Media);
    }

    [Theory]
    [InlineData("m=audio 9 UDP/TLS/RTP/SAVPF 111 63 9 0 8 13 110 126", "m=video 9 UDP/TLS/RTP/SAVPF 111 63 9 0 8 13 110 126", "no audio section")]
    [InlineData("a=rtpmap:111 opus/48000/2\r\n", "", "does not offer Opus")]
    [InlineData("a=fingerprint:sha-256 7B:8B:F0:65:5F:78:E2:51:3B:AC:6F:F3:3F:46:1B:35:DC:B8:5F:64:1A:24:C2:43:F0:A1:58:D0:A1:2C:19:08\r\n", "", "no DTLS fingerprint")]
    [InlineData("a=fingerprint:sha-256 7B:8B", "a=fingerprint:sha-256 7B:8B:", "fingerprint is malformed")]
    [InlineData("a=rtcp-mux\r\n", "", "rtcp-mux")]
    [InlineData("a=ice-ufrag:Vw3k\r\n", "", "no ICE credentials")]
    [InlineData("a=ice-pwd:q2ZTtq5Sx8W2eQfG1D0pXb7h\r\n", "", "no ICE credentials")]
    [InlineData("a=ice-pwd:q2ZTtq5Sx8W2eQfG1D0pXb7h", "a=ice-pwd:short", "ICE credentials are malformed")]
    [InlineData("a=setup:actpass", "a=setup:passive", "no DTLS client")]
    [InlineData("UDP/TLS/RTP/SAVPF 111", "RTP/AVP 111", "not DTLS-SRTP")]
    public void Unservable_offers_are_refused_with_a_reason(string remove, string replacement, string reason)
    {
        var text = SdpSamples.ChromiumOffer.Replace(remove, replacement);
        Assert.NotEqual(SdpSamples.ChromiumOffer, text);
        var offer = SdpSessionDescription.Parse(text);
        var ex = Assert.Throws<OfferRejectedException>(() => SdpNegotiator.AcceptOffer(offer));
        Assert.Contains(reason, ex.Reason);
    }

    [Fact]
    public void Client_offer_and_server_answer_agree()
    {
        var clientLocal = new SdpLocalParameters(IceCredentials.Generate(), SdpFingerprint.Compute("sha-256", [9]),
            IceCandidate.Host(IPAddress.Loopback, 50000), 42, "client");
        var offerText = SdpNegotiator.WriteOffer(clientLocal);
        var offer = SdpSessionDescription.Parse(offerText);
        var accepted = SdpNegotiator.AcceptOffer(offer);
        Assert.Equal(clientLocal.Ice.Ufrag, accepted.RemoteUfrag);
        Assert.Equal(clientLocal.Fingerprint.Value, accepted.RemoteFingerprint.Value);

        var answerText = SdpNegotiator.WriteAnswer(offer, accepted, Local());
        var answer = SdpNegotiator.AcceptAnswer(SdpSessionDescription.Parse(answerText));
        Assert.True(answer.IceLite);
        Assert.Equal("passive", answer.RemoteSetup);
        Assert.Equal("srvU", answer.RemoteUfrag);
        var candidate = Assert.Single(answer.Candidates);
        Assert.Equal(new IPEndPoint(IPAddress.Parse("203.0.113.7"), 40000), new IPEndPoint(candidate.Address, candidate.Port));
        Assert.Equal(1, answer.AudioLevelExtensionId);
    }
}

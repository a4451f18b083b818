using OpenChat.Rtc.Sdp;
using Xunit;

namespace OpenChat.Rtc.Tests.Sdp;

/// <summary>A corpus of malformed SDP: each gets an <see cref="SdpException"/> or an <see cref="OfferRejectedException"/> with a reason, nothing else.</summary>
public class MalformedSdpTests
{
    public static TheoryData<string, string, string> Corpus()
    {
        var o = SdpSamples.ChromiumOffer;
        var data = new TheoryData<string, string, string>
        {
            { "empty", "", "empty" },
            { "whitespace", "  \r\n \r\n", "empty" },
            { "no version", o.Replace("v=0\r\n", ""), "v=0" },
            { "wrong version", o.Replace("v=0", "v=1"), "v=0" },
            { "no origin", o.Replace("o=- 4611731400430051336 2 IN IP4 127.0.0.1\r\n", ""), "o=" },
            { "short origin", o.Replace("o=- 4611731400430051336 2 IN IP4 127.0.0.1", "o=- 1"), "six fields" },
            { "garbage line", o.Replace("s=-", "this is not sdp"), "<letter>=<value>" },
            { "uppercase type", o.Replace("s=-", "S=-"), "<letter>=<value>" },
            { "binary", "v=0\r\n\u0001\u0002\u0003", "<letter>=<value>" },
            { "m-line too short", o.Replace("m=audio 9 UDP/TLS/RTP/SAVPF 111 63 9 0 8 13 110 126", "m=audio 9"), "m= needs" },
            { "port not a number", o.Replace("m=audio 9 ", "m=audio nine "), "not a port" },
            { "port too big", o.Replace("m=audio 9 ", "m=audio 99999 "), "not a port" },
            { "negative port", o.Replace("m=audio 9 ", "m=audio -1 "), "not a port" },
            { "rtpmap pt not a number", o.Replace("a=rtpmap:111 opus", "a=rtpmap:abc opus"), "rtpmap" },
            { "rtpmap pt too large", o.Replace("a=rtpmap:111 opus", "a=rtpmap:300 opus"), "rtpmap" },
            { "rtpmap no clock", o.Replace("opus/48000/2", "opus"), "rtpmap" },
            { "rtpmap zero clock", o.Replace("opus/48000/2", "opus/0/2"), "rtpmap" },
            { "rtpmap bad channels", o.Replace("opus/48000/2", "opus/48000/two"), "channel" },
            { "extmap id not a number", o.Replace("a=extmap:1 ", "a=extmap:x "), "extmap" },
            { "extmap id zero", o.Replace("a=extmap:1 ", "a=extmap:0 "), "extmap" },
            { "extmap no uri", o.Replace("a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level", "a=extmap:1"), "extmap" },
            { "ssrc not a number", o.Replace("a=ssrc:3735928559 cname", "a=ssrc:-5 cname"), "a=ssrc" },
            { "ssrc too large", o.Replace("a=ssrc:3735928559 cname", "a=ssrc:99999999999 cname"), "a=ssrc" },
            { "empty attribute", o.Replace("a=rtcp-rsize", "a="), "attribute" },
            { "truncated at m-line", o[..o.IndexOf("m=audio", StringComparison.Ordinal)], "no audio section" },
            { "truncated mid-section", o[..o.IndexOf("a=fingerprint", StringComparison.Ordinal)], "" },
            { "truncated mid-line", o[..(o.IndexOf("a=rtpmap:111", StringComparison.Ordinal) + 12)], "" },
            { "huge", "v=0\r\n" + new string('a', SdpSessionDescription.MaxLength + 1), "too large" },
            { "too many lines", "v=0\r\n" + string.Concat(Enumerable.Repeat("a=x\n", SdpSessionDescription.MaxLines + 1)), "too many lines" },
            { "too many sections", o + string.Concat(Enumerable.Repeat("m=video 9 UDP/TLS/RTP/SAVPF 96\r\n", 65)), "media sections" },
            { "fingerprint wrong hash", o.Replace("a=fingerprint:sha-256", "a=fingerprint:md5"), "fingerprint" },
            { "fingerprint not hex", o.Replace("7B:8B:F0", "ZZ:8B:F0"), "fingerprint" },
        };
        return data;
    }

    [Theory]
    [MemberData(nameof(Corpus))]
    public void Malformed_sdp_gets_a_clear_error(string name, string sdp, string expected)
    {
        Exception? error = null;
        try
        {
            var parsed = SdpSessionDescription.Parse(sdp);
            SdpNegotiator.AcceptOffer(parsed);
        }
        catch (SdpException e)
        {
            error = e;
        }
        catch (OfferRejectedException e)
        {
            error = e;
        }
        Assert.True(error is not null, $"{name}: accepted");
        Assert.False(string.IsNullOrWhiteSpace(error!.Message), $"{name}: empty message");
        Assert.Contains(expected, error.Message);
    }

    [Fact]
    public void Random_mutations_of_an_offer_never_throw_anything_else()
    {
        var rng = new Random(1234);
        var source = SdpSamples.WithVideoAndData();
        for (int i = 0; i < 3000; i++)
        {
            var chars = source.ToCharArray();
            int edits = rng.Next(1, 8);
            for (int e = 0; e < edits; e++)
            {
                chars[rng.Next(chars.Length)] = (char)rng.Next(0, 128);
            }
            var text = new string(chars);
            if (rng.Next(4) == 0)
            {
                text = text[..rng.Next(text.Length)];
            }
            try
            {
                SdpNegotiator.AcceptOffer(SdpSessionDescription.Parse(text));
            }
            catch (SdpException)
            {
            }
            catch (OfferRejectedException)
            {
            }
        }
    }
}

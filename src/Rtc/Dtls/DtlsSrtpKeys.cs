using OpenChat.Rtc.Srtp;

namespace OpenChat.Rtc.Dtls;

/// <summary>SRTP master keys exported from a DTLS handshake (RFC 5764 4.2).</summary>
public sealed class DtlsSrtpKeys
{
    /// <summary>Splits the exported keying material: client key, server key, client salt, server salt.</summary>
    public DtlsSrtpKeys(SrtpProfile profile, ReadOnlySpan<byte> material)
    {
        Profile = profile;
        int k = SrtpProfileInfo.MasterKeyLength(profile);
        int s = SrtpProfileInfo.MasterSaltLength(profile);
        if (material.Length != 2 * (k + s))
        {
            throw new ArgumentException("Keying material has the wrong length.", nameof(material));
        }
        ClientKey = material[..k].ToArray();
        ServerKey = material.Slice(k, k).ToArray();
        ClientSalt = material.Slice(2 * k, s).ToArray();
        ServerSalt = material.Slice(2 * k + s, s).ToArray();
    }

    /// <summary>Negotiated profile.</summary>
    public SrtpProfile Profile { get; }

    internal byte[] ClientKey { get; }
    internal byte[] ServerKey { get; }
    internal byte[] ClientSalt { get; }
    internal byte[] ServerSalt { get; }

    /// <summary>Bytes to export with the "EXTRACTOR-dtls_srtp" label.</summary>
    public static int MaterialLength(SrtpProfile profile) =>
        2 * (SrtpProfileInfo.MasterKeyLength(profile) + SrtpProfileInfo.MasterSaltLength(profile));

    /// <summary>Creates the (inbound, outbound) SRTP contexts for the DTLS server or client side.</summary>
    public (SrtpContext Inbound, SrtpContext Outbound) CreateContexts(bool isServer) => isServer
        ? (new SrtpContext(Profile, ClientKey, ClientSalt), new SrtpContext(Profile, ServerKey, ServerSalt))
        : (new SrtpContext(Profile, ServerKey, ServerSalt), new SrtpContext(Profile, ClientKey, ClientSalt));
}

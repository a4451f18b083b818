using Org.BouncyCastle.Security;
using Org.BouncyCastle.Tls;
using Org.BouncyCastle.Tls.Crypto.Impl.BC;
using OpenChat.Rtc.Dtls;
using OpenChat.Rtc.Sdp;
using OpenChat.Rtc.Srtp;
using Xunit;

namespace OpenChat.Rtc.Tests.Dtls;

/// <summary>Our DTLS server and client over an in-memory datagram pair, with the cookie exchange first.</summary>
public class DtlsHandshakeTests
{
    private static readonly DtlsCertificate ServerCert = DtlsCertificate.Generate("server");
    private static readonly DtlsCertificate ClientCert = DtlsCertificate.Generate("client");

    private sealed record Outcome(DtlsSrtpPeer Server, DtlsSrtpPeer Client, Exception? ServerError, Exception? ClientError);

    private static async Task<Outcome> Handshake(SdpFingerprint serverExpects, SdpFingerprint clientExpects,
        SrtpProfile[] serverProfiles, SrtpProfile[] clientProfiles, BcTlsCrypto? serverCrypto = null, BcTlsCrypto? clientCrypto = null)
    {
        var crypto = new BcTlsCrypto(new SecureRandom());
        QueuedDatagramTransport? serverTransport = null;
        QueuedDatagramTransport? clientTransport = null;
        var verifier = new DtlsVerifier(crypto);
        var requestReady = new TaskCompletionSource<DtlsRequest>(TaskCreationOptions.RunContinuationsAsynchronously);
        var clientId = new byte[] { 127, 0, 0, 1, 0x30, 0x39 };

        // Until the cookie checks out, client datagrams go to the verifier, not to a server transport.
        clientTransport = new QueuedDatagramTransport(datagram =>
        {
            if (!requestReady.Task.IsCompleted)
            {
                var data = datagram.ToArray();
                var request = verifier.VerifyRequest(clientId, data, 0, data.Length, new ToClient(clientTransport!));
                if (request is not null)
                {
                    requestReady.TrySetResult(request);
                }
                return;
            }
            serverTransport!.Enqueue(datagram);
        });
        serverTransport = new QueuedDatagramTransport(datagram => clientTransport.Enqueue(datagram));

        var serverPeer = new DtlsSrtpPeer(serverCrypto ?? crypto, ServerCert, serverExpects, serverProfiles, 5000);
        var clientPeer = new DtlsSrtpPeer(clientCrypto ?? crypto, ClientCert, clientExpects, clientProfiles, 5000);
        Exception? serverError = null;
        Exception? clientError = null;
        var client = Task.Factory.StartNew(() =>
        {
            try
            {
                new DtlsClientProtocol().Connect(new DtlsSrtpClient(clientPeer), clientTransport);
            }
            catch (Exception e)
            {
                clientError = e;
                serverTransport.Close();
            }
        }, TaskCreationOptions.LongRunning);
        var server = Task.Run(async () =>
        {
            var first = await Task.WhenAny(requestReady.Task, client);
            if (first != requestReady.Task)
            {
                return;
            }
            try
            {
                new DtlsServerProtocol().Accept(new DtlsSrtpServer(serverPeer), serverTransport, requestReady.Task.Result);
            }
            catch (Exception e)
            {
                serverError = e;
                clientTransport.Close();
            }
        });
        await Task.WhenAll(client, server).WaitAsync(TimeSpan.FromSeconds(20));
        return new Outcome(serverPeer, clientPeer, serverError, clientError);
    }

    private sealed class ToClient(QueuedDatagramTransport client) : DatagramSender
    {
        public int GetSendLimit() => QueuedDatagramTransport.SendLimit;
        public void Send(byte[] buf, int off, int len) => client.Enqueue(buf.AsSpan(off, len));
        public void Send(ReadOnlySpan<byte> buffer) => client.Enqueue(buffer);
    }

    [Theory]
    [InlineData(SrtpProfile.Aes128CmHmacSha1_80)]
    [InlineData(SrtpProfile.AeadAes128Gcm)]
    public async Task Handshake_exports_matching_srtp_keys(SrtpProfile profile)
    {
        var o = await Handshake(ClientCert.Fingerprint, ServerCert.Fingerprint, [profile, SrtpProfile.Aes128CmHmacSha1_80],
            [SrtpProfile.AeadAes128Gcm, SrtpProfile.Aes128CmHmacSha1_80]);
        Assert.Null(o.ServerError);
        Assert.Null(o.ClientError);
        Assert.Equal(profile, o.Server.Keys!.Profile);
        Assert.Equal(profile, o.Client.Keys!.Profile);

        var (serverIn, serverOut) = o.Server.Keys.CreateContexts(isServer: true);
        var (clientIn, clientOut) = o.Client.Keys.CreateContexts(isServer: false);
        var packet = new byte[64];
        Hex.Parse("806f0001000000010000000a01020304").CopyTo(packet, 0);
        Assert.True(clientOut.ProtectRtp(packet, 16, out int len));
        Assert.True(serverIn.UnprotectRtp(packet.AsSpan(0, len), out int plain));
        Assert.Equal(16, plain);
        Assert.True(serverOut.ProtectRtp(packet, 16, out len));
        Assert.True(clientIn.UnprotectRtp(packet.AsSpan(0, len), out _));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Native_ecdsa_signatures_interoperate_with_bouncycastle_s_own_in_either_role(bool nativeServer)
    {
        // One side signs and checks with the platform's ECDSA, the other entirely in BouncyCastle's managed code.
        BcTlsCrypto native = new DtlsCrypto(), managed = new BcTlsCrypto(new SecureRandom());
        var o = await Handshake(ClientCert.Fingerprint, ServerCert.Fingerprint, [SrtpProfile.Aes128CmHmacSha1_80], [SrtpProfile.Aes128CmHmacSha1_80],
            serverCrypto: nativeServer ? native : managed, clientCrypto: nativeServer ? managed : native);
        Assert.Null(o.ServerError);
        Assert.Null(o.ClientError);
        Assert.Equal(o.Server.Keys!.Profile, o.Client.Keys!.Profile);
    }

    [Fact]
    public void A_native_ecdsa_signature_verifies_over_its_hash_only_and_bouncycastle_agrees()
    {
        var algorithm = new SignatureAndHashAlgorithm(HashAlgorithm.sha256, SignatureAlgorithm.ecdsa);
        var hash = System.Security.Cryptography.SHA256.HashData("the handshake so far"u8);
        var signature = DtlsCrypto.Signer(ServerCert.SigningKey).GenerateRawSignature(algorithm, hash);
        var signed = new DigitallySigned(algorithm, signature);

        var native = new DtlsCrypto().CreateCertificate(CertificateType.X509, ServerCert.Der).CreateVerifier(SignatureAlgorithm.ecdsa);
        var managed = new BcTlsCrypto(new SecureRandom()).CreateCertificate(CertificateType.X509, ServerCert.Der).CreateVerifier(SignatureAlgorithm.ecdsa);
        Assert.Equal("NativeEcdsaVerifier", native.GetType().Name);
        Assert.True(native.VerifyRawSignature(signed, hash));
        Assert.True(managed.VerifyRawSignature(signed, hash));

        var otherHash = System.Security.Cryptography.SHA256.HashData("another handshake"u8);
        Assert.False(native.VerifyRawSignature(signed, otherHash));
        var otherKey = DtlsCrypto.Signer(ClientCert.SigningKey).GenerateRawSignature(algorithm, hash);
        Assert.False(native.VerifyRawSignature(new DigitallySigned(algorithm, otherKey), hash));
    }

    [Fact]
    public async Task Server_refuses_a_client_certificate_that_does_not_match_the_offer()
    {
        var other = DtlsCertificate.Generate("someone else");
        var o = await Handshake(other.Fingerprint, ServerCert.Fingerprint, [SrtpProfile.Aes128CmHmacSha1_80], [SrtpProfile.Aes128CmHmacSha1_80]);
        Assert.NotNull(o.ServerError);
        Assert.Null(o.Server.Keys);
        Assert.Contains("fingerprint", o.Server.FailureReason);
    }

    [Fact]
    public async Task Client_refuses_a_server_certificate_that_does_not_match_the_answer()
    {
        var other = DtlsCertificate.Generate("someone else");
        var o = await Handshake(ClientCert.Fingerprint, other.Fingerprint, [SrtpProfile.Aes128CmHmacSha1_80], [SrtpProfile.Aes128CmHmacSha1_80]);
        Assert.NotNull(o.ClientError);
        Assert.Null(o.Client.Keys);
        Assert.Null(o.Server.Keys);
    }

    [Fact]
    public async Task No_common_srtp_profile_fails_the_handshake()
    {
        var o = await Handshake(ClientCert.Fingerprint, ServerCert.Fingerprint, [SrtpProfile.AeadAes128Gcm], [SrtpProfile.Aes128CmHmacSha1_80]);
        Assert.NotNull(o.ServerError);
        Assert.Null(o.Server.Keys);
    }

    [Fact]
    public void Certificate_fingerprint_is_sha256_of_der()
    {
        Assert.Equal("sha-256", ServerCert.Fingerprint.Algorithm);
        Assert.Equal(System.Security.Cryptography.SHA256.HashData(ServerCert.Der), ServerCert.Fingerprint.Value);
        Assert.Matches("^sha-256 ([0-9A-F]{2}:){31}[0-9A-F]{2}$", ServerCert.Fingerprint.ToString());
        using var x509 = System.Security.Cryptography.X509Certificates.X509CertificateLoader.LoadCertificate(ServerCert.Der);
        Assert.Equal("1.2.840.10045.2.1", x509.PublicKey.Oid.Value); // id-ecPublicKey
    }
}

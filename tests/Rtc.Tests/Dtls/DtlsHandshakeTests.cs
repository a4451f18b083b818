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
        SrtpProfile[] serverProfiles, SrtpProfile[] clientProfiles)
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

        var serverPeer = new DtlsSrtpPeer(crypto, ServerCert, serverExpects, serverProfiles, 5000);
        var clientPeer = new DtlsSrtpPeer(crypto, ClientCert, clientExpects, clientProfiles, 5000);
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

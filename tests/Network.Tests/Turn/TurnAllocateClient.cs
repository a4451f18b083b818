using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Text;
using OpenChat.Rtc.Stun;

namespace OpenChat.Network.Tests.Turn;

/// <summary>
/// Just enough of a TURN client (RFC 8656) to ask for an allocation with long-term credentials: an Allocate without
/// credentials gets 401 with REALM and NONCE, then an Allocate with USERNAME, REALM, NONCE and MESSAGE-INTEGRITY keyed
/// with MD5(username:realm:password). Over UDP to one server.
/// </summary>
public static class TurnAllocateClient
{
    private const ushort AllocateRequest = 0x0003;
    private const ushort AllocateSuccess = 0x0103;
    private const ushort AllocateError = 0x0113;
    private const ushort RequestedTransport = 0x0019;
    private const ushort XorRelayedAddress = 0x0016;

    /// <summary>What the server answered the authenticated Allocate: 0 for success, else the STUN error code.</summary>
    public sealed record Outcome(int ErrorCode, string? Reason, IPEndPoint? Relayed)
    {
        public bool Allocated => ErrorCode == 0;
    }

    public static async Task<Outcome> AllocateAsync(IPEndPoint server, string username, string password, CancellationToken cancel = default)
    {
        using var socket = new Socket(server.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        socket.Bind(new IPEndPoint(server.Address, 0));
        // First the unauthenticated request: the server's 401 names its realm and a nonce.
        var (challenge, _) = await ExchangeAsync(socket, server, Build(null), cancel);
        if (challenge.Type != AllocateError || challenge.ErrorCode != 401 || challenge.Realm is null || challenge.Nonce is null)
            throw new InvalidOperationException($"expected a 401 with REALM and NONCE, got type {challenge.Type:X4} error {challenge.ErrorCode}");
        var key = StunMessage.LongTermKey(username, challenge.Realm, password);
        var (answer, raw) = await ExchangeAsync(socket, server, Build((username, challenge.Realm, challenge.Nonce, key)), cancel);
        return answer.Type switch
        {
            AllocateSuccess when answer.CheckIntegrity(raw, key) => new Outcome(0, null, RelayedAddress(raw)),
            AllocateSuccess => throw new InvalidOperationException("the success response's MESSAGE-INTEGRITY does not check"),
            AllocateError => new Outcome(answer.ErrorCode ?? -1, answer.ErrorReason, null),
            _ => throw new InvalidOperationException($"unexpected response type {answer.Type:X4}"),
        };
    }

    private static byte[] Build((string User, string Realm, string Nonce, byte[] Key)? credentials)
    {
        var buffer = new byte[512];
        var writer = new StunWriter(buffer, (StunMessageType)AllocateRequest, StunTransactionId.NewRandom());
        // REQUESTED-TRANSPORT: UDP (17) and three reserved bytes.
        writer.AddString((StunAttributeType)RequestedTransport, "\u0011\0\0\0");
        if (credentials is { } c)
        {
            writer.AddUsername(c.User);
            writer.AddString(StunAttributeType.Realm, c.Realm);
            writer.AddString(StunAttributeType.Nonce, c.Nonce);
            writer.AddMessageIntegrity(c.Key);
        }
        writer.AddFingerprint();
        return buffer[..writer.Length];
    }

    private static async Task<(StunMessage Message, byte[] Raw)> ExchangeAsync(Socket socket, IPEndPoint server, byte[] request, CancellationToken cancel)
    {
        var buffer = new byte[1500];
        // UDP may lose a datagram even on loopback under load: send again a few times, as a TURN client does.
        for (var attempt = 0; attempt < 5; attempt++)
        {
            await socket.SendToAsync(request, server, cancel);
            using var wait = CancellationTokenSource.CreateLinkedTokenSource(cancel);
            wait.CancelAfter(TimeSpan.FromSeconds(2));
            try
            {
                while (true)
                {
                    var received = await socket.ReceiveFromAsync(buffer, new IPEndPoint(server.AddressFamily == AddressFamily.InterNetwork ? IPAddress.Any : IPAddress.IPv6Any, 0), wait.Token);
                    var raw = buffer[..received.ReceivedBytes];
                    if (StunMessage.TryParse(raw, out var message) && message.TransactionId == StunTransactionId.Read(request.AsSpan(8)))
                        return (message, raw);
                }
            }
            catch (OperationCanceledException) when (!cancel.IsCancellationRequested)
            {
            }
        }
        throw new TimeoutException($"no answer from the TURN server at {server}");
    }

    /// <summary>XOR-RELAYED-ADDRESS (IPv4) of a success response.</summary>
    private static IPEndPoint? RelayedAddress(ReadOnlySpan<byte> raw)
    {
        for (var offset = StunMessage.HeaderLength; offset + 4 <= raw.Length;)
        {
            var type = BinaryPrimitives.ReadUInt16BigEndian(raw[offset..]);
            var length = BinaryPrimitives.ReadUInt16BigEndian(raw[(offset + 2)..]);
            if (type == XorRelayedAddress && length == 8 && raw[offset + 5] == 1)
            {
                var port = BinaryPrimitives.ReadUInt16BigEndian(raw[(offset + 6)..]) ^ (int)(StunMessage.MagicCookie >> 16);
                var address = BinaryPrimitives.ReadUInt32BigEndian(raw[(offset + 8)..]) ^ StunMessage.MagicCookie;
                return new IPEndPoint(new IPAddress(BinaryPrimitives.ReverseEndianness(address)), port);
            }
            offset += 4 + ((length + 3) & ~3);
        }
        return null;
    }
}

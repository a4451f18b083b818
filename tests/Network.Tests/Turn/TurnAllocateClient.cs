using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Text;
using OpenChat.Rtc.Stun;

namespace OpenChat.Network.Tests.Turn;

/// <summary>
/// Just enough of a TURN client (RFC 8656) to ask for an allocation with long-term credentials: an Allocate without
/// credentials gets 401 with REALM and NONCE, then an Allocate with USERNAME, REALM, NONCE and MESSAGE-INTEGRITY keyed
/// with MD5(username:realm:password); then permissions for peers. Over UDP to one server; sends nothing to a peer.
/// </summary>
public sealed class TurnAllocateClient : IDisposable
{
    private const ushort AllocateRequest = 0x0003;
    private const ushort AllocateSuccess = 0x0103;
    private const ushort AllocateError = 0x0113;
    private const ushort CreatePermissionRequest = 0x0008;
    private const ushort CreatePermissionSuccess = 0x0108;
    private const ushort RefreshRequest = 0x0004;
    private const ushort RefreshSuccess = 0x0104;
    private const ushort RequestedTransport = 0x0019;
    private const ushort XorRelayedAddress = 0x0016;
    private const ushort XorPeerAddress = 0x0012;

    private readonly Socket _socket;
    private readonly IPEndPoint _server;
    private (string User, string Realm, string Nonce, byte[] Key)? _credentials;

    private TurnAllocateClient(IPEndPoint server)
    {
        _server = server;
        _socket = new Socket(server.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        _socket.Bind(new IPEndPoint(server.Address, 0));
    }

    /// <summary>What the server answered the authenticated Allocate: 0 for success, else the STUN error code.</summary>
    public sealed record Outcome(int ErrorCode, string? Reason, IPEndPoint? Relayed)
    {
        public bool Allocated => ErrorCode == 0;
    }

    /// <summary>Asks for an allocation in one exchange of its own (a new client, closed afterwards).</summary>
    public static async Task<Outcome> AllocateAsync(IPEndPoint server, string username, string password, CancellationToken cancel = default)
    {
        using var client = new TurnAllocateClient(server);
        return await client.AllocateAsync(username, password, cancel);
    }

    /// <summary>A client that keeps its allocation (for permissions) until disposed.</summary>
    public static async Task<(TurnAllocateClient Client, Outcome Outcome)> AllocateKeepingAsync(IPEndPoint server, string username, string password)
    {
        var client = new TurnAllocateClient(server);
        return (client, await client.AllocateAsync(username, password, default));
    }

    private async Task<Outcome> AllocateAsync(string username, string password, CancellationToken cancel)
    {
        // First the unauthenticated request: the server's 401 names its realm and a nonce.
        var (challenge, _) = await ExchangeAsync(Build(AllocateRequest, null, null), cancel);
        if (challenge.Type != AllocateError || challenge.ErrorCode != 401 || challenge.Realm is null || challenge.Nonce is null)
            throw new InvalidOperationException($"expected a 401 with REALM and NONCE, got type {challenge.Type:X4} error {challenge.ErrorCode}");
        var credentials = (username, challenge.Realm, challenge.Nonce, StunMessage.LongTermKey(username, challenge.Realm, password));
        var (answer, raw) = await ExchangeAsync(Build(AllocateRequest, credentials, null), cancel);
        switch (answer.Type)
        {
            case AllocateSuccess when answer.CheckIntegrity(raw, credentials.Item4):
                _credentials = credentials;
                return new Outcome(0, null, RelayedAddress(raw));
            case AllocateSuccess:
                throw new InvalidOperationException("the success response's MESSAGE-INTEGRITY does not check");
            case AllocateError:
                return new Outcome(answer.ErrorCode ?? -1, answer.ErrorReason, null);
            default:
                throw new InvalidOperationException($"unexpected response type {answer.Type:X4}");
        }
    }

    /// <summary>Asks for a permission to relay to <paramref name="peer"/>: 0 when granted, else the error code (403 for a peer the server refuses).</summary>
    public async Task<int> CreatePermissionAsync(IPAddress peer)
    {
        var credentials = _credentials ?? throw new InvalidOperationException("no allocation");
        var (answer, _) = await ExchangeAsync(Build(CreatePermissionRequest, credentials, peer), default);
        return answer.Type == CreatePermissionSuccess ? 0 : answer.ErrorCode ?? -1;
    }

    /// <summary>Refreshes the allocation with the credentials it was made with: 0 when refreshed, else the error code.</summary>
    public async Task<int> RefreshAsync()
    {
        var credentials = _credentials ?? throw new InvalidOperationException("no allocation");
        var (answer, _) = await ExchangeAsync(Build(RefreshRequest, credentials, null), default);
        return answer.Type == RefreshSuccess ? 0 : answer.ErrorCode ?? -1;
    }

    public void Dispose() => _socket.Dispose();

    private static byte[] Build(ushort type, (string User, string Realm, string Nonce, byte[] Key)? credentials, IPAddress? peer)
    {
        var buffer = new byte[512];
        var writer = new StunWriter(buffer, (StunMessageType)type, StunTransactionId.NewRandom());
        if (peer is not null)
        {
            // XOR-PEER-ADDRESS is encoded as XOR-MAPPED-ADDRESS is; the first attribute's type is rewritten.
            writer.AddXorMappedAddress(peer, 0);
            BinaryPrimitives.WriteUInt16BigEndian(buffer.AsSpan(StunMessage.HeaderLength), XorPeerAddress);
        }
        else if (type == AllocateRequest)
        {
            // REQUESTED-TRANSPORT: UDP (17) and three reserved bytes.
            writer.AddString((StunAttributeType)RequestedTransport, "\u0011\0\0\0");
        }
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

    private async Task<(StunMessage Message, byte[] Raw)> ExchangeAsync(byte[] request, CancellationToken cancel)
    {
        var (socket, server) = (_socket, _server);
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

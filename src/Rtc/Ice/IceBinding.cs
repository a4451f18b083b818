using System.Net;
using System.Text;
using OpenChat.Rtc.Stun;

namespace OpenChat.Rtc.Ice;

/// <summary>ICE connectivity-check messages: what an ICE-lite responder and a controlling agent send and check.</summary>
public static class IceBinding
{
    /// <summary>Splits a request's USERNAME (<c>recipientUfrag:senderUfrag</c>).</summary>
    public static bool TrySplitUsername(string? username, out string recipient, out string sender)
    {
        recipient = sender = "";
        if (username is null)
        {
            return false;
        }
        int colon = username.IndexOf(':');
        if (colon <= 0 || colon == username.Length - 1)
        {
            return false;
        }
        recipient = username[..colon];
        sender = username[(colon + 1)..];
        return true;
    }

    /// <summary>
    /// Checks an incoming binding request addressed to <paramref name="local"/> from the peer whose ufrag is
    /// <paramref name="remoteUfrag"/>: USERNAME, MESSAGE-INTEGRITY with our password, FINGERPRINT.
    /// </summary>
    public static bool IsValidRequest(StunMessage request, ReadOnlySpan<byte> raw, IceCredentials local, string remoteUfrag)
    {
        return request.MessageType == StunMessageType.BindingRequest
            && !request.HasUnknownRequiredAttribute
            && TrySplitUsername(request.Username, out var recipient, out var sender)
            && recipient == local.Ufrag
            && sender == remoteUfrag
            && request.FingerprintOffset >= 0
            && request.CheckFingerprint(raw)
            && request.CheckIntegrity(raw, Encoding.UTF8.GetBytes(local.Password));
    }

    /// <summary>Writes a success response to <paramref name="request"/> for a peer seen at <paramref name="source"/>.</summary>
    public static int WriteSuccessResponse(Span<byte> buffer, StunTransactionId transactionId, IPEndPoint source, IceCredentials local)
    {
        var w = new StunWriter(buffer, StunMessageType.BindingSuccessResponse, transactionId);
        var address = source.Address.IsIPv4MappedToIPv6 ? source.Address.MapToIPv4() : source.Address;
        w.AddXorMappedAddress(address, source.Port);
        w.AddMessageIntegrity(Encoding.UTF8.GetBytes(local.Password));
        w.AddFingerprint();
        return w.Length;
    }

    /// <summary>Writes a controlling agent's check: USERNAME, PRIORITY, ICE-CONTROLLING, USE-CANDIDATE, MESSAGE-INTEGRITY, FINGERPRINT.</summary>
    public static int WriteRequest(Span<byte> buffer, StunTransactionId transactionId, IceCredentials local, IceCredentials remote,
        uint priority, ulong tieBreaker, bool useCandidate) =>
        WriteCheck(buffer, transactionId, local, remote, priority, tieBreaker, controlling: true, useCandidate);

    /// <summary>
    /// Writes a controlled agent's check (USERNAME, PRIORITY, ICE-CONTROLLED, MESSAGE-INTEGRITY, FINGERPRINT): what the
    /// lite side sends to prove that a new address of its peer receives.
    /// </summary>
    public static int WriteControlledRequest(Span<byte> buffer, StunTransactionId transactionId, IceCredentials local, IceCredentials remote,
        ulong tieBreaker) =>
        WriteCheck(buffer, transactionId, local, remote, IceCandidate.ComputePriority(126, 65535, 1), tieBreaker, controlling: false, useCandidate: false);

    private static int WriteCheck(Span<byte> buffer, StunTransactionId transactionId, IceCredentials local, IceCredentials remote,
        uint priority, ulong tieBreaker, bool controlling, bool useCandidate)
    {
        var w = new StunWriter(buffer, StunMessageType.BindingRequest, transactionId);
        w.AddUsername(remote.Ufrag + ":" + local.Ufrag);
        w.AddPriority(priority);
        if (controlling)
        {
            w.AddIceControlling(tieBreaker);
        }
        else
        {
            w.AddIceControlled(tieBreaker);
        }
        if (useCandidate)
        {
            w.AddUseCandidate();
        }
        w.AddMessageIntegrity(Encoding.UTF8.GetBytes(remote.Password));
        w.AddFingerprint();
        return w.Length;
    }

    /// <summary>Checks a success response to our request <paramref name="expected"/>, signed with the remote password.</summary>
    public static bool IsValidResponse(StunMessage response, ReadOnlySpan<byte> raw, StunTransactionId expected, IceCredentials remote) =>
        response.MessageType == StunMessageType.BindingSuccessResponse
        && response.TransactionId == expected
        && response.CheckIntegrity(raw, Encoding.UTF8.GetBytes(remote.Password))
        && (response.FingerprintOffset < 0 || response.CheckFingerprint(raw));
}

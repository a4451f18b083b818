using System.Diagnostics;
using Akka.Actor;
using Akka.Event;
using OpenChat.Actors.Ids;
using OpenChat.Actors.Protocol;
using OpenChat.Actors.Protocol.Commands;
using OpenChat.Actors.Protocol.Media;
using OpenChat.MediaNode.Engine;
using OpenChat.Rtc.Sdp;
using OpenChat.Rtc.Transport;

namespace OpenChat.MediaNode.Mixers;

/// <summary>
/// The mixer of one voice room on this node. It accepts each member's WebRTC offer on the node's endpoint and
/// wires the session to the room: packets go straight from the receive thread into the member's jitter buffer,
/// and the room's mixes go straight from the mixing thread into the session; no actor message per packet.
/// The mixer manager creates the engine room before this actor and removes it when this actor stops.
/// Channel actors death-watch it; when it or its node is gone, they place a new one.
/// </summary>
public sealed class MixerActor : ReceiveActor
{
    public const int MaxOfferLength = 16 * 1024;

    private readonly ChannelId _room;
    private readonly MixerRoom _mixerRoom;
    private readonly RtcEndpoint _endpoint;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly Dictionary<UserId, Member> _members = new();
    private long _nextMemberId;

    private sealed record Member(MemberId Id, RtcSession Session, IActorRef? Owner);

    private sealed record SessionClosed(UserId User, RtcSession Session, string Reason);

    public MixerActor(ChannelId room, MixerRoom mixerRoom, RtcEndpoint endpoint)
    {
        _room = room;
        _mixerRoom = mixerRoom;
        _endpoint = endpoint;

        Receive<ConnectMember>(Connect);
        Receive<DisconnectMember>(d =>
        {
            Remove(d.User, "left");
            Sender.Tell(new MemberDisconnected(_room, d.User, "left"));
        });
        Receive<SessionClosed>(closed =>
        {
            // Only the session still registered counts; a replaced one has already been removed.
            if (!_members.TryGetValue(closed.User, out var member) || !ReferenceEquals(member.Session, closed.Session)) return;
            Remove(closed.User, closed.Reason);
            member.Owner?.Tell(new MemberDisconnected(_room, closed.User, closed.Reason));
        });
    }

    public static Props Props(ChannelId room, MixerRoom mixerRoom, RtcEndpoint endpoint) =>
        Akka.Actor.Props.Create(() => new MixerActor(room, mixerRoom, endpoint));

    public static RoomId RoomIdFor(ChannelId room) => new(room.Value);

    private void Connect(ConnectMember request)
    {
        if (request.SdpOffer is null || request.SdpOffer.Length > MaxOfferLength)
        {
            Sender.Tell(new CommandRejected(ErrorCode.InvalidArgument, $"An SDP offer has at most {MaxOfferLength} characters."));
            return;
        }

        var memberId = new MemberId(++_nextMemberId);
        var room = _mixerRoom;
        RtcAnswer answer;
        try
        {
            answer = _endpoint.AcceptOffer(request.SdpOffer, new RtcSessionOptions
            {
                AudioReceived = (RtcSession _, in RtcAudioFrame frame) => room.OnPacket(
                    memberId, frame.SequenceNumber, frame.Timestamp, frame.Payload,
                    frame.AudioLevel >= 0 ? (byte)frame.AudioLevel : null, Stopwatch.GetTimestamp()),
            });
        }
        catch (Exception e) when (e is SdpException or OfferRejectedException)
        {
            Sender.Tell(new CommandRejected(ErrorCode.InvalidArgument, "The offer cannot be served: " + e.Message));
            return;
        }

        // A member who connects again (a renegotiation) replaces their previous session.
        Remove(request.User, "replaced by a new connection");
        var session = answer.Session;
        _mixerRoom.AddMember(memberId, new SessionSink(session));
        _mixerRoom.SetMuted(memberId, request.Muted);
        _mixerRoom.SetDeafened(memberId, request.Deafened);
        _members[request.User] = new Member(memberId, session, Sender);
        var self = Self;
        var user = request.User;
        session.Closed += (s, reason) => self.Tell(new SessionClosed(user, s, reason));
        Sender.Tell(new MemberConnected(_room, request.User, answer.Sdp));
    }

    private void Remove(UserId user, string reason)
    {
        if (!_members.Remove(user, out var member)) return;
        _mixerRoom.RemoveMember(member.Id);
        member.Session.Close(reason);
    }

    protected override void PreStart() => _log.Info("Mixer for room {0} started", _room);

    protected override void PostStop()
    {
        foreach (var user in _members.Keys.ToList()) Remove(user, "mixer stopped");
        _log.Info("Mixer for room {0} stopped", _room);
    }

    /// <summary>Hands the room's encoded mix for one member to that member's WebRTC session.</summary>
    private sealed class SessionSink(RtcSession session) : IAudioSink
    {
        public void OnFrame(ReadOnlySpan<byte> opus, uint rtpTimestamp, ushort sequenceNumber, bool marker) =>
            session.SendAudio(opus, rtpTimestamp, marker);
    }
}

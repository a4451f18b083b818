using Akka.Actor;
using Akka.Event;
using OpenChat.Actors.Ids;
using OpenChat.MediaNode.Engine;

namespace OpenChat.MediaNode.Mixers;

/// <summary>
/// The mixer of one voice room on this node, the handle through which its members reach the room in the node's
/// engine. The mixer manager creates the engine room before this actor and removes it when this actor stops, so a
/// room is ready as soon as its mixer is announced. Channel actors death-watch it; when it or its node is gone,
/// they place a new one.
/// </summary>
public sealed class MixerActor : ReceiveActor
{
    private readonly ChannelId _room;
    private readonly MixerRoom _mixerRoom;
    private readonly ILoggingAdapter _log = Context.GetLogger();

    public MixerActor(ChannelId room, MixerRoom mixerRoom)
    {
        _room = room;
        _mixerRoom = mixerRoom;
    }

    public static Props Props(ChannelId room, MixerRoom mixerRoom) =>
        Akka.Actor.Props.Create(() => new MixerActor(room, mixerRoom));

    public static RoomId RoomIdFor(ChannelId room) => new(room.Value);

    protected override void PreStart() => _log.Info("Mixer for room {0} started", _room);

    protected override void PostStop() => _log.Info("Mixer for room {0} stopped ({1} members)", _room, _mixerRoom.MemberCount);
}

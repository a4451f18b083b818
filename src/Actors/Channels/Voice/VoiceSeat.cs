using Akka.Actor;
using OpenChat.Protocol.Ids;
using OpenChat.Protocol.Media;
using OpenChat.Protocol.Voice;

namespace OpenChat.Channels.Voice;

/// <summary>One member of a voice room.</summary>
internal sealed class VoiceSeat(UserId user, string name)
{
    public UserId User { get; } = user;
    public string Name { get; set; } = name;

    /// <summary>The connection that joined or last resumed; null while none holds the membership.</summary>
    public IActorRef? Session { get; set; }

    public bool Muted { get; set; }
    public bool Deafened { get; set; }

    /// <summary>The member may not speak here: mixed as muted, whatever <see cref="Muted"/> says.</summary>
    public bool Suppressed { get; set; }

    /// <summary>A moderator muted the member (shown; <see cref="Suppressed"/> is what the mixer applies).</summary>
    public bool ServerMuted { get; set; }

    /// <summary>A moderator deafened the member: they hear nothing, whatever <see cref="Deafened"/> says.</summary>
    public bool ServerDeafened { get; set; }

    /// <summary>What the mixer applies.</summary>
    public bool MixedMuted => Muted || Suppressed;

    public bool MixedDeafened => Deafened || ServerDeafened;
    public bool Speaking { get; set; }

    /// <summary>True once the member's media first connected and the channel was told.</summary>
    public bool Announced { get; set; }

    /// <summary>True once the media session of the member's latest join connected.</summary>
    public bool MediaConnected { get; set; }

    /// <summary>The client address the member joined from, if known.</summary>
    public string? ClientAddress { get; set; }

    /// <summary>Counts the member's joins, so the answer to an older one is recognised.</summary>
    public long Generation { get; set; }

    /// <summary>How the media session of the member's latest join reaches its mixer, once connected (if the mixer told).</summary>
    public MediaPath? Path { get; set; }

    /// <summary>The mixer that holds this member's media session, if any.</summary>
    public IActorRef? ConnectedMixer { get; set; }

    public Dictionary<UserId, float> Volumes { get; } = new();

    public VoiceMember ToMember() => new(User, Name, Muted, Deafened, Speaking && !Suppressed, Suppressed, ServerDeafened, ServerMuted);
}

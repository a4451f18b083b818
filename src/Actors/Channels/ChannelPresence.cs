using Akka.Actor;
using OpenChat.Protocol;
using OpenChat.Protocol.Ids;

namespace OpenChat.Channels;

/// <summary>
/// A channel's subscribers (one per open session) and who is online: a user is online while at least one of their
/// sessions has the channel open. Says when a user comes online or goes offline; sends nothing itself.
/// </summary>
public sealed class ChannelPresence(int maxSubscribers)
{
    private readonly Dictionary<IActorRef, PresenceMember> _subscribers = new();
    private readonly Dictionary<UserId, (string Name, int Sessions)> _online = new();

    public enum Subscription
    {
        /// <summary>The channel has its maximum of subscribers.</summary>
        Refused,

        /// <summary>The session was subscribed already.</summary>
        Known,

        /// <summary>Another session of the same user was subscribed already.</summary>
        Added,

        /// <summary>The user's first session: others learn they are online.</summary>
        CameOnline,
    }

    public IReadOnlyCollection<IActorRef> Subscribers => _subscribers.Keys;

    public bool Contains(IActorRef subscriber) => _subscribers.ContainsKey(subscriber);

    public Subscription Subscribe(IActorRef subscriber, PresenceMember member)
    {
        if (_subscribers.ContainsKey(subscriber)) return Subscription.Known;
        if (_subscribers.Count >= maxSubscribers) return Subscription.Refused;
        _subscribers[subscriber] = member;
        if (_online.TryGetValue(member.User, out var entry))
        {
            _online[member.User] = (entry.Name, entry.Sessions + 1);
            return Subscription.Added;
        }
        _online[member.User] = (member.DisplayName, 1);
        return Subscription.CameOnline;
    }

    /// <summary>Removes a subscriber; false when it was none. <paramref name="wentOffline"/> is its user when that was their last session.</summary>
    public bool Unsubscribe(IActorRef subscriber, out UserId? wentOffline)
    {
        wentOffline = null;
        if (!_subscribers.Remove(subscriber, out var member)) return false;
        var entry = _online[member.User];
        if (entry.Sessions > 1)
        {
            _online[member.User] = (entry.Name, entry.Sessions - 1);
        }
        else
        {
            _online.Remove(member.User);
            wentOffline = member.User;
        }
        return true;
    }

    /// <summary>The users online, by name, each with the name of their first session.</summary>
    public List<PresenceMember> Online() =>
        _online.Select(kv => new PresenceMember(kv.Key, kv.Value.Name)).OrderBy(m => m.DisplayName, StringComparer.OrdinalIgnoreCase).ToList();

    public void Clear()
    {
        _subscribers.Clear();
        _online.Clear();
    }
}

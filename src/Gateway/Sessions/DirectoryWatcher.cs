using Akka.Actor;
using Akka.Event;
using Microsoft.AspNetCore.SignalR;
using OpenChat.Protocol.Commands;
using OpenChat.Protocol.Queries;
using OpenChat.Gateway.Hub;

namespace OpenChat.Gateway.Sessions;

/// <summary>
/// Keeps the gateway's <see cref="ChannelCatalog"/> in step with the directory singleton and tells every session
/// when the list, the roles or the overrides change. It re-registers periodically, because a singleton that moved has forgotten its watchers.
/// </summary>
public sealed class DirectoryWatcher : ReceiveActor, IWithTimers
{
    private static readonly TimeSpan Refresh = TimeSpan.FromSeconds(10);
    private readonly ILoggingAdapter _log = Context.GetLogger();

    private sealed record Register;

    public DirectoryWatcher(IActorRef directory, ChannelCatalog catalog, IActorRef sessions, IHubContext<ChatHub, IChatClient>? hub)
    {
        Receive<Register>(_ => directory.Tell(new WatchDirectory(Self)));
        Receive<ChannelList>(list =>
        {
            var wasLoaded = catalog.IsLoaded;
            var settingsBefore = catalog.Settings;
            if (!catalog.Update(list.Channels, list.Permissions, list.Settings)) return;
            // Every connection of this gateway hears of new settings (each gateway tells its own).
            if (wasLoaded && list.Settings is { } settings && settings != settingsBefore && hub is not null)
                _ = hub.Clients.All.ServerUpdated(ServerSettingsDto.From(settings));
            if (!wasLoaded)
            {
                _log.Info("Channel list loaded: {0} channels", list.Channels.Count);
                Timers.StartPeriodicTimer("register", new Register(), Refresh);
                return;
            }
            // Each connection is told what changed for its own user: the channels it may see and its permissions.
            sessions.Tell(AccessChanged.Instance);
        });
    }

    public ITimerScheduler Timers { get; set; } = null!;

    protected override void PreStart()
    {
        // Until the first list arrives, ask every second.
        Timers.StartPeriodicTimer("register", new Register(), TimeSpan.FromSeconds(1));
        Self.Tell(new Register());
    }

    public static Props Props(IActorRef directory, ChannelCatalog catalog, IActorRef sessions, IHubContext<ChatHub, IChatClient>? hub = null) =>
        Akka.Actor.Props.Create(() => new DirectoryWatcher(directory, catalog, sessions, hub));
}

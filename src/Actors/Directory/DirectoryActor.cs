using System.Text;
using Akka.Actor;
using Akka.Event;
using Akka.Persistence;
using OpenChat.Channels;
using OpenChat.Protocol.Text;
using OpenChat.Protocol.Ids;
using OpenChat.Protocol;
using OpenChat.Protocol.Commands;
using OpenChat.Protocol.Events;
using OpenChat.Protocol.Queries;
using OpenChat.Protocol.Permissions;

namespace OpenChat.Channels.Directory;

/// <summary>
/// The server's channel list (a cluster singleton, event-sourced). Seeds the configured channels on first
/// start, validates changes, tells the affected channel entity and every watcher (gateway caches).
/// </summary>
public sealed partial class DirectoryActor : ReceivePersistentActor
{
    public const string Id = "channel-directory";

    private readonly DirectoryOptions _options;
    private readonly IActorRef _channels;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly Dictionary<ChannelId, ChannelInfo> _byId = new();
    // Ids of deleted channels are never handed out again: the id names the channel's journal.
    private readonly HashSet<ChannelId> _retired = new();
    private readonly HashSet<IActorRef> _watchers = new();
    private bool _seeded;
    private ServerSettings? _settings;

    public DirectoryActor(DirectoryOptions options, IActorRef channels)
    {
        _options = options;
        _channels = channels;

        Recover<DirectorySeeded>(Apply);
        Recover<DirectoryChannelCreated>(Apply);
        Recover<DirectoryChannelUpdated>(Apply);
        Recover<DirectoryChannelDeleted>(Apply);
        Recover<DirectoryChannelsOrdered>(Apply);
        Recover<DirectoryServerSettingsSet>(e =>
        {
            _settings = e.Settings;
            _model = null;
        });
        RecoverRoles();
        Recover<RecoveryCompleted>(_ =>
        {
            if (_seeded) return;
            var initial = _options.EffectiveInitialChannels
                .Select((c, i) => new ChannelInfo(new ChannelId(c.Id), c.Name.Trim(), c.Kind, i, c.Topic ?? ""))
                .ToList();
            Persist(new DirectorySeeded(initial), e =>
            {
                Apply(e);
                _log.Info("Channel directory created with {0} channels", e.Channels.Count);
            });
        });

        Command<GetChannels>(_ => Sender.Tell(List()));
        Command<GetChannelInfo>(q => Sender.Tell(new ChannelInfoResult(q.Channel, _byId.GetValueOrDefault(q.Channel))));
        Command<WatchDirectory>(w =>
        {
            // Gateways re-register periodically; only a new watcher needs the list (the others get every change).
            if (!_watchers.Add(w.Watcher)) return;
            Context.Watch(w.Watcher);
            w.Watcher.Tell(List());
        });
        Command<Terminated>(t => _watchers.Remove(t.ActorRef));
        Command<CreateChannel>(Create);
        Command<UpdateChannel>(Update);
        Command<DeleteChannel>(Delete);
        Command<ReorderChannels>(Reorder);
        Command<UpdateServerSettings>(UpdateSettings);
        RoleCommands();
    }

    public override string PersistenceId => Id;

    public static Props Props(DirectoryOptions options, IActorRef channels) =>
        Akka.Actor.Props.Create(() => new DirectoryActor(options, channels));

    private void Create(CreateChannel cmd)
    {
        var name = TextRules.NormalizeChannelName(cmd.Name, out var reason);
        if (name is null)
        {
            Reject(ErrorCode.InvalidArgument, reason);
            return;
        }
        if (!Enum.IsDefined(cmd.Kind))
        {
            Reject(ErrorCode.InvalidArgument, "Unknown channel kind.");
            return;
        }
        if ((cmd.Topic?.Length ?? 0) > ChannelInfo.MaxTopicLength)
        {
            Reject(ErrorCode.InvalidArgument, $"A topic has at most {ChannelInfo.MaxTopicLength} characters.");
            return;
        }
        if (_byId.Count >= _options.MaxChannels)
        {
            Reject(ErrorCode.InvalidArgument, $"This server already has {_options.MaxChannels} channels.");
            return;
        }
        if (_byId.Values.Any(c => c.Kind == cmd.Kind && string.Equals(c.Name, name, StringComparison.OrdinalIgnoreCase)))
        {
            Reject(ErrorCode.NameTaken, $"A {cmd.Kind.ToString().ToLowerInvariant()} channel named '{name}' exists.");
            return;
        }
        var id = FreshId(name);
        var position = _byId.Count == 0 ? 0 : _byId.Values.Max(c => c.Position) + 1;
        var info = new ChannelInfo(id, name, cmd.Kind, position, cmd.Topic?.Trim() ?? "");
        var sender = Sender;
        Persist(new DirectoryChannelCreated(info), e =>
        {
            Apply(e);
            sender.Tell(new ChannelInfoResult(info.Id, info, LastSequenceNr));
            NotifyWatchers();
        });
    }

    private void Update(UpdateChannel cmd)
    {
        if (!_byId.TryGetValue(cmd.Channel, out var current))
        {
            Reject(ErrorCode.UnknownChannel, $"Channel '{cmd.Channel}' does not exist.");
            return;
        }
        var updated = current;
        if (cmd.Name is not null)
        {
            var name = TextRules.NormalizeChannelName(cmd.Name, out var reason);
            if (name is null)
            {
                Reject(ErrorCode.InvalidArgument, reason);
                return;
            }
            if (_byId.Values.Any(c => c.Id != current.Id && c.Kind == current.Kind && string.Equals(c.Name, name, StringComparison.OrdinalIgnoreCase)))
            {
                Reject(ErrorCode.NameTaken, $"A channel named '{name}' exists.");
                return;
            }
            updated = updated with { Name = name };
        }
        if (cmd.Topic is not null)
        {
            if (cmd.Topic.Length > ChannelInfo.MaxTopicLength)
            {
                Reject(ErrorCode.InvalidArgument, $"A topic has at most {ChannelInfo.MaxTopicLength} characters.");
                return;
            }
            updated = updated with { Topic = cmd.Topic.Trim() };
        }
        if (cmd.Category is not null)
        {
            var category = TextRules.NormalizeCategory(cmd.Category, out var reason);
            if (category is null)
            {
                Reject(ErrorCode.InvalidArgument, reason);
                return;
            }
            updated = updated with { Category = category.Length == 0 ? null : category };
        }
        if (cmd.Position is { } position)
        {
            if (position is < 0 or > 100_000)
            {
                Reject(ErrorCode.InvalidArgument, "A position is between 0 and 100000.");
                return;
            }
            updated = updated with { Position = position };
        }
        var sender = Sender;
        Persist(new DirectoryChannelUpdated(updated), e =>
        {
            Apply(e);
            sender.Tell(new ChannelInfoResult(updated.Id, updated, LastSequenceNr));
            _channels.Tell(new ChannelInfoChanged(updated.Id, updated));
            NotifyWatchers();
        });
    }

    private void Reorder(ReorderChannels cmd)
    {
        var ids = cmd.Channels ?? [];
        if (ids.Count != _byId.Count || ids.Distinct().Count() != ids.Count || !ids.All(_byId.ContainsKey))
        {
            Reject(ErrorCode.InvalidArgument, "The order lists every channel exactly once.");
            return;
        }
        var sender = Sender;
        Persist(new DirectoryChannelsOrdered(ids.ToArray()), e =>
        {
            Apply(e);
            sender.Tell(new ChannelsReordered(LastSequenceNr));
            // Channel entities are not told (that would start every one of them): gateways take positions from the list.
            NotifyWatchers();
        });
    }

    private void UpdateSettings(UpdateServerSettings cmd)
    {
        var settings = _settings ?? cmd.Initial;
        if (cmd.Name is not null)
        {
            if (TextRules.NormalizeServerName(cmd.Name, out var reason) is not { } name)
            {
                Reject(ErrorCode.InvalidArgument, reason);
                return;
            }
            settings = settings with { Name = name };
        }
        if (cmd.Description is not null)
        {
            if (TextRules.NormalizeServerDescription(cmd.Description, out var reason) is not { } description)
            {
                Reject(ErrorCode.InvalidArgument, reason);
                return;
            }
            settings = settings with { Description = description };
        }
        if (cmd.JoinPolicy is { } policy)
        {
            if (!Enum.IsDefined(policy))
            {
                Reject(ErrorCode.InvalidArgument, "The join policy is open or invite.");
                return;
            }
            settings = settings with { JoinPolicy = policy };
        }
        if (cmd.GuestsAllowed is { } guests) settings = settings with { GuestsAllowed = guests };
        var sender = Sender;
        Persist(new DirectoryServerSettingsSet(settings), e =>
        {
            _settings = e.Settings;
            _model = null;
            sender.Tell(new ServerSettingsSaved(e.Settings, LastSequenceNr));
            NotifyWatchers();
        });
    }

    private void Delete(DeleteChannel cmd)
    {
        if (!_byId.ContainsKey(cmd.Channel))
        {
            Reject(ErrorCode.UnknownChannel, $"Channel '{cmd.Channel}' does not exist.");
            return;
        }
        var sender = Sender;
        Persist(new DirectoryChannelDeleted(cmd.Channel), e =>
        {
            Apply(e);
            sender.Tell(new ChannelInfoResult(cmd.Channel, null, LastSequenceNr));
            _channels.Tell(new ChannelInfoChanged(cmd.Channel, null));
            NotifyWatchers();
        });
    }

    private void Apply(DirectorySeeded e)
    {
        _seeded = true;
        foreach (var c in e.Channels) _byId[c.Id] = c;
        _model = null;
    }

    private void Apply(DirectoryChannelCreated e)
    {
        _byId[e.Channel.Id] = e.Channel;
        _model = null;
    }

    private void Apply(DirectoryChannelUpdated e)
    {
        _byId[e.Channel.Id] = e.Channel;
        _model = null;
    }

    private void Apply(DirectoryChannelsOrdered e)
    {
        for (var i = 0; i < e.Channels.Count; i++)
        {
            if (_byId.TryGetValue(e.Channels[i], out var c)) _byId[c.Id] = c with { Position = i };
        }
        _model = null;
    }

    private void Apply(DirectoryChannelDeleted e)
    {
        _byId.Remove(e.Channel);
        _retired.Add(e.Channel);
        _overrides.Remove(e.Channel.Value);
        _model = null;
    }

    private ChannelId FreshId(string name)
    {
        var slug = Slug(name);
        if (slug.Length > 0 && ChannelId.TryParse(slug, out var candidate) && !_byId.ContainsKey(candidate) && !_retired.Contains(candidate))
            return candidate;
        ChannelId id;
        do id = ChannelId.NewRandom();
        while (_byId.ContainsKey(id) || _retired.Contains(id));
        return id;
    }

    private static string Slug(string name)
    {
        var sb = new StringBuilder();
        foreach (var c in name.ToLowerInvariant())
        {
            if (c is >= 'a' and <= 'z' or >= '0' and <= '9') sb.Append(c);
            else if (sb.Length > 0 && sb[^1] != '-') sb.Append('-');
            if (sb.Length >= 48) break;
        }
        return sb.ToString().Trim('-');
    }

    private ChannelList List() =>
        new(_byId.Values.OrderBy(c => c.Position).ThenBy(c => c.Name, StringComparer.OrdinalIgnoreCase).ToList(), Model, _settings);

    private void NotifyWatchers()
    {
        if (_watchers.Count == 0) return;
        var list = List();
        foreach (var w in _watchers) w.Tell(list);
    }

    private void Reject(ErrorCode code, string reason) => Sender.Tell(new CommandRejected(code, reason));
}

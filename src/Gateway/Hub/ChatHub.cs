using System.Security.Claims;
using Akka.Actor;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.SignalR;
using OpenChat.Protocol.Ids;
using OpenChat.Protocol;
using OpenChat.Protocol.Commands;
using OpenChat.Protocol.Events;
using OpenChat.Protocol.Queries;
using OpenChat.Protocol.Voice;
using OpenChat.Protocol.Text;
using HistoryQuery = OpenChat.Protocol.Queries.GetHistory;
using OpenChat.Gateway.Auth;
using OpenChat.Gateway.Sessions;
using OpenChat.Gateway.Turn;
using OpenChat.Protocol.Permissions;

namespace OpenChat.Gateway.Hub;

/// <summary>
/// The SignalR hub at <c>/hub</c>. Every method needs a session token, checks its arguments here (so bad input
/// never reaches the cluster) and hands the call to the connection's session actor or the channel region.
/// </summary>
[Authorize(AuthenticationSchemes = TokenAuthenticationHandler.SchemeName)]
public sealed class ChatHub(GatewayRuntime runtime, TurnCredentials turn, Audit.AuditTrail audit) : Hub<IChatClient>
{
    private const string SessionKey = "openchat:session";
    private const string PushKey = "openchat:push";

    public override async Task OnConnectedAsync()
    {
        var identity = CurrentIdentity();
        var (session, push) = await runtime.StartSessionAsync(Context, identity);
        Context.Items[SessionKey] = session;
        Context.Items[PushKey] = push;
        await base.OnConnectedAsync();
    }

    public override Task OnDisconnectedAsync(Exception? exception)
    {
        // A closed connection does not end a voice membership: a connection cut off looks the same to the server
        // as one closed on purpose, and the media may well go on. The client resumes it from a new connection, or
        // leaves; otherwise the channel ends it once its media session ends or the resume grace passes.
        if (Context.Items.TryGetValue(SessionKey, out var session) && session is IActorRef actor)
            actor.Tell(PoisonPill.Instance);
        if (Context.Items.TryGetValue(PushKey, out var push) && push is HubClientPush p)
            p.Complete();
        return base.OnDisconnectedAsync(exception);
    }

    /// <summary>The connected user.</summary>
    public UserDto Me()
    {
        var identity = CurrentIdentity();
        return new UserDto(identity.User.Value, identity.DisplayName);
    }

    /// <summary>The channels this user can see, ordered by position, each with the user's permissions in it.</summary>
    public ChannelDto[] GetChannels()
    {
        if (!runtime.Catalog.IsLoaded) throw HubErrors.Unavailable();
        return SessionActor.VisibleChannels(runtime.Catalog, CurrentAccess());
    }

    /// <summary>This user's server-wide permissions, whether they own the server, and their roles.</summary>
    public PermissionsDto GetPermissions() => PermissionsDto.From(CurrentAccess());

    /// <summary>Subscribes to a channel's events and returns its settings, who is online and the newest 50 messages.</summary>
    public async Task<ChannelViewDto> OpenChannel(string channelId)
    {
        var channel = KnownChannel(channelId, Permission.ViewChannel);
        return await Session().Ask<object>(new OpenChannelRequest(channel.Id), runtime.Budgets.OpenChannel) switch
        {
            ChannelViewDto view => view,
            CommandRejected rejected => throw HubErrors.From(rejected),
            var other => throw Unexpected(other),
        };
    }

    /// <summary>Stops receiving a channel's events.</summary>
    public async Task CloseChannel(string channelId)
    {
        var channel = ParseChannelId(channelId);
        await Session().Ask<Unsubscribed>(new CloseChannelRequest(channel), runtime.Budgets.Cluster);
    }

    /// <summary>
    /// Posts a message (1 to 2000 characters after trimming); returns it once stored. A retry with the same
    /// <paramref name="nonce"/> returns the message already stored instead of storing it again.
    /// </summary>
    public Task<MessageDto> PostMessage(string channelId, string text, string nonce) => Post(channelId, text, nonce, null);

    /// <summary>
    /// Posts a message that answers message <paramref name="replyTo"/>, a live message of the same channel; otherwise as
    /// <see cref="PostMessage"/>.
    /// </summary>
    public Task<MessageDto> ReplyToMessage(string channelId, long replyTo, string text, string nonce)
    {
        if (replyTo < 1) throw HubErrors.Error(ErrorCode.InvalidArgument, "replyTo must be a message id.");
        return Post(channelId, text, nonce, replyTo);
    }

    private async Task<MessageDto> Post(string channelId, string text, string nonce, long? replyTo)
    {
        var channel = KnownChannel(channelId, Permission.SendMessages);
        if (channel.Kind != ChannelKind.Text)
            throw HubErrors.Error(ErrorCode.WrongChannelKind, $"'{channel.Name}' is a voice channel.");
        if (text is null) throw HubErrors.Error(ErrorCode.InvalidText, "Text is required.");
        if (!Protocol.Commands.PostMessage.IsValidNonce(nonce)) throw HubErrors.Error(ErrorCode.InvalidArgument, Protocol.Commands.PostMessage.NonceRule);
        return await Session().Ask<object>(new PostRequest(channel.Id, text, nonce, replyTo), runtime.Budgets.Cluster) switch
        {
            PostAccepted accepted => MessageDto.From(accepted.Message, runtime.Identities),
            CommandRejected rejected => throw HubErrors.From(rejected),
            var other => throw Unexpected(other),
        };
    }

    /// <summary>Replaces the text of one of the caller's own messages (same rules as a post); returns the message as it now reads.</summary>
    public async Task<MessageDto> EditMessage(string channelId, long messageId, string text)
    {
        var channel = KnownChannel(channelId, Permission.SendMessages);
        if (channel.Kind != ChannelKind.Text) throw HubErrors.Error(ErrorCode.WrongChannelKind, $"'{channel.Name}' is a voice channel.");
        if (messageId < 1) throw HubErrors.Error(ErrorCode.InvalidArgument, "messageId must be a message id.");
        if (TextRules.NormalizeMessage(text, out var reason) is null) throw HubErrors.Error(ErrorCode.InvalidText, reason);
        return await runtime.Region.Ask<object>(new Protocol.Commands.EditMessage(channel.Id, CurrentIdentity().User, messageId, text), runtime.Budgets.Cluster) switch
        {
            EditAccepted accepted => MessageDto.From(accepted.Message, runtime.Identities),
            CommandRejected rejected => throw HubErrors.From(rejected),
            var other => throw Unexpected(other),
        };
    }

    /// <summary>
    /// Deletes a message: one's own, or anyone's with manage messages in the channel (recorded in the audit log with
    /// <paramref name="reason"/>). Its text is destroyed. Deleting a deleted message again does nothing.
    /// </summary>
    public async Task DeleteMessage(string channelId, long messageId, string? reason)
    {
        var channel = KnownChannel(channelId, Permission.ViewChannel);
        if (channel.Kind != ChannelKind.Text) throw HubErrors.Error(ErrorCode.WrongChannelKind, $"'{channel.Name}' is a voice channel.");
        if (messageId < 1) throw HubErrors.Error(ErrorCode.InvalidArgument, "messageId must be a message id.");
        var why = ModerationReason(reason);
        var access = CurrentAccess();
        var moderator = (access.In(channel.Id) & Permission.ManageMessages) != 0;
        switch (await runtime.Region.Ask<object>(new Protocol.Commands.DeleteMessage(channel.Id, access.User, messageId, moderator), runtime.Budgets.Cluster))
        {
            case DeleteDone done:
                if (done.Deleted && done.Author is { } author && author != access.User)
                    audit.Record(access, "message.delete", Audit.AuditTarget.Member(author), why, $"message {messageId} in {channel.Name}");
                return;
            case CommandRejected rejected:
                throw HubErrors.From(rejected);
            case var other:
                throw Unexpected(other);
        }
    }

    /// <summary>Tells the channel's other clients the caller is typing (passed on at most once per 2 s; not stored).</summary>
    public void SendTyping(string channelId)
    {
        var channel = KnownChannel(channelId, Permission.SendMessages);
        if (channel.Kind != ChannelKind.Text) throw HubErrors.Error(ErrorCode.WrongChannelKind, $"'{channel.Name}' is a voice channel.");
        var identity = CurrentIdentity();
        runtime.Region.Tell(new Protocol.Commands.SendTyping(channel.Id, identity.User, identity.DisplayName));
    }

    /// <summary>Up to <paramref name="limit"/> (1 to 100, default 50) messages older than message <paramref name="before"/>, or the newest.</summary>
    public async Task<HistoryDto> GetHistory(string channelId, long? before, int? limit)
    {
        var channel = KnownChannel(channelId, Permission.ReadHistory);
        if (channel.Kind != ChannelKind.Text)
            throw HubErrors.Error(ErrorCode.WrongChannelKind, $"'{channel.Name}' has no text history.");
        var pageSize = limit ?? HistoryQuery.DefaultLimit;
        if (pageSize is < 1 or > HistoryQuery.MaxLimit)
            throw HubErrors.Error(ErrorCode.InvalidArgument, $"limit must be 1 to {HistoryQuery.MaxLimit}.");
        if (before is < 1) throw HubErrors.Error(ErrorCode.InvalidArgument, "before must be a message id.");
        return await runtime.Region.Ask<object>(new HistoryQuery(channel.Id, before, pageSize), runtime.Budgets.Cluster) switch
        {
            HistoryPage page => new HistoryDto(channel.Id.Value, page.Messages.Select(m => MessageDto.From(m, runtime.Identities)).ToArray(), page.HasMore),
            CommandRejected rejected => throw HubErrors.From(rejected),
            var other => throw Unexpected(other),
        };
    }

    /// <summary>
    /// The client's address key (after forwarded headers from known proxies; IPv6 by /64); voice seats per address
    /// are capped on it. Null when the address is not known.
    /// </summary>
    private string? ClientAddress() =>
        HubGuardFilter.CallerOf(Context).Address is var key && key != Edge.ClientAddress.Unknown ? key : null;

    /// <summary>
    /// The STUN and TURN servers this user's next peer connection should use, with a TURN credential of its own that
    /// expires at <c>expiresAt</c>; an empty list when none are configured.
    /// </summary>
    public IceServersDto GetIceServers() => turn.For(CurrentIdentity().User.Value);

    /// <summary>Joins a voice channel (or renegotiates in it) with a WebRTC offer; returns the media node's answer and the members.</summary>
    public async Task<VoiceJoinedDto> JoinVoice(string channelId, string sdpOffer, bool muted, bool deafened)
    {
        var channel = KnownChannel(channelId, Permission.Connect);
        if (channel.Kind != ChannelKind.Voice)
            throw HubErrors.Error(ErrorCode.WrongChannelKind, $"'{channel.Name}' is a text channel.");
        if (!Protocol.Voice.JoinVoice.IsValidOffer(sdpOffer))
            throw HubErrors.Error(ErrorCode.InvalidArgument, Protocol.Voice.JoinVoice.OfferRule);
        // Placement, and a new media node's answer, may take longer than an ordinary call.
        return VoiceAnswer(await AskVoice(taken => new JoinVoiceRequest(channel.Id, sdpOffer, muted, deafened, taken, ClientAddress(), System.Diagnostics.Activity.Current?.Id), runtime.Budgets.JoinVoice));
    }

    /// <summary>Binds this connection to the user's voice membership in a channel, without touching the media session.</summary>
    public async Task<VoiceJoinedDto> ResumeVoice(string channelId)
    {
        var channel = KnownChannel(channelId, Permission.Connect);
        if (channel.Kind != ChannelKind.Voice)
            throw HubErrors.Error(ErrorCode.WrongChannelKind, $"'{channel.Name}' is a text channel.");
        return VoiceAnswer(await AskVoice(taken => new ResumeVoiceRequest(channel.Id, taken), runtime.Budgets.ResumeVoice));
    }

    /// <summary>
    /// Asks the session to join or resume; tells it once the answer is here (or the wait is over), so the voice events
    /// it holds back until then reach the client after the answer.
    /// </summary>
    private async Task<object> AskVoice(Func<Task, object> request, TimeSpan timeout)
    {
        var taken = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        try
        {
            return await Session().Ask<object>(request(taken.Task), timeout);
        }
        finally
        {
            taken.SetResult();
        }
    }

    private static VoiceJoinedDto VoiceAnswer(object reply) => reply switch
    {
        VoiceJoined joined => VoiceJoinedDto.From(joined),
        CommandRejected rejected => throw HubErrors.From(rejected),
        var other => throw Unexpected(other),
    };

    /// <summary>Leaves the voice channel this connection is in.</summary>
    public async Task LeaveVoice()
    {
        await Session().Ask<object>(new LeaveVoiceRequest(), runtime.Budgets.VoiceCall);
    }

    /// <summary>Mutes or deafens this user in their voice channel.</summary>
    public async Task SetVoiceState(bool muted, bool deafened)
    {
        await VoiceCommand(new SetVoiceStateRequest(muted, deafened));
    }

    /// <summary>Sets how loud another member is in this user's own mix (0 to 2, 1 unchanged).</summary>
    public async Task SetMemberVolume(string userId, double volume)
    {
        if (!UserId.TryParse(userId, out var target))
            throw HubErrors.Error(ErrorCode.InvalidArgument, "userId is not a valid user id.");
        if (!Protocol.Voice.SetMemberVolume.IsValidVolume(volume))
            throw HubErrors.Error(ErrorCode.InvalidArgument, $"volume must be 0 to {Protocol.Voice.SetMemberVolume.MaxVolume}.");
        await VoiceCommand(new SetMemberVolumeRequest(target, (float)volume));
    }

    /// <summary>
    /// Server-mutes and server-deafens a member (or lifts it) across every voice channel, with an optional reason: they
    /// cannot lift it themselves, and the mixer enforces it. Needs mute members in the channel and a rank above the member.
    /// </summary>
    public async Task ModerateVoice(string channelId, string userId, bool muted, bool deafened, string? reason)
    {
        var channel = KnownChannel(channelId, Permission.MuteMembers);
        var target = ParseUserId(userId);
        var why = ModerationReason(reason);
        var access = CurrentAccess();
        switch (await runtime.Directory.Ask<object>(
                    new Protocol.Permissions.ModerateVoice(access.Caller, channel.Id, target, runtime.Identities.IsOwner(target), muted, deafened, why),
                    runtime.Budgets.Cluster))
        {
            case PermissionsSaved saved:
                // Answered once this gateway holds it, so what the caller does next here sees it.
                await runtime.Catalog.CaughtUpAsync(saved.Model.Revision, runtime.Budgets.Cluster);
                audit.Record(access, "voice.moderate", Audit.AuditTarget.Member(target), why, Audit.AuditDetails.Voice(muted, deafened));
                return;
            case CommandRejected rejected:
                throw HubErrors.From(rejected);
            case var other:
                throw Unexpected(other);
        }
    }

    /// <summary>Disconnects a member from the voice channel, with an optional reason. Needs move members there and a rank above the member.</summary>
    public async Task DisconnectVoiceMember(string channelId, string userId, string? reason)
    {
        var channel = KnownChannel(channelId, Permission.MoveMembers);
        var target = OutrankedMember(userId);
        var why = ModerationReason(reason);
        await VoiceModeration(new EndVoiceMembership(channel.Id, target, why is null ? "A moderator disconnected you." : $"A moderator disconnected you: {why}"));
        audit.Record(CurrentAccess(), "voice.disconnect", Audit.AuditTarget.Member(target), why, $"from {channel.Name}");
    }

    /// <summary>
    /// Moves a member to another voice channel, with an optional reason: their client joins there. Needs move members in
    /// both channels and a rank above the member, who must be allowed to connect to the other channel.
    /// </summary>
    public async Task MoveVoiceMember(string channelId, string userId, string toChannelId, string? reason)
    {
        var channel = KnownChannel(channelId, Permission.MoveMembers);
        var to = KnownChannel(toChannelId, Permission.MoveMembers);
        if (to.Kind != ChannelKind.Voice) throw HubErrors.Error(ErrorCode.WrongChannelKind, $"'{to.Name}' is a text channel.");
        if (to.Id == channel.Id) throw HubErrors.Error(ErrorCode.InvalidArgument, "The member is in that channel already.");
        var target = OutrankedMember(userId);
        if ((runtime.Catalog.Permissions.InChannel(target, runtime.Identities.IsOwner(target), to.Id) & Permission.Connect) == 0)
            throw HubErrors.Error(ErrorCode.Forbidden, $"The member may not connect to '{to.Name}'.");
        var why = ModerationReason(reason);
        await VoiceModeration(new EndVoiceMembership(channel.Id, target, why is null ? $"A moderator moved you to '{to.Name}'." : $"A moderator moved you to '{to.Name}': {why}", to.Id));
        audit.Record(CurrentAccess(), "voice.move", Audit.AuditTarget.Member(target), why, $"from {channel.Name} to {to.Name}");
    }

    private Task VoiceModeration(EndVoiceMembership command) => AckedAsync(runtime.Region, command);

    /// <summary>A member the caller may act on: ranked below them (anyone but the owner, for the owner).</summary>
    private UserId OutrankedMember(string? userId)
    {
        var target = ParseUserId(userId);
        var access = CurrentAccess();
        if (target == access.User || access.Outranks(target, runtime.Identities.IsOwner(target))) return target;
        throw HubErrors.Error(ErrorCode.Forbidden, "You can act on members ranked below you only.");
    }

    private static UserId ParseUserId(string? userId) =>
        UserId.TryParse(userId, out var id) ? id : throw HubErrors.Error(ErrorCode.InvalidArgument, "userId is not a valid user id.");

    /// <summary>A moderator's reason: trimmed, at most 512 characters, no control characters; null when none is given.</summary>
    private static string? ModerationReason(string? reason) =>
        ServerVoice.TryNormalizeReason(reason, out var why) ? why : throw HubErrors.Error(ErrorCode.InvalidArgument, ServerVoice.ReasonRule);

    private Task VoiceCommand(object request) => AckedAsync(Session(), request);

    /// <summary>Asks for a voice change answered with <see cref="VoiceAck"/>; a refusal becomes the call's error.</summary>
    private async Task AckedAsync(IActorRef to, object request)
    {
        switch (await to.Ask<object>(request, runtime.Budgets.VoiceCall))
        {
            case VoiceAck:
                return;
            case CommandRejected rejected:
                throw HubErrors.From(rejected);
            case var other:
                throw Unexpected(other);
        }
    }

    private SessionIdentity CurrentIdentity() =>
        SessionClaims.From(Context.User) ?? throw HubErrors.Error(ErrorCode.Forbidden, "A session token is required.");

    private IActorRef Session() =>
        Context.Items.TryGetValue(SessionKey, out var session) && session is IActorRef actor
            ? actor
            : throw HubErrors.Unavailable();

    private static ChannelId ParseChannelId(string? channelId) =>
        ChannelId.TryParse(channelId, out var id)
            ? id
            : throw HubErrors.Error(ErrorCode.InvalidArgument, "channelId is not a valid channel id.");

    private Access CurrentAccess() => Access.For(CurrentIdentity(), runtime.Catalog, runtime.Identities);

    /// <summary>
    /// The channel, when it exists, the caller can see it and holds <paramref name="needed"/> in it. A channel the
    /// caller cannot see is answered as one that does not exist, so its name and existence stay private.
    /// </summary>
    private ChannelInfo KnownChannel(string? channelId, Permission needed)
    {
        var id = ParseChannelId(channelId);
        if (!runtime.Catalog.IsLoaded) throw HubErrors.Unavailable();
        var access = CurrentAccess();
        var held = access.In(id);
        if (runtime.Catalog.Find(id) is not { } channel || held == Permission.None)
            throw HubErrors.Error(ErrorCode.UnknownChannel, $"Channel '{id}' does not exist.");
        var missing = needed & ~held;
        if (missing != 0 && access.TimeOutNotice is { } timedOut && (missing & ~Access.TimeOutDenies & ~access.Model.InChannel(access.User, access.Owner, id)) == 0)
            throw HubErrors.Error(ErrorCode.Forbidden, timedOut);
        if (missing != 0)
            throw HubErrors.Error(ErrorCode.Forbidden, $"You need the {string.Join(", ", Permissions.ToNames(missing))} permission in '{channel.Name}'.");
        return channel;
    }

    private static HubException Unexpected(object reply) =>
        new($"internal: unexpected reply {reply.GetType().Name}.");
}
